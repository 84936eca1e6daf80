import type { RewrapStatus, UnitStatus } from "../../engine/port/backend";
import {
  armFault,
  clearFaults,
  describeSimulatedInstance,
  faultSpecSchema,
  listArmedFaults,
  listSimulatedInstances,
  verifyKeyStorage,
  type ArmedFault,
  type FaultSpec,
} from "../../backends/simulator";
import { resolve } from "node:path";
import { installEmulator } from "../../emulator/ibmcloud/install";
import { startTkeApiEmulator, type RequestRecord } from "../../emulator/tke-api/server";
import { InputError } from "../../model/errors";
import type { Vp } from "../../model/vp";
import { kebab, type GlobalOptions } from "../argv";
import { cliConfig } from "../config";
import type { CommandContext } from "../context";
import { UsageError } from "../errors";
import type { Report } from "../report";
import type { UnitNum } from "../../format/unit-labels";

/** Commands on the simulator itself (not TKE commands): inspect an instance, arm faults, verify key storage. */

export interface SimTarget extends GlobalOptions {
  /** Optional when the simulator directory holds exactly one instance. */
  readonly instance: string | undefined;
}

/** The simulator directory and the instance a `sim` command works on. */
function target(opts: SimTarget, ctx: CommandContext): { dir: string; instanceId: string } {
  const dir = cliConfig(opts, ctx).simulatorDir;
  if (opts.instance !== undefined) return { dir, instanceId: opts.instance };
  const known = listSimulatedInstances(dir);
  if (known.length === 1) return { dir, instanceId: known[0] };
  if (known.length === 0) throw new InputError(`the simulator directory ${dir} holds no instances; create one with "hpcs-mk sim init"`, "instance");
  throw new UsageError(`the simulator directory ${dir} holds ${known.length} instances (${known.join(", ")}); add --instance ID`);
}

export type SimShowReport = Report & {
  readonly simDir: string;
  readonly instanceId: string;
  readonly units: readonly (UnitStatus & { readonly num: number; readonly transactionCounter: number })[];
  readonly keyStorage: { readonly records: number; readonly chunks: number };
  readonly rewrap: RewrapStatus;
  readonly faults: readonly ArmedFault[];
  readonly lease: { readonly owner: string; readonly expiresAt: string } | null;
};

/** simShow — the simulated instance as stored: units with transaction counters, key storage, rewrap job, faults, lease. */
export async function simShow(opts: SimTarget, ctx: CommandContext): Promise<SimShowReport> {
  const { dir, instanceId } = target(opts, ctx);
  const summary = describeSimulatedInstance(dir, instanceId);
  return { command: "sim show", outcome: "ok", simDir: dir, ...summary, units: summary.units.map((u, i) => ({ ...u, num: i + 1 })) };
}

export interface SimFaultOptions extends SimTarget {
  readonly kind: string | undefined;
  readonly when: string | undefined;
  readonly command: string | undefined;
  /** An HSM id, or a CRYPTO UNIT NUM as `status` and `sim show` number them. */
  readonly unit: string | undefined;
  readonly skip: number | undefined;
  readonly times: number | undefined;
  readonly afterRecords: number | undefined;
  readonly promoted: number | undefined;
  readonly clear: boolean;
  readonly list: boolean;
}

export type SimFaultReport = Report & {
  readonly instanceId: string;
  /** The instance's units by CRYPTO UNIT NUM, to read the unit a fault is bound to. */
  readonly units: readonly UnitNum[];
  readonly action: "armed" | "cleared" | "listed";
  readonly faults: readonly ArmedFault[];
  readonly cleared?: number;
};

const FAULT_FIELDS = ["kind", "when", "command", "unit", "skip", "times", "afterRecords", "promoted"] as const;

/** The fault spec the flags describe (absent flags left out, so the schema's defaults apply). */
export function faultSpecFrom(opts: Pick<SimFaultOptions, (typeof FAULT_FIELDS)[number]>): Record<string, unknown> {
  return Object.fromEntries(FAULT_FIELDS.filter((f) => opts[f] !== undefined).map((f) => [f, opts[f]]));
}

/** Which flags a fault kind takes, from the schema: one source of truth for the message and the check. */
const FAULT_KINDS = faultSpecSchema.options.map((o) => o.shape.kind.value);

/**
 * faultSpecProblem — the usage message for flags that do not make a valid fault, in flag words. Pure; `validate` in
 * the command table calls it so bad combinations are usage errors (exit 2) before anything is read.
 */
export function faultSpecProblem(opts: SimFaultOptions): string | undefined {
  const arming = FAULT_FIELDS.filter((f) => opts[f] !== undefined).map((f) => `--${kebab(f)}`);
  if (opts.clear && opts.list) return "--clear and --list cannot be combined";
  if (opts.clear || opts.list) return arming.length > 0 ? `${opts.clear ? "--clear" : "--list"} takes no fault flags (${arming.join(", ")})` : undefined;
  if (opts.kind === undefined) return `sim fault needs --kind (${FAULT_KINDS.join(", ")}), or --list or --clear`;
  const parsed = faultSpecSchema.safeParse(faultSpecFrom(opts));
  if (parsed.success) return undefined;
  const issue = parsed.error.issues[0];
  if (issue.code === "unrecognized_keys") return `${issue.keys.map((k) => `--${kebab(k)}`).join(", ")} does not apply to --kind ${opts.kind}`;
  const flag = `--${kebab(String(issue.path[0] ?? "kind"))}`;
  if (issue.code === "invalid_union") return `--kind must be one of ${FAULT_KINDS.join(", ")}, not "${opts.kind}"`;
  if (issue.code === "invalid_value") {
    const given = opts[issue.path[0] as keyof SimFaultOptions];
    return given === undefined ? `--kind ${opts.kind} needs ${flag} (${issue.values.join(" or ")})` : `${flag} for --kind ${opts.kind} must be one of ${issue.values.join(", ")}, not "${String(given)}"`;
  }
  return `${flag}: ${issue.message}`;
}

function resolveUnit(units: readonly UnitNum[], instanceId: string, unit: string): string {
  const byNum = /^\d+$/.test(unit) ? units[Number(unit) - 1] : undefined;
  const found = byNum ?? units.find((u) => u.id === unit);
  if (!found) throw new InputError(`--unit ${unit} is neither a CRYPTO UNIT NUM (1–${units.length}) nor an HSM id of instance ${instanceId}`, "unit");
  return found.id;
}

/** simFault — arms a fault in the persisted instance (every process using it meets it), lists or clears them. */
export async function simFault(opts: SimFaultOptions, ctx: CommandContext): Promise<SimFaultReport> {
  const { dir, instanceId } = target(opts, ctx);
  const units = describeSimulatedInstance(dir, instanceId).units.map((u, i) => ({ num: i + 1, id: u.id }));
  const base = { command: "sim fault", outcome: "ok" as const, instanceId, units };
  if (opts.list) return { ...base, action: "listed", faults: listArmedFaults(dir, instanceId) };
  if (opts.clear) {
    const cleared = await clearFaults(dir, instanceId);
    return { ...base, action: "cleared", cleared, faults: [] };
  }
  const spec = { ...faultSpecFrom(opts), ...(opts.unit === undefined ? {} : { unit: resolveUnit(units, instanceId, opts.unit) }) } as FaultSpec;
  await armFault(dir, instanceId, spec);
  return { ...base, action: "armed", faults: listArmedFaults(dir, instanceId) };
}

export type SimVerifyReport = Report & {
  readonly instanceId: string;
  readonly records: number;
  /** Records per VP, with the units whose current or new register holds that key. */
  readonly byVp: readonly { readonly vp: Vp; readonly records: number; readonly current: readonly number[]; readonly new: readonly number[] }[];
  readonly problems: readonly string[];
};

/** simVerify — decrypts every key storage record with the key its VP names; fails if any record is unreadable. */
export async function simVerify(opts: SimTarget, ctx: CommandContext): Promise<SimVerifyReport> {
  const { dir, instanceId } = target(opts, ctx);
  const report = await verifyKeyStorage(dir, instanceId);
  const units = describeSimulatedInstance(dir, instanceId).units;
  const holding = (vp: Vp, register: "current" | "new") => units.flatMap((u, i) => (u[register].status !== "Empty" && u[register].vp === vp ? [i + 1] : []));
  return {
    command: "sim verify",
    outcome: report.problems.length === 0 ? "ok" : "failed",
    instanceId,
    records: report.records,
    byVp: Object.entries(report.byVp).map(([vp, records]) => ({ vp, records, current: holding(vp, "current"), new: holding(vp, "new") })),
    problems: report.problems,
  };
}

/** The simulator directory an emulator serves: it must hold an instance, or there is nothing to emulate. */
function simDirWithInstances(opts: GlobalOptions, ctx: CommandContext): string {
  const simDir = cliConfig(opts, ctx).simulatorDir;
  if (listSimulatedInstances(simDir).length === 0) throw new InputError(`the simulator directory ${simDir} holds no instances; create one with "hpcs-mk sim init" first`, "simDir");
  return simDir;
}

export interface SimIbmcloudOptions extends GlobalOptions {
  readonly out: string;
}

export type SimIbmcloudReport = Report & {
  readonly simDir: string;
  readonly executable: string;
  readonly home: string;
  /** The settings that point the TKE CLI backend at the emulator, as environment variables. */
  readonly environment: Readonly<Record<string, string>>;
};

/**
 * simIbmcloud — writes an emulated IBM Cloud CLI with the tke plug-in over the simulator directory: for rehearsing the
 * TKE CLI backend (HPCS_BACKEND=tke-cli) and IBM's manual runbook on a simulated instance.
 */
export async function simIbmcloud(opts: SimIbmcloudOptions, ctx: CommandContext): Promise<SimIbmcloudReport> {
  const simDir = simDirWithInstances(opts, ctx);
  const installed = installEmulator(resolve(ctx.cwd, opts.out), simDir);
  return {
    command: "sim ibmcloud",
    outcome: "ok",
    simDir,
    executable: installed.executable,
    home: installed.home,
    environment: { HPCS_BACKEND: "tke-cli", HPCS_IBMCLOUD: installed.executable, IBMCLOUD_HOME: installed.home, HPCS_REGION: "us-south", HPCS_RESOURCE_GROUP: "default" },
  };
}

export interface SimTkeApiOptions extends GlobalOptions {
  readonly port: number | undefined;
}

export type SimTkeApiReport = Report & {
  readonly simDir: string;
  readonly url: string;
  readonly rootsFile: string;
  /** Requests it answered, by route, while it ran. */
  readonly requests: Readonly<Record<string, number>>;
};

/**
 * simTkeApi — serves the simulator directory as IBM's TKE HTTP API and IAM on 127.0.0.1 until interrupted: for
 * rehearsing the tke-api backend. What to set in a stack is printed as progress as soon as it listens, then a line
 * for every request it serves.
 */
export async function simTkeApi(opts: SimTkeApiOptions, ctx: CommandContext): Promise<SimTkeApiReport> {
  const simDir = simDirWithInstances(opts, ctx);
  const describe = (r: RequestRecord) => (r.route === "iam" ? "IAM token" : r.route === "hsms" ? "GET /hsms" : `POST /hsms/${r.unit ?? ""}`);
  const emulator = await startTkeApiEmulator({ simDir, port: opts.port, onRequest: (r) => ctx.progress(`served ${describe(r)}`) });
  try {
    ctx.progress(`The TKE API emulator listens on ${emulator.url} over ${simDir}. Point a stack at it (stack config only):`);
    for (const [key, value] of [["hpcs:backend", "tke-api"], ["hpcs:region", "us-south"], ["hpcs:tkeApiTestEndpoint", emulator.url], ["hpcs:tkeApiTestRootsFile", emulator.rootsFile]]) ctx.progress(`  pulumi config set ${key} ${value}`);
    ctx.progress("  pulumi config set --secret hpcs:apiKey <any key>");
    ctx.progress("Ctrl-C stops it.");
    await ctx.untilInterrupted();
  } finally {
    await emulator.close();
  }
  const requests: Record<string, number> = {};
  for (const r of emulator.requests) requests[r.route] = (requests[r.route] ?? 0) + 1;
  return { command: "sim tke-api", outcome: "ok", simDir, url: emulator.url, rootsFile: emulator.rootsFile, requests };
}
