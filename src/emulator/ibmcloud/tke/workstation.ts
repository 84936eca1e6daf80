import { createCipheriv, createDecipheriv, pbkdf2Sync, randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { verificationPattern } from "../../../model/vp";
import { openSignatureKey, parseSignatureKeyFile, type SignatureKey, type SignatureKeyFile } from "../../../model/signature-key-file";

/**
 * The TKE workstation: the files in `$CLOUDTKEFILES` (research/tke-domain.md §2.1). Signature keys are TKE's own
 * `N.sigkey` files (their format is public); KEYNUM is N. What the plug-in keeps besides is not public, so the
 * emulator keeps it in files of its own, named here: master key parts (`N.keypart`, sealed as signature keys are:
 * PBKDF2-SHA256 and AES-GCM, research §7.2 [I]), the signature keys selected with `sigkey-sel`, and the crypto unit
 * selection (`DOMAINS`, the name the SDK gives the plug-in's file).
 */
export class WorkstationError extends Error {}

export function workstationDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.CLOUDTKEFILES;
  if (!dir || !existsSync(dir)) throw new WorkstationError("The CLOUDTKEFILES environment variable must be set to an existing directory where the TKE files are saved.");
  return dir;
}

const numbered = (dir: string, ext: string) =>
  readdirSync(dir)
    .map((name) => ({ name, match: new RegExp(`^(\\d+)\\.${ext}$`).exec(name) }))
    .filter((f): f is { name: string; match: RegExpExecArray } => f.match !== null)
    .map((f) => ({ keynum: Number(f.match[1]), file: join(dir, f.name) }))
    .sort((a, b) => a.keynum - b.keynum);

const nextKeynum = (dir: string, ext: string) => Math.max(0, ...numbered(dir, ext).map((f) => f.keynum)) + 1;

// Signature keys ----------------------------------------------------------------------------------------------------

export interface StoredSigkey {
  readonly keynum: number;
  readonly file: string;
  readonly sealed: SignatureKeyFile;
  /** The administrator name given at sigkey-add, kept in the file (not a field TKE documents). */
  readonly description: string;
}

export function listSigkeys(dir: string): StoredSigkey[] {
  return numbered(dir, "sigkey").map(({ keynum, file }) => {
    const sealed = parseSignatureKeyFile(readFileSync(file, "utf8"), file);
    const description = typeof sealed.description === "string" ? sealed.description : "";
    return { keynum, file, sealed, description };
  });
}

export function addSigkey(dir: string, sealed: SignatureKeyFile, description: string): number {
  const keynum = nextKeynum(dir, "sigkey");
  writeFileSync(join(dir, `${keynum}.sigkey`), JSON.stringify({ ...sealed, description }), { mode: 0o600 });
  return keynum;
}

export function openSigkey(key: StoredSigkey, password: string): SignatureKey | undefined {
  try {
    return openSignatureKey(key.sealed, password, key.file);
  } catch {
    return undefined;
  }
}

const SELECTED_SIGKEYS = "SIGKEYS_SELECTED";

export function selectedSigkeys(dir: string): number[] {
  const file = join(dir, SELECTED_SIGKEYS);
  if (!existsSync(file)) return [];
  const keynums = z.array(z.number().int()).safeParse(JSON.parse(readFileSync(file, "utf8")));
  const present = new Set(listSigkeys(dir).map((k) => k.keynum));
  return keynums.success ? keynums.data.filter((n) => present.has(n)) : [];
}

export function selectSigkeys(dir: string, keynums: readonly number[]): void {
  writeFileSync(join(dir, SELECTED_SIGKEYS), JSON.stringify([...keynums]));
}

// Master key parts --------------------------------------------------------------------------------------------------

const keyPartSchema = z.object({
  format: z.literal("tke-emulator-keypart"),
  description: z.string(),
  verificationPattern: z.string(),
  seaSalt: z.string(),
  enckey: z.string(),
});
type KeyPartFile = z.infer<typeof keyPartSchema>;

export interface StoredKeyPart {
  readonly keynum: number;
  readonly file: string;
  readonly description: string;
  readonly vp: string;
  readonly sealed: KeyPartFile;
}

const aesKey = (password: string, salt: string) => pbkdf2Sync(password, Buffer.from(salt, "hex"), 4096, 32, "sha256");

export function listKeyParts(dir: string): StoredKeyPart[] {
  return numbered(dir, "keypart").flatMap(({ keynum, file }) => {
    const parsed = keyPartSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
    return parsed.success ? [{ keynum, file, description: parsed.data.description, vp: parsed.data.verificationPattern, sealed: parsed.data }] : [];
  });
}

export function addKeyPart(dir: string, value: Uint8Array, description: string, password: string): number {
  const salt = randomBytes(32).toString("hex");
  const nonce = randomBytes(12);
  const key = aesKey(password, salt);
  try {
    const cipher = createCipheriv("aes-256-gcm", key, nonce);
    const enckey = Buffer.concat([nonce, cipher.update(value), cipher.final(), cipher.getAuthTag()]).toString("hex");
    const keynum = nextKeynum(dir, "keypart");
    const sealed: KeyPartFile = { format: "tke-emulator-keypart", description, verificationPattern: verificationPattern(value), seaSalt: salt, enckey };
    writeFileSync(join(dir, `${keynum}.keypart`), JSON.stringify(sealed), { mode: 0o600 });
    return keynum;
  } finally {
    key.fill(0);
  }
}

/** The part's value, or undefined when the password is wrong. The caller zeroes it. */
export function openKeyPart(part: StoredKeyPart, password: string): Uint8Array | undefined {
  const sealed = Buffer.from(part.sealed.enckey, "hex");
  const key = aesKey(password, part.sealed.seaSalt);
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, sealed.subarray(0, 12));
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    return new Uint8Array(Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]));
  } catch {
    return undefined;
  } finally {
    key.fill(0);
  }
}

export function removeKeyPart(part: StoredKeyPart): void {
  rmSync(part.file);
}

// Crypto unit selection ---------------------------------------------------------------------------------------------

const DOMAINS = "DOMAINS";
const domainsSchema = z.array(z.object({ hsm_id: z.string(), crypto_instance_id: z.string(), location: z.string(), type: z.string(), selected: z.boolean() }));
export type DomainEntry = z.infer<typeof domainsSchema>[number];

export function readDomains(dir: string): DomainEntry[] {
  const file = join(dir, DOMAINS);
  if (!existsSync(file)) return [];
  const parsed = domainsSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
  return parsed.success ? parsed.data : [];
}

export function writeDomains(dir: string, entries: readonly DomainEntry[]): void {
  writeFileSync(join(dir, DOMAINS), `${JSON.stringify(entries, null, 2)}\n`);
}
