import { randomBytes } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { basename, dirname, extname } from "node:path";
import { writeNewFile } from "../../files/atomic-file";
import { readKeyPartFile } from "../../files/key-parts";
import { hasUnprintable } from "../../format/printable";
import { InputError } from "../../model/errors";
import { KEY_PART_BYTES } from "../../model/key-parts";
import { sealKeyPart } from "../../model/key-part-file";
import type { Vp } from "../../model/vp";
import type { GlobalOptions } from "../argv";
import type { CommandContext } from "../context";
import { newPassword, readSecret } from "../credentials";
import type { Report } from "../report";

export interface KeypartCreateOptions extends GlobalOptions {
  readonly out: string;
  readonly description: string | undefined;
  /** Prompt for the value (TKE `mk-add --value`) instead of generating it. */
  readonly value: boolean;
  /** Read the value, 64 hex characters, from this environment variable. */
  readonly valueEnv: string | undefined;
  /** Generate a random value (TKE `mk-add --random`); the default. */
  readonly random: boolean;
  readonly passwordEnv: string | undefined;
}

export interface KeypartCreateReport extends Report {
  readonly file: string;
  readonly description: string;
  readonly verificationPattern: Vp;
  readonly source: "random" | "value";
}

async function keyPartValue(opts: KeypartCreateOptions, ctx: CommandContext): Promise<Uint8Array> {
  if (!opts.value && opts.valueEnv === undefined) return new Uint8Array(randomBytes(KEY_PART_BYTES));
  const text = await readSecret(ctx, { envVar: opts.valueEnv, flag: "--value-env", subject: "the key part value", prompt: "Enter the key part value:" });
  const hex = text.trim();
  // Never echo the text: it is (meant to be) a secret.
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new InputError(`the key part value must be ${KEY_PART_BYTES * 2} hexadecimal characters (${KEY_PART_BYTES} bytes); the value given is not`, "value");
  return new Uint8Array(Buffer.from(hex, "hex"));
}

/**
 * keypartCreate — the `mk-add` equivalent: a new key part file, sealed under a password. Never overwrites a file:
 * a key part file is the only copy of that part, and losing it loses the master key it makes.
 */
export async function keypartCreate(opts: KeypartCreateOptions, ctx: CommandContext): Promise<KeypartCreateReport> {
  const exists = () => new InputError(`${opts.out} already exists; key part files are never overwritten (a lost part loses its master key): choose another --out`, "out");
  // Checked before any prompt; the exclusive create below closes the race.
  if (existsSync(opts.out)) throw exists();
  const folder = dirname(opts.out);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new InputError(`--out ${opts.out}: the directory ${folder} does not exist; create it first, or give a path in an existing directory`, "out");
  }
  const description = opts.description ?? basename(opts.out, extname(opts.out));
  if (hasUnprintable(description)) throw new InputError("--description must not hold control or bidirectional formatting characters: it is shown to the people who type the password", "description");
  const value = await keyPartValue(opts, ctx);
  try {
    const password = await newPassword(ctx, {
      envVar: opts.passwordEnv,
      flag: "--password-env",
      subject: `key part file ${opts.out}`,
      prompt: "Enter a password to protect the key part:",
    });
    const sealed = sealKeyPart(value, password, { description });
    try {
      // Durable with its directory entry before we say it exists: it is the only copy of this part.
      writeNewFile(opts.out, `${JSON.stringify(sealed, null, 2)}\n`);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EEXIST") throw exists();
      if (code === "EACCES" || code === "EROFS") throw new InputError(`--out ${opts.out}: this user may not create files in ${folder}; give a path in a directory you can write to`, "out");
      if (code === "ENOSPC") throw new InputError(`--out ${opts.out}: the disk is full; nothing was written (free some space, or give a path on another disk)`, "out");
      throw e;
    }
    return { command: "keypart create", outcome: "ok", file: opts.out, description, verificationPattern: sealed.verificationPattern, source: opts.value || opts.valueEnv ? "value" : "random" };
  } finally {
    value.fill(0);
  }
}

export interface KeypartShowOptions extends GlobalOptions {
  readonly files: readonly string[];
}

export type KeypartEntry =
  | { readonly keynum: number; readonly file: string; readonly description: string; readonly verificationPattern: Vp }
  | { readonly keynum: number; readonly file: string; readonly error: string };

export interface KeypartShowReport extends Report {
  readonly keyParts: readonly KeypartEntry[];
}

/** keypartShow — the `mks` equivalent: description and VP of each file. Never decrypts, so it needs no password. */
export async function keypartShow(opts: KeypartShowOptions): Promise<KeypartShowReport> {
  const keyParts = opts.files.map((file, i): KeypartEntry => {
    try {
      const parsed = readKeyPartFile(file);
      return { keynum: i + 1, file, description: parsed.description, verificationPattern: parsed.verificationPattern };
    } catch (e) {
      return { keynum: i + 1, file, error: (e as Error).message };
    }
  });
  return { command: "keypart show", outcome: keyParts.some((k) => "error" in k) ? "failed" : "ok", keyParts };
}
