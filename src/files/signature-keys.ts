import { InputError, SignatureKeyFileError } from "../model/errors";
import { openSignatureKey, parseSignatureKeyFile, type SignatureKey } from "../model/signature-key-file";
import type { Signers } from "../engine/port/backend";
import { readTextFile } from "./read-file";

export interface SignatureKeyRef {
  readonly file: string;
  readonly password: string;
}

export interface OpenSignersOptions {
  /** How the user's shell names the i-th signature key (the CLI's flag, the provider's input); default the provider's. */
  readonly entry?: (index: number) => string;
}

/** openSigners — decrypts the signature key files; each must hold a distinct key. */
export function openSigners(refs: readonly SignatureKeyRef[], options: OpenSignersOptions = {}): Signers {
  const entry = options.entry ?? ((index: number) => `signatureKeys[${index}]`);
  if (refs.length === 0) throw new InputError("signatureKeys: at least one administrator signature key is needed", "signatureKeys");
  const keys: SignatureKey[] = [];
  refs.forEach((ref, index) => {
    const text = readTextFile(ref.file, (detail, cause) => new SignatureKeyFileError(ref.file, "unreadable", detail, { cause }));
    const key = openSignatureKey(parseSignatureKeyFile(text, ref.file), ref.password, ref.file);
    if (keys.some((k) => k.ski === key.ski)) {
      const first = refs[keys.findIndex((k) => k.ski === key.ski)].file;
      throw new InputError(`${entry(index)}: ${ref.file} holds the same signature key as ${first} (Signature keys are not unique); give each administrator's key once`, entry(index));
    }
    keys.push(key);
  });
  return { keys, files: refs.map((ref, i) => ({ file: ref.file, ski: keys[i].ski, password: ref.password })) };
}
