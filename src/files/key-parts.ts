import { createHash } from "node:crypto";
import { KeyPartFileError, InputError } from "../model/errors";
import { masterKeyVp, MAX_KEY_PARTS, MIN_KEY_PARTS } from "../model/key-parts";
import { KEY_PART_FILE_FORMAT, openKeyPart, parseKeyPartFile, type KeyPartFile } from "../model/key-part-file";
import type { Vp } from "../model/vp";
import type { KeyPartFileRef, KeyPartMaterial } from "../engine/port/backend";
import { KEY_MATERIAL_MAX_BYTES, readBoundedFile } from "./read-file";

/** A key part as users declare it: a file and the password that opens it. */
export interface KeyPartRef {
  readonly file: string;
  readonly password: string;
}

function readKeyPartBytes(file: string): Buffer {
  return readBoundedFile(file, KEY_MATERIAL_MAX_BYTES, (detail, cause) => new KeyPartFileError(file, "unreadable", detail, { cause }));
}

export function readKeyPartFile(file: string): KeyPartFile {
  return parseKeyPartFile(readKeyPartBytes(file).toString("utf8"), file);
}

const sha256Of = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Opened key parts: the values (zero them with `close`) and the VP of the master key they make. */
export interface OpenedKeyParts {
  readonly parts: readonly KeyPartMaterial[];
  readonly vp: Vp;
  close(): void;
}

function checkCount(count: number): void {
  if (count < MIN_KEY_PARTS || count > MAX_KEY_PARTS) {
    throw new InputError(`keyParts: a master key needs ${MIN_KEY_PARTS} or ${MAX_KEY_PARTS} key parts, not ${count}`, "keyParts");
  }
}

/** openKeyParts — decrypts 2–3 key part files (our format). On any error nothing stays decrypted. */
export function openKeyParts(refs: readonly KeyPartRef[]): OpenedKeyParts {
  checkCount(refs.length);
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

/**
 * keyPartFileRefs — key part files only the backend can open (IBM's own format, `keyParts: opaque`), as the engine hands
 * them over: each file's SHA-256 (the id Activity Tracker records in `masterKeyIds`) with its path and password. The
 * files are only read, never parsed: their format is the backend's business. Two entries with the same bytes are
 * refused, as two parts must differ.
 */
export function keyPartFileRefs(refs: readonly KeyPartRef[]): KeyPartFileRef[] {
  checkCount(refs.length);
  const files = refs.map((ref) => ({ file: ref.file, sha256: sha256Of(readKeyPartBytes(ref.file)), password: ref.password }));
  files.forEach((f, index) => {
    const earlier = files.findIndex((other) => other.sha256 === f.sha256);
    if (earlier < index) throw new InputError(`keyParts[${index}]: ${f.file} is the same file as keyParts[${earlier}] (${files[earlier].file}); each part must be different`, `keyParts[${index}]`);
  });
  return files;
}

/** The value in `bytes`, our format, which must still be the file the run identified (its SHA-256). */
function openIdentified(ref: KeyPartFileRef, bytes: Buffer): Uint8Array {
  if (sha256Of(bytes) !== ref.sha256) throw new KeyPartFileError(ref.file, "tampered", `changed since the run identified it (its SHA-256 is no longer ${ref.sha256}); nothing was loaded`);
  return openKeyPart(parseKeyPartFile(bytes.toString("utf8"), ref.file), ref.password, ref.file).value;
}

/**
 * openKeyPartFiles — what opens key part files for the simulator in its opaque shape, standing in for the TKE CLI
 * plug-in: each file must still be the one the engine identified (its SHA-256), then it is decrypted (our format). The
 * values are the caller's to zero.
 */
export function openKeyPartFiles(files: readonly KeyPartFileRef[]): Uint8Array[] {
  const values: Uint8Array[] = [];
  try {
    for (const ref of files) values.push(openIdentified(ref, readKeyPartBytes(ref.file)));
    return values;
  } catch (e) {
    values.forEach((v) => v.fill(0));
    throw e;
  }
}

/** Whether the bytes are a key part file of our own format (`hpcs-mk keypart create`), by its format field. */
function isOwnFormat(bytes: Buffer): boolean {
  try {
    return (JSON.parse(bytes.toString("utf8")) as { format?: unknown })?.format === KEY_PART_FILE_FORMAT;
  } catch {
    return false;
  }
}

/**
 * openOwnKeyPartFile — for a backend that hands key part files to IBM's plug-in: the value of a file in our own format
 * (which the plug-in cannot open, so the backend adds it with `mk-add --value`), or undefined for any other file (IBM's
 * own, which the plug-in opens). The file must still be the one the run identified. The value is the caller's to zero.
 */
export function openOwnKeyPartFile(ref: KeyPartFileRef): Uint8Array | undefined {
  const bytes = readKeyPartBytes(ref.file);
  return isOwnFormat(bytes) ? openIdentified(ref, bytes) : undefined;
}
