import type { SignatureKey } from "./signature-key-file";

/** The master key commands a signature key signs: each TKE command's EP11 admin command. */
export type SignedCommand = "loadNew" | "commitNew" | "clearNew" | "setImmediate" | "rewrap" | "generateNew" | "exportNew";

/**
 * Required signatures per command (research §1.3 table, after imprint mode; §5.2 for the SDK's recovery-unit
 * commands): commit and the export of a key from a recovery unit (EXPORT_WK) need the signature threshold; load
 * (IMPORT_WK), clear, set immediate, the rotate request and a random key's generation (GEN_WK) need one.
 */
export function requiredSignatures(command: SignedCommand, signatureThreshold: number): number {
  return command === "commitNew" || command === "exportNew" ? signatureThreshold : 1;
}

/**
 * chooseSigners — what IBM's TKE tools do with the signature keys they are given: installed administrators first (each
 * once), then the others, up to `count`. Too few keys are sent as they are; the unit answers "Not enough
 * signatures", and a key that is not an administrator makes it answer "An unauthorized administrator signed".
 */
export function chooseSigners(keys: readonly SignatureKey[], admins: readonly { readonly ski: string }[], count: number): SignatureKey[] {
  const installed = new Set(admins.map((a) => a.ski));
  const distinct = keys.filter((k, i) => keys.findIndex((o) => o.ski === k.ski) === i);
  const ordered = [...distinct.filter((k) => installed.has(k.ski)), ...distinct.filter((k) => !installed.has(k.ski))];
  return ordered.slice(0, count);
}
