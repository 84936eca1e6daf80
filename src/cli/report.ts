/**
 * Report — what every command returns: plain JSON data, rendered for people by its renderer and printed as-is
 * (versioned) with --json. `outcome` decides the exit code in main.ts: ok → 0, refused or failed → 1.
 */
export type Outcome = "ok" | "refused" | "failed";

export interface Report {
  readonly command: string;
  readonly outcome: Outcome;
}

/** Bumped when a field changes meaning or disappears; new fields may appear without a bump. */
export const JSON_SCHEMA_VERSION = 1;

export function jsonDocument(body: object): string {
  return JSON.stringify({ schemaVersion: JSON_SCHEMA_VERSION, ...body }, null, 2);
}
