import { createCipheriv, createDecipheriv, createHash, randomBytes, scryptSync, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { KeyPartFileError } from "./errors";
import { KEY_PART_BYTES } from "./key-parts";
import { describeIssue, parseJsonText } from "./json-text";
import { verificationPattern, isVp, type Vp } from "./vp";

/**
 * Key part files: our own documented format (docs/reference.md, "Key part file format"). The TKE format is not public
 * (research §7.2), so we do not claim compatibility with it.
 *
 * The 32-byte part is encrypted with AES-256-GCM under a key derived from the password with scrypt. The KDF yields
 * 64 bytes: the first 32 are the AES key, the SHA-256 of the last 32 is stored as `passwordCheck` so a wrong password
 * is told apart from a tampered file. The header (format, version, description, VP) is the GCM additional data, so
 * any edit to it fails authentication.
 */
export const KEY_PART_FILE_FORMAT = "hpcs-mk-keypart";
export const KEY_PART_FILE_VERSION = 1;

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `expected ${bytes} bytes as lower-case hex`);

/**
 * scrypt cost bounds. The floor keeps files strong. The ceilings keep a hostile or mistaken file from exhausting the
 * machine before its password is even checked (during `pulumi preview`, say): memory 128·N·r bytes at most 256 MiB,
 * small parallelism, and CPU cost N·r·p at most four times the default's.
 */
export const SCRYPT_MAX_MEMORY_BYTES = 256 * 1024 * 1024;
const SCRYPT_MAX_COST = 4 * 2 ** 17 * 8;
const scryptParams = z
  .object({
    name: z.literal("scrypt"),
    N: z.number().int().min(2 ** 14).max(2 ** 20).refine((n) => (n & (n - 1)) === 0, "N must be a power of two"),
    r: z.number().int().min(1).max(32),
    p: z.number().int().min(1).max(4),
    salt: hex(16),
  })
  .refine((k) => 128 * k.N * k.r <= SCRYPT_MAX_MEMORY_BYTES, { message: `N·r needs more than ${SCRYPT_MAX_MEMORY_BYTES / 2 ** 20} MiB of memory (128·N·r bytes)`, path: ["N"] })
  .refine((k) => k.N * k.r * k.p <= SCRYPT_MAX_COST, { message: `N·r·p is more than ${SCRYPT_MAX_COST}: opening the file would take minutes`, path: ["p"] });
export type ScryptParams = z.infer<typeof scryptParams>;

const header = z.object({ format: z.literal(KEY_PART_FILE_FORMAT), version: z.number().int() });

export const keyPartFileSchema = z.object({
  format: z.literal(KEY_PART_FILE_FORMAT),
  version: z.literal(KEY_PART_FILE_VERSION),
  description: z.string().max(256),
  verificationPattern: z.string().refine(isVp, "expected a 64-character lower-case hex verification pattern"),
  kdf: scryptParams,
  passwordCheck: hex(32),
  cipher: z.object({ name: z.literal("aes-256-gcm"), nonce: hex(12), ciphertext: z.string().regex(/^[0-9a-f]*$/), tag: hex(16) }),
});
export type KeyPartFile = z.infer<typeof keyPartFileSchema>;

/** 128 MiB and about half a second per derivation: OWASP's scrypt guidance is N = 2^17, r = 8, p = 1. */
export const DEFAULT_SCRYPT = { N: 2 ** 17, r: 8, p: 1 } as const;

export interface SealOptions {
  readonly description: string;
  readonly cost?: { N: number; r: number; p: number };
  /** Injected for reproducible tests; random otherwise. */
  readonly salt?: Uint8Array;
  readonly nonce?: Uint8Array;
}

function deriveKeys(password: string, kdf: ScryptParams): { aesKey: Buffer; check: Buffer } {
  const derived = scryptSync(password.normalize("NFC"), Buffer.from(kdf.salt, "hex"), 64, {
    N: kdf.N,
    r: kdf.r,
    p: kdf.p,
    maxmem: 128 * kdf.N * kdf.r * 2 + 1024 * 1024,
  });
  const aesKey = Buffer.from(derived.subarray(0, 32));
  const check = createHash("sha256").update(derived.subarray(32)).digest();
  derived.fill(0);
  return { aesKey, check };
}

function additionalData(file: Pick<KeyPartFile, "format" | "version" | "description" | "verificationPattern">): Buffer {
  return Buffer.from(JSON.stringify([file.format, file.version, file.description, file.verificationPattern]), "utf8");
}

/** sealKeyPart — encrypts one key part value under a password (the `mk-add` equivalent). */
export function sealKeyPart(value: Uint8Array, password: string, options: SealOptions): KeyPartFile {
  if (value.length !== KEY_PART_BYTES) throw new RangeError(`a key part is ${KEY_PART_BYTES} bytes, not ${value.length}`);
  if (password.length === 0) throw new RangeError("a key part password must not be empty");
  const cost = options.cost ?? DEFAULT_SCRYPT;
  const parsedKdf = scryptParams.safeParse({ name: "scrypt", ...cost, salt: Buffer.from(options.salt ?? randomBytes(16)).toString("hex") });
  // Never write a file this release would refuse to open.
  if (!parsedKdf.success) throw new RangeError(`scrypt cost ${JSON.stringify(cost)}: ${describeIssue(parsedKdf.error)}`);
  const kdf: ScryptParams = parsedKdf.data;
  const nonce = Buffer.from(options.nonce ?? randomBytes(12));
  const { aesKey, check } = deriveKeys(password, kdf);
  const body = {
    format: KEY_PART_FILE_FORMAT,
    version: KEY_PART_FILE_VERSION,
    description: options.description,
    verificationPattern: verificationPattern(value),
  } as const;
  try {
    const cipher = createCipheriv("aes-256-gcm", aesKey, nonce);
    cipher.setAAD(additionalData(body));
    const ciphertext = Buffer.concat([cipher.update(value), cipher.final()]);
    return {
      ...body,
      kdf,
      passwordCheck: check.toString("hex"),
      cipher: { name: "aes-256-gcm", nonce: nonce.toString("hex"), ciphertext: ciphertext.toString("hex"), tag: cipher.getAuthTag().toString("hex") },
    };
  } finally {
    aesKey.fill(0);
  }
}

/** Parses a key part file's text without decrypting it: enough to show its description and VP. */
export function parseKeyPartFile(text: string, file: string): KeyPartFile {
  const json = parseJsonText(text, (detail, cause) => new KeyPartFileError(file, "malformed", detail, { cause }), "is not JSON; is this a key part file made by `hpcs-mk keypart create`?");
  const head = header.safeParse(json);
  if (!head.success && typeof json === "object" && json !== null && "ski" in json && "enckey" in json) {
    throw new KeyPartFileError(file, "malformed", "is an administrator signature key file (N.sigkey), not a key part: give the key part files the master key is made of (hpcs-mk keypart create)");
  }
  if (!head.success) {
    throw new KeyPartFileError(file, "malformed", `is not a key part file (expected "format": "${KEY_PART_FILE_FORMAT}" and a numeric "version")`);
  }
  if (head.data.version !== KEY_PART_FILE_VERSION) {
    throw new KeyPartFileError(
      file,
      "unsupportedVersion",
      `has format version ${head.data.version}; this release reads version ${KEY_PART_FILE_VERSION}. Upgrade pulumi-hpcs-masterkey or re-create the part.`,
    );
  }
  const parsed = keyPartFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new KeyPartFileError(file, "malformed", describeIssue(parsed.error));
  }
  const ciphertextBytes = parsed.data.cipher.ciphertext.length / 2;
  if (ciphertextBytes !== KEY_PART_BYTES) {
    throw new KeyPartFileError(file, "wrongLength", `holds a ${ciphertextBytes}-byte value; key parts are ${KEY_PART_BYTES} bytes`);
  }
  return parsed.data;
}

/**
 * openKeyPart — decrypts a parsed key part file. Wrong password, tampering and a value whose VP differs from the
 * recorded one are distinct errors. The caller owns the returned buffer and zeroes it when done.
 */
export function openKeyPart(parsed: KeyPartFile, password: string, file: string): { value: Uint8Array; vp: Vp } {
  const { aesKey, check } = deriveKeys(password, parsed.kdf);
  try {
    if (!timingSafeEqual(check, Buffer.from(parsed.passwordCheck, "hex"))) {
      throw new KeyPartFileError(file, "wrongPassword", "the password is wrong");
    }
    const decipher = createDecipheriv("aes-256-gcm", aesKey, Buffer.from(parsed.cipher.nonce, "hex"));
    decipher.setAAD(additionalData(parsed));
    decipher.setAuthTag(Buffer.from(parsed.cipher.tag, "hex"));
    let value: Buffer;
    try {
      value = Buffer.concat([decipher.update(Buffer.from(parsed.cipher.ciphertext, "hex")), decipher.final()]);
    } catch (cause) {
      throw new KeyPartFileError(file, "tampered", "failed authentication although the password is right: the file was modified or corrupted", { cause });
    }
    const vp = verificationPattern(value);
    if (vp !== parsed.verificationPattern) {
      value.fill(0);
      throw new KeyPartFileError(file, "tampered", "decrypts to a value whose verification pattern differs from the one recorded in the file");
    }
    return { value: new Uint8Array(value.buffer, value.byteOffset, value.length), vp };
  } finally {
    aesKey.fill(0);
  }
}
