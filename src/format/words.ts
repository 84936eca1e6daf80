/** `1 record`, `3 records`: a count and its noun, singular or plural as the count asks. */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

/** `crypto unit u1 is` / `crypto units u1, u2 are`: a list of units as the subject of a sentence. */
export function unitsAre(ids: readonly string[]): string {
  return ids.length === 1 ? `crypto unit ${ids[0]} is` : `crypto units ${ids.join(", ")} are`;
}

/** `crypto unit u1 holds` / `crypto units u1, u2 hold`. */
export function unitsHold(ids: readonly string[]): string {
  return ids.length === 1 ? `crypto unit ${ids[0]} holds` : `crypto units ${ids.join(", ")} hold`;
}
