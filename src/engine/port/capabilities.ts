/**
 * What a backend can do, declared by the backend and read by the engine (DESIGN §5). The engine's plans differ per
 * capability where the decision table says so; every check (exhaustive plan, property, crash) runs for every
 * combination, so a backend of any shape is proven before it is written.
 *
 * - `rewrapStatus`: `reported` when the service reports the key storage rewrap (HPCS's `/key_roll` status, the
 *   simulator by default); `hidden` when it cannot (the TKE CLI, the TKE API): `rewrapStatus` answers `unknown`.
 * - `rotation`: `separate` when the rewrap and set immediate are separate commands; `combined` when one command
 *   rewraps key storage, prints "KMS CRK rewrap successful, waiting on cryptounit-mk-setimm." and then promotes every
 *   selected unit by itself (`cryptounit-mk-rotate`): `Backend.rotate` instead of `Backend.rewrap`.
 * - `vpBinding`: `hsm` when commit and set immediate carry the expected VP and the HSM refuses a mismatch (EP11
 *   commit and finalize, the TKE API); `readFirst` when the command cannot carry it and the backend reads the register
 *   first and refuses a mismatch itself (the TKE CLI). Clear carries no VP in either shape. With `readFirst` only the
 *   engine's lease stands between that read and the command: IBM's SDK reads the transaction counter afresh for every
 *   signed command, so the counter does not catch a change made in between. (The simulator still signs with the
 *   counter of its own read, which is stricter than IBM's CLI.)
 * - `keyParts`: `material` when the engine's caller decrypts the key part files (our own format) and hands the backend
 *   their values, so the declared key's VP is known before anything is loaded; `opaque` when only the backend can open
 *   them (IBM's own key part files, which the TKE CLI plug-in loads by itself): the backend is handed references (path,
 *   SHA-256, password), the declared key is identified by the files' SHA-256 (as Activity Tracker's `masterKeyIds`),
 *   and its VP is learned when a load reports it, unless the user declared it (`expectedVerificationPattern`).
 */
export const CAPABILITY_CHOICES = {
  rewrapStatus: ["reported", "hidden"],
  rotation: ["separate", "combined"],
  vpBinding: ["hsm", "readFirst"],
  keyParts: ["material", "opaque"],
} as const;

type Choices = typeof CAPABILITY_CHOICES;
export type Capabilities = { readonly [K in keyof Choices]: Choices[K][number] };
export type CapabilityName = keyof Capabilities;

/** The simulator's default, and HPCS as its documented service behaves. */
export const DEFAULT_CAPABILITIES: Capabilities = { rewrapStatus: "reported", rotation: "separate", vpBinding: "hsm", keyParts: "material" };

/** The shape of IBM's TKE CLI plug-in: no rewrap status, `cryptounit-mk-rotate`, VP checked by a read first, key part files it opens itself. */
export const CLI_LIKE_CAPABILITIES: Capabilities = { rewrapStatus: "hidden", rotation: "combined", vpBinding: "readFirst", keyParts: "opaque" };

/** Every combination, the default first: what the checks run for. */
export const ALL_CAPABILITIES: readonly Capabilities[] = (Object.keys(CAPABILITY_CHOICES) as CapabilityName[]).reduce<Capabilities[]>(
  (combinations, name) => combinations.flatMap((c) => CAPABILITY_CHOICES[name].map((value) => ({ ...c, [name]: value }))),
  [DEFAULT_CAPABILITIES],
);

/** A short, stable label: `reported/separate/hsm/material`. */
export function capabilitiesLabel(c: Capabilities): string {
  return `${c.rewrapStatus}/${c.rotation}/${c.vpBinding}/${c.keyParts}`;
}

/** What a person reads in a backend's description: only what differs from the default. */
export function describeCapabilities(c: Capabilities): string[] {
  const notes: string[] = [];
  if (c.rewrapStatus === "hidden") notes.push("rewrap status not reported");
  if (c.rotation === "combined") notes.push("rewrap and set immediate in one rotate command");
  if (c.vpBinding === "readFirst") notes.push("VP checked by a read before each command");
  if (c.keyParts === "opaque") notes.push("key part files opened by the backend");
  return notes;
}
