import { KeyPartFileError, InputError } from "../model/errors";
import { masterKeyVp, MAX_KEY_PARTS, MIN_KEY_PARTS } from "../model/key-parts";
import { openKeyPart, parseKeyPartFile, type KeyPartFile } from "../model/key-part-file";
import type { Vp } from "../model/vp";
import type { KeyPartMaterial } from "../engine/port/backend";
import { readTextFile } from "./read-file";

/** A key part as users declare it: a file and the password that opens it. */
export interface KeyPartRef {
  readonly file: string;
  readonly password: string;
}

export function readKeyPartFile(file: string): KeyPartFile {
  const text = readTextFile(file, (detail, cause) => new KeyPartFileError(file, "unreadable", detail, { cause }));
  return parseKeyPartFile(text, file);
}

/** Opened key parts: the values (zero them with `close`) and the VP of the master key they make. */
export interface OpenedKeyParts {
  readonly parts: readonly KeyPartMaterial[];
  readonly vp: Vp;
  close(): void;
}

/** openKeyParts — decrypts 2–3 key part files. On any error nothing stays decrypted. */
export function openKeyParts(refs: readonly KeyPartRef[]): OpenedKeyParts {
  if (refs.length < MIN_KEY_PARTS || refs.length > MAX_KEY_PARTS) {
    throw new InputError(`keyParts: a master key needs ${MIN_KEY_PARTS} or ${MAX_KEY_PARTS} key parts, not ${refs.length}`, "keyParts");
  }
  const seen = new Set<string>();
  const parts: KeyPartMaterial[] = [];
  const close = () => parts.forEach((p) => p.value.fill(0));
  try {
    refs.forEach((ref, index) => {
      const parsed = readKeyPartFile(ref.file);
      if (seen.has(parsed.verificationPattern)) {
        throw new InputError(`keyParts[${index}]: ${ref.file} holds the same key part as an earlier entry; each part must be different`, `keyParts[${index}]`);
      }
      seen.add(parsed.verificationPattern);
      parts.push({ file: ref.file, value: openKeyPart(parsed, ref.password, ref.file).value });
    });
    return { parts, vp: masterKeyVp(parts.map((p) => p.value)), close };
  } catch (e) {
    close();
    throw e;
  }
}

/** The desired VP of the master key the parts make, with every decrypted value zeroed before returning. */
export function desiredVp(refs: readonly KeyPartRef[]): Vp {
  const opened = openKeyParts(refs);
  opened.close();
  return opened.vp;
}
