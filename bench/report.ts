/**
 * Report — the bench's output: one `name: value unit` line per figure, `#` lines for context, and the targets,
 * decided once at the end. Printing happens here only; the measuring modules return data.
 */

/** A figure with a limit: met when `value <= max`. */
export interface Target {
  readonly name: string;
  readonly value: number;
  readonly max: number;
  readonly unit: string;
}

export class Report {
  private readonly targets: Target[] = [];

  constructor(private readonly write: (line: string) => void = (line) => console.log(line)) {}

  /** A `#` line: context for humans, skipped by anything that parses the figures. */
  note(text: string): void {
    this.write(`# ${text}`);
  }

  figure(name: string, value: number, unit: string, digits = 0): void {
    this.write(`${name}: ${format(value, digits)} ${unit}`);
  }

  /** A figure that is also a target. */
  target(name: string, value: number, unit: string, max: number, digits = 0): void {
    this.figure(name, value, unit, digits);
    this.targets.push({ name, value, max, unit });
  }

  missed(): Target[] {
    return this.targets.filter((t) => !(t.value <= t.max));
  }

  /** The target notes and the last line; returns the exit code (0 all met, 1 some missed). */
  finish(): number {
    for (const t of this.targets) {
      this.note(`target ${t.name} <= ${t.max} ${t.unit}: ${t.value <= t.max ? "met" : "MISSED"}`);
    }
    const missed = this.missed();
    this.write(missed.length === 0 ? "bench: all targets met" : `bench: targets missed: ${missed.map((t) => t.name).join(", ")}`);
    return missed.length === 0 ? 0 : 1;
  }
}

function format(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : String(value);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
