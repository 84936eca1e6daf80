import { createCipheriv, createDecipheriv, createHash, createPrivateKey, createPublicKey, generateKeyPairSync, pbkdf2Sync, randomBytes, sign, verify, type KeyObject } from "node:crypto";
import { z } from "zod";
import { SignatureKeyFileError } from "./errors";
import { KEY_PART_FILE_FORMAT } from "./key-part-file";
import { describeIssue, parseJsonText } from "./json-text";

/**
 * TKE signature key files (`N.sigkey`), research §7.1: a JSON object of strings `ski`, `keyType` ("p521ec"),
 * `seaSalt` (hex salt) and `enckey` (hex of the AES-GCM nonce ‖ ciphertext ‖ tag). The AES-256 key is
 * PBKDF2-HMAC-SHA256(password, salt, 4096 iterations); the plaintext is a PEM `PRIVATE KEY` block holding a SEC1
 * EC P-521 key. Other fields TKE may write are kept unread (`passthrough`).
 */
const PBKDF2_ITERATIONS = 4096;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const PEM_LABEL = "PRIVATE KEY";

export const signatureKeyFileSchema = z
  .object({
    ski: z.string().regex(/^[0-9a-fA-F]{64}$/, "expected a 64-character hex subject key identifier"),
    keyType: z.string(),
    seaSalt: z.string().regex(/^([0-9a-fA-F]{2})+$/, "expected a hex salt"),
    enckey: z.string().regex(/^([0-9a-fA-F]{2})+$/, "expected hex"),
  })
  .passthrough();
export type SignatureKeyFile = z.infer<typeof signatureKeyFileSchema>;

/** An uncompressed P-521 point: 0x04 ‖ X (66 bytes) ‖ Y (66 bytes). It ends the SPKI DER of a P-521 key. */
const P521_POINT_BYTES = 133;

/**
 * SKI of an EC key: SHA-256 of the uncompressed point 04 ‖ X ‖ Y (66-byte coordinates for P-521).
 * The point is read from the SPKI DER, not from a JWK export: on Node 20, exporting a freshly generated key as JWK
 * can deadlock (ExportJWK holds the key's mutex while allocating; a GC then destroys the key-generation job, whose
 * destructor takes the same mutex), which hung `hpcs-mk sim init` now and then.
 */
export function subjectKeyIdentifier(publicKey: KeyObject): string {
  if (publicKey.asymmetricKeyType !== "ec" || publicKey.asymmetricKeyDetails?.namedCurve !== "secp521r1") throw new RangeError("signature keys must be EC P-521");
  const spki = publicKey.export({ format: "der", type: "spki" });
  const point = spki.subarray(spki.length - P521_POINT_BYTES);
  if (point[0] !== 0x04) throw new RangeError("expected an uncompressed EC point");
  return createHash("sha256").update(point).digest("hex");
}

function aesKeyFor(password: string, saltHex: string): Buffer {
  return pbkdf2Sync(password, Buffer.from(saltHex, "hex"), PBKDF2_ITERATIONS, 32, "sha256");
}

/** A decrypted signature key: what signs admin commands. Holds the private key only in memory. */
export interface SignatureKey {
  readonly ski: string;
  /** SPKI DER of the public key, base64: what an installed administrator record keeps. */
  readonly publicKey: string;
  sign(data: Uint8Array): Uint8Array;
}

/** A bounded memo: P-521 operations cost milliseconds, and rehearsals and the safety checks repeat the same ones. */
function remember<V>(memo: Map<string, V>, key: string, compute: () => V): V {
  const known = memo.get(key);
  if (known !== undefined) return known;
  const value = compute();
  if (memo.size >= 4096) memo.clear();
  memo.set(key, value);
  return value;
}

function signatureKeyFrom(privateKey: KeyObject, ski: string): SignatureKey {
  const publicKey = createPublicKey(privateKey).export({ format: "der", type: "spki" }).toString("base64");
  // A signature of the same bytes is as valid the second time; signed commands carry a transaction counter, so on a
  // real HSM the same bytes are never signed twice anyway.
  const signed = new Map<string, Uint8Array>();
  return {
    ski,
    publicKey,
    sign: (data) => new Uint8Array(remember(signed, Buffer.from(data).toString("base64"), () => new Uint8Array(sign("sha512", data, privateKey)))),
  };
}

/** createSignatureKeyFile — the `sigkey-add` equivalent: a new P-521 key, sealed under the password. */
export function createSignatureKeyFile(password: string): SignatureKeyFile {
  if (password.length === 0) throw new RangeError("a signature key password must not be empty");
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-521" });
  const der = privateKey.export({ format: "der", type: "sec1" });
  const pem = `-----BEGIN ${PEM_LABEL}-----\n${der.toString("base64").replace(/.{64}/g, "$&\n").trimEnd()}\n-----END ${PEM_LABEL}-----\n`;
  const salt = randomBytes(32).toString("hex");
  const nonce = randomBytes(NONCE_BYTES);
  const key = aesKeyFor(password, salt);
  try {
    const cipher = createCipheriv("aes-256-gcm", key, nonce);
    const sealed = Buffer.concat([nonce, cipher.update(pem, "utf8"), cipher.final(), cipher.getAuthTag()]);
    return { ski: subjectKeyIdentifier(publicKey), keyType: "p521ec", seaSalt: salt, enckey: sealed.toString("hex") };
  } finally {
    key.fill(0);
    der.fill(0);
  }
}

export function parseSignatureKeyFile(text: string, file: string): SignatureKeyFile {
  const json = parseJsonText(text, (detail, cause) => new SignatureKeyFileError(file, "malformed", detail, { cause }), "is not JSON; expected a TKE signature key file (N.sigkey)");
  if (typeof json === "object" && json !== null && (json as { format?: unknown }).format === KEY_PART_FILE_FORMAT) {
    throw new SignatureKeyFileError(file, "malformed", "is a master key part file (hpcs-mk keypart create), not a signature key: give an installed administrator's signature key file (N.sigkey)");
  }
  const parsed = signatureKeyFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new SignatureKeyFileError(file, "malformed", describeIssue(parsed.error));
  }
  if (parsed.data.keyType !== "p521ec") {
    throw new SignatureKeyFileError(file, "unsupportedKeyType", `has keyType "${parsed.data.keyType}"; only "p521ec" keys are supported (legacy RSA-2048 keys are not)`);
  }
  return parsed.data;
}

/** openSignatureKey — decrypts the file and checks the stored SKI against the key it holds. */
export function openSignatureKey(parsed: SignatureKeyFile, password: string, file: string): SignatureKey {
  const sealed = Buffer.from(parsed.enckey, "hex");
  if (sealed.length <= NONCE_BYTES + TAG_BYTES) throw new SignatureKeyFileError(file, "malformed", "field enckey: too short to hold a key");
  const key = aesKeyFor(password, parsed.seaSalt);
  let pem: string;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, sealed.subarray(0, NONCE_BYTES));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    pem = Buffer.concat([decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES)), decipher.final()]).toString("utf8");
  } catch (cause) {
    // GCM cannot tell a wrong password from a damaged file; TKE reports this case as "Invalid password." too.
    throw new SignatureKeyFileError(file, "wrongPassword", "the password is wrong (or the file is damaged)", { cause });
  } finally {
    key.fill(0);
  }
  const match = new RegExp(`-----BEGIN ${PEM_LABEL}-----([\\s\\S]*?)-----END ${PEM_LABEL}-----`).exec(pem);
  if (!match) throw new SignatureKeyFileError(file, "malformed", `does not hold a PEM "${PEM_LABEL}" block`);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: Buffer.from(match[1].replace(/\s+/g, ""), "base64"), format: "der", type: "sec1" });
  } catch (cause) {
    throw new SignatureKeyFileError(file, "malformed", "holds a key that is not a SEC1 EC private key", { cause });
  }
  const ski = subjectKeyIdentifier(createPublicKey(privateKey));
  if (ski !== parsed.ski.toLowerCase()) {
    throw new SignatureKeyFileError(file, "skiMismatch", `stores SKI ${parsed.ski.toLowerCase()} but holds the key with SKI ${ski} (Miscompare on saved and calculated Subject Key Identifier)`);
  }
  return signatureKeyFrom(privateKey, ski);
}

/** Parsed public keys by their SPKI text: a unit checks the same few administrators' signatures again and again. */
const publicKeys = new Map<string, KeyObject>();

function publicKeyFrom(spki: string): KeyObject {
  let key = publicKeys.get(spki);
  if (!key) {
    key = createPublicKey({ key: Buffer.from(spki, "base64"), format: "der", type: "spki" });
    if (publicKeys.size >= 64) publicKeys.clear();
    publicKeys.set(spki, key);
  }
  return key;
}

const verified = new Map<string, boolean>();

/** Checks an ECDSA P-521/SHA-512 signature against an SPKI DER public key (base64). A pure function: remembered. */
export function verifySignature(publicKey: string, data: Uint8Array, signature: Uint8Array): boolean {
  const key = `${publicKey}|${Buffer.from(data).toString("base64")}|${Buffer.from(signature).toString("base64")}`;
  return remember(verified, key, () => {
    try {
      return verify("sha512", data, publicKeyFrom(publicKey), signature);
    } catch {
      return false;
    }
  });
}
