import type { z } from "zod";

/** Parses JSON text, or throws the caller's "malformed file" error with `notJson` as the detail. */
export function parseJsonText(text: string, malformed: (detail: string, cause: unknown) => Error, notJson: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw malformed(notJson, cause);
  }
}

/** Parses JSON text, or undefined when it is not JSON: for bodies a schema checks next, where "not JSON" and "wrong shape" read alike. */
export function jsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The first schema issue as a person reads it: `field cipher.nonce: expected 12 bytes as lower-case hex`. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return `field ${issue.path.join(".") || "(root)"}: ${issue.message}`;
}
