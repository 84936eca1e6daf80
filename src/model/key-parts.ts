import { InputError } from "./errors";
import { verificationPattern, type Vp } from "./vp";

/** A master key part: a 256-bit AES value (research §2.5). */
export const KEY_PART_BYTES = 32;
export const MIN_KEY_PARTS = 2;
export const MAX_KEY_PARTS = 3;

/**
 * combineKeyParts — the master key is the XOR of its 2–3 parts (research §7.3: CCA's rule, assumed for EP11).
 * The caller owns the returned buffer and should zero it when done.
 */
export function combineKeyParts(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length < MIN_KEY_PARTS || parts.length > MAX_KEY_PARTS) {
    throw new InputError(`a master key needs ${MIN_KEY_PARTS} or ${MAX_KEY_PARTS} key parts, not ${parts.length}`, "keyParts");
  }
  const key = new Uint8Array(KEY_PART_BYTES);
  parts.forEach((part, index) => {
    if (part.length !== KEY_PART_BYTES) {
      throw new InputError(`key part ${index + 1} is ${part.length} bytes; key parts are ${KEY_PART_BYTES} bytes`, `keyParts[${index}]`);
    }
    for (let i = 0; i < KEY_PART_BYTES; i++) key[i] ^= part[i];
  });
  return key;
}

/** The VP of the master key the parts make, computed without keeping the combined key. */
export function masterKeyVp(parts: readonly Uint8Array[]): Vp {
  const key = combineKeyParts(parts);
  try {
    return verificationPattern(key);
  } finally {
    key.fill(0);
  }
}
