/**
 * Tables as the IBM Cloud CLI SDK's table writer printed them in the public transcripts the emulator follows (2021,
 * research/real-backends.md §2): a header row, columns three spaces apart, each as wide as its widest cell, every row
 * ending in the three-space gap; a cell with a line break continues on the next physical row, the other cells blank.
 * A verification pattern is such a cell: 32 hex digits on the unit's row, the other 32 below them.
 */
const GAP = "   ";

export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const physical = rows.flatMap((row) => {
    const parts = row.map((cell) => cell.split("\n"));
    const height = Math.max(...parts.map((p) => p.length));
    return Array.from({ length: height }, (_, line) => parts.map((p) => p[line] ?? ""));
  });
  const widths = headers.map((h, i) => Math.max(h.length, ...physical.map((r) => r[i].length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join(GAP) + GAP;
  return [line(headers), ...physical.map(line)];
}

/** A verification pattern as TKE prints it: two lines of 32 lower-case hex digits. */
export function vpCell(vp: string): string {
  return `${vp.slice(0, 32)}\n${vp.slice(32)}`;
}
