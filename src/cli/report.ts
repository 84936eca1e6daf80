/**
 * Report — what every command returns: plain JSON data, rendered for people by its renderer and printed as-is
 * (versioned) with --json. `outcome` decides the exit code in main.ts (`EXIT_CODES`).
 * `due`: the instance is fine, and a rotation is due under the policy given (`status --rotation-period-days`).
 */
export type Outcome = "ok" | "refused" | "failed" | "due";

/** The exit code of each outcome; usage errors exit 2. */
export const EXIT_CODES: Readonly<Record<Outcome, number>> = { ok: 0, refused: 1, failed: 1, due: 3 };

export interface Report {
  readonly command: string;
  readonly outcome: Outcome;
}

/** Bumped when a field changes meaning or disappears; new fields may appear without a bump. */
export const JSON_SCHEMA_VERSION = 1;

export function jsonDocument(body: object): string {
  return JSON.stringify({ schemaVersion: JSON_SCHEMA_VERSION, ...body }, null, 2);
}
