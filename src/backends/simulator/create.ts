import { createHash, createPublicKey, randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { HpcsError, InputError } from "../../model/errors";
import { combineKeyParts } from "../../model/key-parts";
import { MAX_ADMIN_NAME_LENGTH, MAX_ADMINISTRATORS, shapeProblem, type UnitType } from "../../model/registers";
import { subjectKeyIdentifier } from "../../model/signature-key-file";
import { verificationPattern, type Vp } from "../../model/vp";
import type { UnitRef } from "../../engine/port/backend";
import { writeFileAtomic } from "../../files/atomic-file";
import { holding, INSTANCE_FORMAT, INSTANCE_VERSION, type AdminState, type InstanceState, type UnitState } from "./instance-state";
import { DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE, writeNewRecords } from "./keystore";
import { chunkFileName, INSTANCES, instanceDir, KEYSTORE, serializeState, STATE_FILE } from "./state-store";

/**
 * An administrator to install: a name and a public key (base64 SPKI DER). The simulator reads no user files: a shell
 * that installs the administrators of signature key files opens them first (`hpcs-mk sim init` does).
 */
export interface SimulatedAdmin {
  readonly name: string;
  readonly publicKey: string;
}

export interface CreateSimulatedInstanceOptions {
  /** Default: a random UUID, as HPCS instance GUIDs are. */
  readonly instanceId?: string;
  /** Default `us-south`. Recovery and failover units go to its paired region as well. */
  readonly region?: string;
  /** Default 2 operational, 2 recovery, 0 failover. */
  readonly shape?: { readonly operational: number; readonly recovery: number; readonly failover: number };
  /** Installed in every unit. Default none. */
  readonly admins?: readonly SimulatedAdmin[];
  /** Default 0/0: imprint mode. Otherwise both 1–8 and no more than the number of admins. */
  readonly thresholds?: { readonly signature: number; readonly revocation: number };
  /**
   * The initial current master key in every unit, as the values of its key parts (a shell opens key part files
   * first). Without it the instance is uninitialized (current Empty).
   */
  readonly masterKey?: { readonly keyPartValues: readonly Uint8Array[] };
  /** Key storage records wrapped under the initial master key. Default 0. */
  readonly records?: number;
  readonly chunkSize?: number;
  /** Whether the workstation selection includes the units from the start. Default false, as in TKE. */
  readonly selected?: boolean;
  /**
   * Accept shapes HPCS does not provision (e.g. one operational unit), for safety checks that sweep instance shapes
   * beyond the product's. Still at least one operational unit.
   */
  readonly anyShape?: boolean;
}

export interface SimulatedInstance {
  readonly dir: string;
  readonly instanceId: string;
  readonly units: readonly UnitRef[];
  /** The current master key's VP, when one was loaded. */
  readonly currentVp?: Vp;
  readonly records: number;
}

const optionsSchema = z.object({
  instanceId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, "use letters, digits, '.', '_' and '-' (a GUID, typically)").optional(),
  region: z.string().regex(/^[a-z]{2}-[a-z]+$/, "expected an IBM Cloud region such as us-south").default("us-south"),
  shape: z.object({ operational: z.number().int(), recovery: z.number().int(), failover: z.number().int() }).default({ operational: 2, recovery: 2, failover: 0 }),
  thresholds: z.object({ signature: z.number().int().min(0).max(8), revocation: z.number().int().min(0).max(8) }).default({ signature: 0, revocation: 0 }),
  records: z.number().int().min(0).max(10_000_000).default(0),
  chunkSize: z.number().int().min(1).max(MAX_CHUNK_SIZE, `at most ${MAX_CHUNK_SIZE} records per chunk: a chunk is rewrapped in one locked transaction, which must stay far shorter than the lock's stale time`).default(DEFAULT_CHUNK_SIZE),
  selected: z.boolean().default(false),
  anyShape: z.boolean().default(false),
});

/** Disaster-recovery pairs for recovery and failover units (research §1.1); unknown regions pair with us-east. */
const PAIRED_REGION: Record<string, string> = { "us-south": "us-east", "us-east": "us-south", "eu-de": "eu-gb", "eu-gb": "eu-de", "jp-tok": "au-syd", "au-syd": "jp-tok" };

function invalid(message: string, field: string): never {
  throw new InputError(`${field}: ${message}`, field);
}

function parseOptions(options: CreateSimulatedInstanceOptions) {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    invalid(issue.message, issue.path.join(".") || "options");
  }
  const o = parsed.data;
  const problem = o.anyShape ? (o.shape.operational >= 1 && o.shape.recovery >= 0 && o.shape.failover >= 0 ? undefined : "at least one operational unit is needed") : shapeProblem(o.shape);
  if (problem) invalid(problem, "shape");
  if (o.region === "eu-es" && o.shape.recovery > 0) invalid("recovery crypto units are not available in Madrid (eu-es): give recovery 0", "shape.recovery");
  const imprint = o.thresholds.signature === 0 && o.thresholds.revocation === 0;
  if (!imprint && (o.thresholds.signature === 0 || o.thresholds.revocation === 0)) {
    invalid("leaving imprint mode needs both the signature and the revocation threshold between 1 and 8 (0/0 means imprint mode)", "thresholds");
  }
  if (options.masterKey && imprint) invalid("a master key cannot be loaded in imprint mode; set thresholds first", "masterKey");
  if (o.records > 0 && !options.masterKey) invalid("key storage records need a current master key to be wrapped under; give masterKey", "records");
  return { ...o, imprint };
}

function openAdmin(admin: SimulatedAdmin, index: number): AdminState {
  const field = `admins[${index}]`;
  if (typeof admin.name !== "string" || admin.name.length === 0 || admin.name.length > MAX_ADMIN_NAME_LENGTH) {
    invalid(`An administrator name must be 1 to ${MAX_ADMIN_NAME_LENGTH} characters`, `${field}.name`);
  }
  try {
    const key = createPublicKey({ key: Buffer.from(admin.publicKey, "base64"), format: "der", type: "spki" });
    return { name: admin.name, ski: subjectKeyIdentifier(key), publicKey: admin.publicKey };
  } catch (cause) {
    throw new InputError(`${field}.publicKey: expected a base64 SPKI DER EC P-521 public key`, `${field}.publicKey`, { cause });
  }
}

function openAdmins(admins: readonly SimulatedAdmin[], thresholds: { signature: number; revocation: number }): AdminState[] {
  if (admins.length > MAX_ADMINISTRATORS) invalid(`No more than ${MAX_ADMINISTRATORS} administrators can be specified, not ${admins.length}`, "admins");
  const opened = admins.map(openAdmin);
  opened.forEach((a, i) => {
    if (opened.findIndex((o) => o.ski === a.ski) !== i) invalid("Signature keys are not unique. The same signature key is specified for more than one administrator.", `admins[${i}]`);
  });
  if (thresholds.signature > opened.length) invalid("Not enough administrators are specified to meet the signature threshold value.", "thresholds.signature");
  if (thresholds.revocation > opened.length) invalid("Not enough administrators are specified to meet the revocation threshold value.", "thresholds.revocation");
  return opened;
}

/** The combined master key; the caller zeroes it. */
function openMasterKey(masterKey: NonNullable<CreateSimulatedInstanceOptions["masterKey"]>): Uint8Array {
  try {
    return combineKeyParts(masterKey.keyPartValues);
  } catch (e) {
    if (e instanceof InputError) {
      const detail = e.message.startsWith(`${e.field}: `) ? e.message.slice(e.field.length + 2) : e.message;
      throw new InputError(`masterKey.${e.field}: ${detail}`, `masterKey.${e.field}`, { cause: e });
    }
    throw e;
  }
}

/** Plausible IBM locations, `[region].[zone].[module].[domain]`, distinct per instance and unit. */
function unitLocations(instanceId: string, region: string, shape: { operational: number; recovery: number; failover: number }): { type: UnitType; location: string }[] {
  const backup = PAIRED_REGION[region] ?? "us-east";
  const base = createHash("sha256").update(instanceId).digest()[0] % 40;
  const two = (n: number) => String(n).padStart(2, "0");
  const at = (type: UnitType, where: string, i: number, offset: number) => ({
    type,
    location: `[${where}].[AZ${i + 1}-CS${i + 1}].[${two(2 + ((i + offset) % 6))}].[${two(base + offset + i)}]`,
  });
  return [
    ...Array.from({ length: shape.operational }, (_, i) => at("operational", region, i, 0)),
    ...Array.from({ length: shape.recovery }, (_, i) => at("recovery", i === 0 ? region : backup, i, 10)),
    ...Array.from({ length: shape.failover }, (_, i) => at("failover", backup, i, 20)),
  ];
}

/**
 * createSimulatedInstance — provisions a simulated HPCS instance in `dir`: units of the given shape, the same
 * admins and thresholds in every unit, optionally a current master key and key storage wrapped under it. Bad input
 * raises an InputError naming the field, and leaves `dir` as it was. The instance appears atomically (built aside,
 * then renamed into place).
 */
export async function createSimulatedInstance(dir: string, options: CreateSimulatedInstanceOptions = {}): Promise<SimulatedInstance> {
  const o = parseOptions(options);
  const instanceId = o.instanceId ?? randomUUID();
  const target = instanceDir(dir, instanceId);
  if (existsSync(target)) invalid(`service instance ${instanceId} already exists in ${dir}`, "instanceId");
  const admins = openAdmins(options.admins ?? [], o.thresholds);
  const key = options.masterKey ? openMasterKey(options.masterKey) : undefined;
  const staging = join(dir, INSTANCES, `.creating-${randomBytes(6).toString("hex")}`);
  try {
    const currentVp = key ? verificationPattern(key) : undefined;
    const units: UnitState[] = unitLocations(instanceId, o.region, o.shape).map(({ type, location }) => ({
      id: randomUUID(),
      type,
      location,
      selected: o.selected,
      thresholds: { ...o.thresholds },
      admins,
      transactionCounter: 0,
      current: key ? holding("Valid", key) : { status: "Empty" },
      new: { status: "Empty" },
    }));
    mkdirSync(join(staging, KEYSTORE), { recursive: true });
    const chunks = key && currentVp && o.records > 0 ? writeNewRecords(o.records, o.chunkSize, key, currentVp, (i) => join(staging, KEYSTORE, chunkFileName(i))) : 0;
    const state: InstanceState = {
      format: INSTANCE_FORMAT,
      version: INSTANCE_VERSION,
      instanceId,
      units,
      keystore: { records: o.records, chunkSize: o.chunkSize, chunks },
      rewrap: { state: "none" },
      faults: [],
      lease: null,
      generation: 0,
    };
    writeFileAtomic(join(staging, STATE_FILE), serializeState(state));
    try {
      renameSync(staging, target);
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      if (code === "ENOTEMPTY" || code === "EEXIST") invalid(`service instance ${instanceId} already exists in ${dir}`, "instanceId");
      throw new HpcsError(`cannot create simulated instance ${instanceId} in ${dir}`, { cause });
    }
    return { dir, instanceId, units: units.map(({ id, type, location }) => ({ id, type, location })), currentVp, records: o.records };
  } finally {
    key?.fill(0);
    rmSync(staging, { recursive: true, force: true });
  }
}
