import { z } from "zod";
import { CURRENT_STATUSES, NEW_STATUSES, UNIT_TYPES } from "../../model/registers";
import { isVp, verificationPattern, type Vp } from "../../model/vp";
import { armedFaultSchema } from "./faults";

/**
 * The persisted state of one simulated HPCS instance: `instances/<instance-id>/instance.json`.
 *
 * It holds what the crypto units hold (register key bytes, thresholds, admins, transaction counters), what the TKE
 * workstation holds (the `selected` flag per unit), the key storage job (`rewrap`) and the simulator's own
 * machinery (armed faults, the lease). Key storage records live apart, in chunk files (see keystore.ts).
 *
 * NOTE: this file holds master key bytes in clear: it is a simulator. Nothing that reads it for output (queries,
 * `describeSimulatedInstance`) may return the `key` fields.
 */
export const INSTANCE_FORMAT = "hpcs-sim-instance";
export const INSTANCE_VERSION = 1;

const hexKey = z.string().regex(/^[0-9a-f]{64}$/, "expected a 32-byte key as 64 lower-case hex characters");
const vpSchema = z.string().refine(isVp, "expected a 64-character lower-case hex verification pattern");

/** A register that holds a key keeps its VP too, so the file reads like TKE output; the pair must agree. */
function keyWithVp<S extends string>(status: z.ZodType<S>) {
  return z
    .object({ status, key: hexKey, vp: vpSchema })
    .refine((r) => verificationPattern(Buffer.from(r.key, "hex")) === r.vp, { message: "vp does not match key", path: ["vp"] });
}

const emptyRegister = z.object({ status: z.literal("Empty") });

const currentRegisterState = z.union([emptyRegister, keyWithVp(z.literal(CURRENT_STATUSES[1]))]);
const newRegisterState = z.union([emptyRegister, keyWithVp(z.enum([NEW_STATUSES[1], NEW_STATUSES[2]]))]);

const adminState = z.object({
  ski: z.string().regex(/^[0-9a-f]{64}$/),
  name: z.string().min(1).max(30),
  /** SPKI DER, base64: what the simulated HSM verifies signatures with. */
  publicKey: z.string().min(1),
});
export type AdminState = z.infer<typeof adminState>;

const unitState = z.object({
  id: z.string().uuid(),
  type: z.enum(UNIT_TYPES),
  location: z.string().regex(/^\[[^\]]+\]\.\[[^\]]+\]\.\[\d{2}\]\.\[\d{2}\]$/, "expected [region].[zone].[NN].[NN]"),
  /** Workstation state (cryptounit-add / cryptounit-rm), not HSM state. */
  selected: z.boolean(),
  thresholds: z.object({ signature: z.number().int().min(0).max(8), revocation: z.number().int().min(0).max(8) }),
  admins: z.array(adminState).max(8),
  /** EP11 transaction counter: the last accepted signed command's number. A command must carry this + 1. */
  transactionCounter: z.number().int().min(0),
  current: currentRegisterState,
  new: newRegisterState,
});
export type UnitState = z.infer<typeof unitState>;

/** The rewrap job inside cryptounit-mk-rotate. `done` counts records already under `targetVp`. */
const rewrapJobState = z.discriminatedUnion("state", [
  z.object({ state: z.literal("none") }),
  z.object({ state: z.literal("inProgress"), targetVp: vpSchema, done: z.number().int().min(0), total: z.number().int().min(0) }),
  z.object({ state: z.literal("complete"), targetVp: vpSchema, done: z.number().int().min(0), total: z.number().int().min(0) }),
]);
export type RewrapJobState = z.infer<typeof rewrapJobState>;

const keystoreLayout = z.object({
  records: z.number().int().min(0),
  chunkSize: z.number().int().min(1),
  chunks: z.number().int().min(0),
});

/**
 * `pid` and `host` say which process holds the lease, so a holder killed outright can be recognised; `token` names one
 * acquisition, so only its holder renews or releases it (absent in files of earlier releases: never renewable).
 */
const leaseState = z.object({
  owner: z.string().min(1),
  token: z.string().optional(),
  expiresAtMs: z.number(),
  expiresAt: z.string(),
  pid: z.number().int().optional(),
  host: z.string().optional(),
});

export const instanceState = z.object({
  format: z.literal(INSTANCE_FORMAT),
  version: z.literal(INSTANCE_VERSION),
  instanceId: z.string().min(1),
  units: z.array(unitState).min(1),
  keystore: keystoreLayout,
  rewrap: rewrapJobState,
  faults: z.array(armedFaultSchema),
  lease: leaseState.nullable(),
  /**
   * Fencing: incremented by every write of this file (and before every other file a transaction writes), and checked
   * immediately before each rename of a transaction, so a writer that stalled past the lock's stale time (and lost
   * the lock) is refused instead of overwriting a newer state. Absent in files of earlier releases: 0.
   */
  generation: z.number().int().min(0).default(0),
});
export type InstanceState = z.infer<typeof instanceState>;

/** Builds a register holding `key`, with its VP. */
export function holding<S extends "Valid" | "Full Uncommitted" | "Full Committed">(status: S, key: Uint8Array): { status: S; key: string; vp: Vp } {
  return { status, key: Buffer.from(key).toString("hex"), vp: verificationPattern(key) };
}
