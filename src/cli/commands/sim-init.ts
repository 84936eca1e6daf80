import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createSimulatedInstance, type SimulatedAdmin } from "../../backends/simulator";
import { KEY_PART_BYTES } from "../../model/key-parts";
import type { UnitType } from "../../model/registers";
import { createSignatureKeyFile, openSignatureKey } from "../../model/signature-key-file";
import { openKeyParts, type OpenedKeyParts } from "../../files/key-parts";
import type { Vp } from "../../model/vp";
import type { GlobalOptions } from "../argv";
import { cliConfig, displayPath } from "../config";
import type { CommandContext } from "../context";
import { keyPartRefs, newPassword } from "../credentials";
import type { Report } from "../report";

export interface SimInitOptions extends GlobalOptions {
  readonly instanceId: string | undefined;
  readonly operational: number | undefined;
  readonly recovery: number | undefined;
  readonly failover: number | undefined;
  readonly records: number | undefined;
  readonly admins: number | undefined;
  readonly signatureThreshold: number | undefined;
  readonly revocationThreshold: number | undefined;
  /** One variable for every administrator, or one per administrator in order. */
  readonly adminPasswordEnv: readonly string[];
  readonly keyDir: string | undefined;
  readonly initialKeyPart: readonly string[];
  readonly initialKeyPartPasswordEnv: readonly string[];
  readonly uninitialized: boolean;
}

export const SIM_INIT_DEFAULTS = { operational: 2, recovery: 2, failover: 0, admins: 2, records: 100 } as const;

export interface SimInitReport extends Report {
  readonly simDir: string;
  readonly instanceId: string;
  readonly units: readonly { readonly num: number; readonly id: string; readonly type: UnitType; readonly location: string; readonly selected: boolean }[];
  /** How the current master key was set: from key part files, a random key (as `auto-init` makes), or none. */
  readonly masterKey: "keyParts" | "random" | "none";
  readonly currentVp: Vp | null;
  readonly records: number;
  readonly thresholds: { readonly signature: number; readonly revocation: number };
  readonly administrators: readonly { readonly name: string; readonly signatureKeyFile: string }[];
}

/** The next free `N.sigkey` numbers in `dir`, as TKE's `sigkey-add` numbers its files (KEYNUM 1, 2, …). */
function freeSigkeyFiles(dir: string, count: number): string[] {
  const files: string[] = [];
  for (let n = 1; files.length < count; n++) {
    const file = join(dir, `${n}.sigkey`);
    if (!existsSync(file)) files.push(file);
  }
  return files;
}

/** Writes the administrators' signature key files; the caller removes them if the instance is not created. */
async function createAdminKeys(opts: SimInitOptions, ctx: CommandContext, keyDir: string, count: number): Promise<(SimulatedAdmin & { file: string })[]> {
  mkdirSync(keyDir, { recursive: true });
  const files = freeSigkeyFiles(keyDir, count);
  const admins: (SimulatedAdmin & { file: string })[] = [];
  const written: string[] = [];
  try {
    for (const [i, file] of files.entries()) {
      const password = await newPassword(ctx, {
        envVar: opts.adminPasswordEnv.length === 1 ? opts.adminPasswordEnv[0] : opts.adminPasswordEnv[i],
        flag: "--admin-password-env",
        subject: `signature key file ${file}`,
        prompt: `Enter a password to protect the signature key file ${file}:`,
      });
      const sealed = createSignatureKeyFile(password);
      writeFileSync(file, `${JSON.stringify(sealed)}\n`, { flag: "wx", mode: 0o600 });
      written.push(file);
      admins.push({ name: `ADMIN${file.match(/(\d+)\.sigkey$/)?.[1] ?? i + 1}`, file, publicKey: openSignatureKey(sealed, password, file).publicKey });
    }
    return admins;
  } catch (e) {
    written.forEach((f) => rmSync(f, { force: true }));
    throw e;
  }
}

/**
 * simInit — a simulated service instance, as if provisioned and initialised (`auto-init` or `mk-load` + `-commit` +
 * `-setimm`): administrators with real TKE signature key files, thresholds, a current master key from key part files
 * (or a random one, or none with --uninitialized) and key storage wrapped under it.
 */
export async function simInit(opts: SimInitOptions, ctx: CommandContext): Promise<SimInitReport> {
  const simDir = cliConfig(opts, ctx).simulatorDir;
  const keyDir = resolve(ctx.cwd, opts.keyDir ?? dirname(simDir));
  const adminCount = opts.admins ?? SIM_INIT_DEFAULTS.admins;
  const threshold = Math.min(2, adminCount);
  const thresholds = { signature: opts.signatureThreshold ?? threshold, revocation: opts.revocationThreshold ?? threshold };
  const masterKey = opts.uninitialized ? "none" : opts.initialKeyPart.length > 0 ? "keyParts" : "random";
  const refs = await keyPartRefs(ctx, opts.initialKeyPart, opts.initialKeyPartPasswordEnv, "--initial-key-part-password-env");
  const admins = await createAdminKeys(opts, ctx, keyDir, adminCount);
  const randomParts = masterKey === "random" ? [randomBytes(KEY_PART_BYTES), randomBytes(KEY_PART_BYTES)] : [];
  let initialParts: OpenedKeyParts | undefined;
  try {
    // The shell opens the key part files; the simulator is handed the values and reads no user files.
    initialParts = masterKey === "keyParts" ? openKeyParts(refs) : undefined;
    const keyPartValues = initialParts ? initialParts.parts.map((p) => p.value) : randomParts;
    const created = await createSimulatedInstance(simDir, {
      instanceId: opts.instanceId,
      shape: { operational: opts.operational ?? SIM_INIT_DEFAULTS.operational, recovery: opts.recovery ?? SIM_INIT_DEFAULTS.recovery, failover: opts.failover ?? SIM_INIT_DEFAULTS.failover },
      admins,
      thresholds,
      masterKey: masterKey === "none" ? undefined : { keyPartValues },
      records: masterKey === "none" ? 0 : (opts.records ?? SIM_INIT_DEFAULTS.records),
      // As in TKE, no unit starts selected: the first rotation selects them (cryptounit-add).
      selected: false,
    });
    return {
      command: "sim init",
      outcome: "ok",
      simDir,
      instanceId: created.instanceId,
      units: created.units.map((u, i) => ({ num: i + 1, id: u.id, type: u.type, location: u.location, selected: false })),
      masterKey,
      currentVp: created.currentVp ?? null,
      records: created.records,
      thresholds,
      administrators: admins.map((a) => ({ name: a.name, signatureKeyFile: displayPath(ctx.cwd, a.file) })),
    };
  } catch (e) {
    admins.forEach((a) => rmSync(a.file, { force: true }));
    throw e;
  } finally {
    randomParts.forEach((p) => p.fill(0));
    initialParts?.close();
  }
}
