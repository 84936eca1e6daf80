import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { parseVp, sameVp, vpIdentity, type Vp } from "../model/vp";

/**
 * An operator's attestation that key storage is entirely under `vp`: they saw "KMS CRK rewrap successful, waiting on
 * cryptounit-mk-setimm." for it (or know key storage is empty). It names the key, and it carries the code of the
 * situation it was made for (`situationCode`), which the refusal that asks for it prints: an attestation written
 * into a program ahead of time, or left there after its repair, names no situation the engine is in, and counts for
 * nothing. Written `<VP>:<code>` (`--attest-rewrap-complete`, the input `attestRewrapComplete`).
 */
export interface Attestation {
  readonly vp: Vp;
  readonly code: string;
}

/**
 * The situation an attestation can be about: an instance whose units have `fromVp` as current (undefined for a
 * first-time initialisation), rotating to `targetVp`, with `promoted` units already on it. Only the two situations
 * where no rewrap can run take an attestation: a half-promoted instance, and an initialisation.
 */
export interface Situation {
  readonly instanceId: string;
  readonly targetVp: Vp;
  readonly fromVp: Vp | undefined;
  readonly promoted: readonly string[];
}

const CODE = /^[0-9a-f]{8}$/;

/** situationCode — 8 hex characters that change with the instance, either key, or the set of promoted units. */
export function situationCode(situation: Situation): string {
  const significant = (vp: Vp | undefined) => (vp === undefined ? null : vpIdentity(vp));
  const text = JSON.stringify([situation.instanceId, significant(situation.targetVp), significant(situation.fromVp), [...situation.promoted].sort()]);
  return bytesToHex(sha256(utf8ToBytes(text))).slice(0, 8);
}

/** How an attestation for this situation is written: the value the refusal tells the operator to give. */
export function attestationFor(situation: Situation): string {
  return `${situation.targetVp}:${situationCode(situation)}`;
}

/** parseAttestation — `<VP>:<code>` (the VP as TKE prints it is accepted), or undefined when it is not one. */
export function parseAttestation(text: string): Attestation | undefined {
  const at = text.lastIndexOf(":");
  if (at < 0) return undefined;
  const vp = parseVp(text.slice(0, at));
  const code = text.slice(at + 1).trim().toLowerCase();
  return vp !== undefined && CODE.test(code) ? { vp, code } : undefined;
}

/** Whether the attestation is about exactly this situation: the same key, made for the same code. */
export function attests(attestation: Attestation | undefined, situation: Situation): boolean {
  return attestation !== undefined && sameVp(attestation.vp, situation.targetVp) && attestation.code === situationCode(situation);
}

/** The message for a value that is not an attestation, shared by the CLI flag and the resource input. */
export const ATTESTATION_FORMAT = "expected <verification pattern>:<8-character code>, exactly as the RewrapNotProven refusal prints it";
