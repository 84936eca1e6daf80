import { printable } from "../../format/printable";
import type { Vp } from "../../model/vp";

/**
 * Tables in the TKE CLI's layout: upper-case headers, columns separated by spaces, no borders. A cell may hold
 * several lines (TKE prints a verification pattern as two lines of 32 hex characters). Cells often hold text from
 * files or the service (descriptions, administrator names): each line is shown `printable`.
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[], indent = ""): string[] {
  const split = rows.map((row) => row.map((cell) => cell.split("\n").map(printable)));
  const widths = headers.map((h, i) => Math.max(h.length, ...split.map((row) => Math.max(...(row[i] ?? [""]).map((line) => line.length)))));
  const line = (cells: readonly string[]) => `${indent}${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join("   ")}`.trimEnd();
  const out = [line(headers)];
  for (const row of split) {
    const height = Math.max(...row.map((c) => c.length));
    for (let l = 0; l < height; l++) out.push(line(headers.map((_, i) => row[i]?.[l] ?? "")));
  }
  return out;
}

/** A VP as TKE prints it: two lines of 32 hex characters. */
export function twoLineVp(vp: Vp): string {
  return `${vp.slice(0, 32)}\n${vp.slice(32)}`;
}

/** A subject key identifier as TKE lists it: the first 30 hex characters and an ellipsis. */
export function shortSki(ski: string): string {
  return `${ski.slice(0, 30)}...`;
}

/** "1, 2 and 3" style lists are hard to scan in logs; TKE lists numbers separated by commas. */
export function list(items: readonly (string | number)[]): string {
  return items.length === 0 ? "none" : items.join(", ");
}
