import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";

/**
 * A verification pattern: 64 lower-case hex characters (32 bytes), as TKE prints it.
 * research/tke-domain.md §1.2: VP = SHA-256(0x01 ‖ key) with the last four bytes set to zero.
 */
export type Vp = string;

/** What an Empty register shows. */
export const EMPTY_VP: Vp = "0".repeat(64);

const VP_PATTERN = /^[0-9a-f]{64}$/;

/** Hex characters compared: the first 28 bytes. Old EP11 firmware did not zero the last four. */
const SIGNIFICANT_HEX = 56;

export function verificationPattern(key: Uint8Array): Vp {
  const input = new Uint8Array(key.length + 1);
  input[0] = 0x01;
  input.set(key, 1);
  const digest = sha256(input);
  input.fill(0);
  digest.fill(0, 28);
  return bytesToHex(digest);
}

export function isVp(value: unknown): value is Vp {
  return typeof value === "string" && VP_PATTERN.test(value);
}

/** Normalises a user-supplied VP (upper case, spaces or a two-line TKE rendering) or returns undefined. */
export function parseVp(text: string): Vp | undefined {
  const compact = text.replace(/\s+/g, "").toLowerCase();
  return isVp(compact) ? compact : undefined;
}

/** The part of a VP that identifies a key (research §1.2: the SDK compares `CurrentMKVP[0:56]`); for keying maps. */
export function vpIdentity(vp: Vp): string {
  return vp.slice(0, SIGNIFICANT_HEX);
}

/** VPs match when their first 28 bytes do. */
export function sameVp(a: Vp, b: Vp): boolean {
  return vpIdentity(a) === vpIdentity(b);
}

/** A VP prefix for logs and tables: enough to tell keys apart, short enough to read. */
export function shortVp(vp: Vp): string {
  return `${vp.slice(0, 12)}…`;
}
