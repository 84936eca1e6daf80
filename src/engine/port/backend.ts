import type { Administrator, CurrentRegister, NewRegister, Thresholds, UnitType } from "../../model/registers";
import type { SignatureKey } from "../../model/signature-key-file";
import type { Vp } from "../../model/vp";
import type { Capabilities } from "./capabilities";

/** A crypto unit as `ibmcloud tke cryptounits` lists it. */
export interface UnitRef {
  /** The HSM id (a UUID). */
  readonly id: string;
  readonly type: UnitType;
  /** `[region].[zone].[module].[domain]`, e.g. `[us-south].[AZ3-CS3].[02].[03]`. */
  readonly location: string;
}

/** One unit's full status: the `cryptounit-mk` registers and the `cryptounit-compare` thresholds and admins. */
export interface UnitStatus extends UnitRef {
  /** Whether the workstation selection includes this unit (`cryptounit-add` / `cryptounit-rm`). */
  readonly selected: boolean;
  readonly current: CurrentRegister;
  readonly new: NewRegister;
  readonly thresholds: Thresholds;
  readonly admins: readonly Administrator[];
}

/**
 * The key storage rewrap job inside `cryptounit-mk-rotate` (research §4.2, §4.4).
 * - `none`: no rewrap has ever started for this instance's key storage, as far as the service reports.
 * - `inProgress`: a job to `targetVp` started and has not finished; records are split between the two keys.
 * - `complete`: every record is under `targetVp` ("KMS CRK rewrap successful, waiting on cryptounit-mk-setimm.").
 * - `unknown`: the backend cannot tell (the TKE CLI has no status query); the engine must assume it may have started.
 */
export type RewrapStatus =
  | { readonly state: "none"; readonly records: number }
  | { readonly state: "inProgress"; readonly targetVp: Vp; readonly done: number; readonly total: number }
  | { readonly state: "complete"; readonly targetVp: Vp; readonly records: number }
  | { readonly state: "unknown" };

/** Decrypted ceremony material, opened once per run and zeroed by whoever opened it. */
export interface KeyPartMaterial {
  readonly file: string;
  readonly value: Uint8Array;
}

/** A key part file only the backend can open (IBM's own format): where it is, what it is, and its password. */
export interface KeyPartFileRef {
  readonly file: string;
  /** SHA-256 of the file's bytes, lower-case hex: the id Activity Tracker records in `masterKeyIds`. */
  readonly sha256: string;
  /** A secret: the backend passes it only to whatever opens the file, never to a log, an argv or an environment. */
  readonly password: string;
}

/**
 * The key parts of a load, in the form the backend's `capabilities.keyParts` takes: decrypted values (`material`), or
 * references to files the backend opens itself (`files`, for `opaque`).
 */
export type KeyParts = { readonly kind: "material"; readonly parts: readonly KeyPartMaterial[] } | { readonly kind: "files"; readonly files: readonly KeyPartFileRef[] };

/** A TKE signature key file (`N.sigkey`) that a backend hands to IBM's plug-in, which opens it itself. */
export interface SignatureKeyFileRef {
  readonly file: string;
  readonly ski: string;
  /** A secret: passed only to the plug-in's prompt, never to a log, an argv or an environment. */
  readonly password: string;
}

export interface Signers {
  /** The decrypted keys: what a backend that signs itself signs with (the simulator, the TKE API). */
  readonly keys: readonly SignatureKey[];
  /** The files they came from, when the caller opened files: what a backend driving IBM's plug-in hands it (the TKE CLI). */
  readonly files?: readonly SignatureKeyFileRef[];
}

/** A master key command on a set of units, as one TKE command acts on the selected units. */
export interface UnitsCommand {
  /** HSM ids; every one must be selected. */
  readonly units: readonly string[];
  /**
   * The VP the registers must hold for the command to act. With `vpBinding: "hsm"` the command carries it and the HSM
   * refuses a mismatch (EP11 commit and finalize); with `readFirst` the backend reads each register first.
   */
  readonly expectedVp: Vp;
}

/**
 * A load of the new registers. `expectedVp` is the VP the parts must make: a material backend refuses parts that make
 * another key before loading; an opaque one cannot know it before it opens the files, so it may be absent there (the
 * key is not known yet: the load tells it), and the caller compares what the load reports.
 */
export interface LoadNewRequest extends Omit<UnitsCommand, "expectedVp"> {
  readonly expectedVp: Vp | undefined;
  readonly keyParts: KeyParts;
}

/**
 * A new master key generated in a recovery crypto unit instead of loaded from key parts (IBM's `auto-mk-rotate`,
 * research §4.3): `units` are every unit of the instance, which all end up holding the key in their new register.
 */
export interface GenerateNewRequest {
  readonly units: readonly string[];
}

export interface RewrapProgress {
  readonly done: number;
  readonly total: number;
}

/** Per-call options of a mutating command. */
export interface CallOptions {
  /**
   * Aborted when the caller gives up on the call (its step timed out, or the run is ending): the backend stops before
   * its next change (between two rewrap chunks, before a unit's transaction) and rejects with the signal's reason.
   */
  readonly signal?: AbortSignal;
}

export interface RewrapOptions extends CallOptions {
  readonly onProgress?: (progress: RewrapProgress) => void;
}

export interface RotateOptions extends RewrapOptions {
  /**
   * Called the moment the rewrap is complete, before any unit is promoted ("KMS CRK rewrap successful, waiting on
   * cryptounit-mk-setimm."). The command goes on promoting without waiting: a caller that wants the proof durable
   * journals it synchronously. Not called when the marker was lost (the output was cut off).
   */
  readonly onMarker?: () => void;
}

export interface GenerateOptions extends CallOptions {
  /**
   * Called with the new key's VP once a recovery unit's new register holds it, before it is copied anywhere, and
   * awaited: the caller journals it durably before anything else changes. A backend that cannot read the key before
   * its command goes on (IBM's CLI prints no VP) does not call it; the key is then known from the registers afterwards.
   */
  readonly onGenerated?: (vp: Vp) => Promise<void>;
}

export interface AutoRotateOptions extends RotateOptions, GenerateOptions {
  /**
   * Called the moment every new register holds the generated key, committed, and the service is about to rewrap key
   * storage to it ("Delaying 30 seconds to allow server to discover new master key values"): from here on the key
   * may protect records, so it must never be replaced (IBM: only `cryptounit-mk-rotate` may resume). Synchronous, as
   * `onMarker`: the caller journals it at once.
   */
  readonly onDelaying?: () => void;
}

/** One rotation per instance at a time: held for a time-to-live, renewed before each step, released at the end. */
export interface Lease {
  /** Extends the lease by its time-to-live again; rejects (LeaseHeldError) when another holder took it over meanwhile. */
  renew(): Promise<void>;
  release(): Promise<void>;
}

/**
 * Backend — the engine's port: one method per TKE command equivalent (DESIGN §5), each master key command acting on a
 * set of units in one call. Backends (`src/backends/`) implement it; the engine owns it.
 *
 * Contract:
 * - Read methods (`listUnits`, `queryUnit`, `rewrapStatus`) never mutate.
 * - A mutating method acts only on selected units and only when the registers hold `expectedVp`; called again after
 *   it took effect with the same `expectedVp` it returns success, so a lost response can be retried safely. A set
 *   command acts on its units in parallel or one after another, as the backend can, and reports the first failure
 *   once the units it started on have settled: the next observation tells which units it reached.
 * - `rewrap`, `generateNew` and `copyNew` exist only with `capabilities.rotation` `separate`, `rotate` and
 *   `autoRotate` only with `combined`; the others reject with UnsupportedCommandError.
 * - Errors are the typed errors of `./errors`; `isTransient` tells which may be retried.
 */
export interface Backend {
  /** A short human name, e.g. `simulator (./.hpcs-sim)`, for progress output. */
  readonly description: string;
  /** The instance this backend object is bound to. */
  readonly instanceId: string;
  /**
   * The service that holds the instance, stable across runs and processes: a journal is evidence only for the same
   * instance id and identity. The simulator names the simulated instance's incarnation, so a journal of a deleted
   * and re-created simulated instance, or of a simulated instance with a real instance's id, is not evidence.
   */
  readonly identity: string;
  /** What it runs against, for the evidence record (e.g. the TKE plug-in's version), once known; undefined when nothing has one. */
  readonly version?: string;
  /** What this backend can do; the engine plans by it (capabilities.ts). */
  readonly capabilities: Capabilities;

  /** cryptounits — every crypto unit of the instance, operational, recovery and failover. */
  listUnits(): Promise<readonly UnitRef[]>;
  /** cryptounit-mk + cryptounit-compare for one unit, in one round trip. */
  queryUnit(unit: string): Promise<UnitStatus>;
  /** The key storage rewrap job's status (the `/key_roll` status query). */
  rewrapStatus(): Promise<RewrapStatus>;

  /** cryptounit-add — adds units to the workstation selection. No HSM command. */
  select(units: readonly string[], options?: CallOptions): Promise<void>;
  /** cryptounit-rm — removes units from the workstation selection. No HSM command. */
  deselect(units: readonly string[], options?: CallOptions): Promise<void>;

  /**
   * cryptounit-mk-load — loads the new registers with the key the parts make, and returns its VP as the registers
   * show it after the load. Requires new Empty (or already holding expectedVp). When the parts make the key the units
   * have as current, nothing is loaded and it rejects with SameKeyError (IBM: "the same master key is generated and
   * you are not able to load it"). Key parts of the wrong kind for `capabilities.keyParts` reject with
   * UnsupportedCommandError.
   */
  loadNew(request: LoadNewRequest, signers: Signers, options?: CallOptions): Promise<Vp>;
  /** cryptounit-mk-commit — Full Uncommitted → Full Committed, bound to expectedVp (EP11 3-101-48 otherwise). */
  commitNew(command: UnitsCommand, signers: Signers, options?: CallOptions): Promise<void>;
  /** cryptounit-mk-clrnew — empties the new registers if they hold expectedVp. */
  clearNew(command: UnitsCommand, signers: Signers, options?: CallOptions): Promise<void>;
  /**
   * The key storage step of cryptounit-mk-rotate: rewraps every record from the current key to the committed new
   * key `targetVp`. Runs the rotate pre-check first (all units selected, no imprint mode, equal thresholds, a
   * common admin set, current all Valid and equal, new all Full Committed and equal). Resumable: records already
   * under `targetVp` are skipped.
   */
  rewrap(targetVp: Vp, signers: Signers, options?: RewrapOptions): Promise<void>;
  /**
   * cryptounit-mk-rotate (`rotation: "combined"`): the rewrap above, then the marker (`onMarker`), then set immediate
   * on every selected unit, one after another. Resumable while no unit is promoted: records already under `targetVp`
   * are skipped. Its pre-check refuses a half-promoted instance (current registers differ).
   */
  rotate(targetVp: Vp, signers: Signers, options?: RotateOptions): Promise<void>;
  /** cryptounit-mk-setimm — promotes the committed new registers to current and empties new. Irreversible. */
  setImmediate(command: UnitsCommand, signers: Signers, options?: CallOptions): Promise<void>;

  /**
   * The first half of `auto-mk-rotate`, where it is a command of its own (`rotation: "separate"`): a random master key
   * generated in the new register of a recovery unit (EP11 GEN_WK, one signature), `onGenerated`, then copied into
   * the new register of every other unit of `units` (GEN_IMPORTER on the target, EXPORT_NEXT_WK on the recovery unit
   * under the signature threshold, IMPORT_WK on the target). Every new register of `units` must be Empty; they end
   * Full Uncommitted with the one key, whose VP it returns. Never idempotent: each call makes another key. Rejects with
   * UnsupportedCommandError on an instance without recovery units or in `eu-es`, where IBM offers no `auto-mk-rotate`.
   */
  generateNew(request: GenerateNewRequest, signers: Signers, options?: GenerateOptions): Promise<Vp>;
  /**
   * Finishes an interrupted generation (`rotation: "separate"`): copies the key `expectedVp` from the new register of
   * a recovery unit holding it into the new registers of `units` (each Empty, or already holding it: a success).
   */
  copyNew(command: UnitsCommand, signers: Signers, options?: CallOptions): Promise<void>;
  /**
   * `auto-mk-rotate` as one command (`rotation: "combined"`): generates as `generateNew` does (overwriting any new
   * register), commits every unit, `onDelaying`, rewraps key storage, `onMarker`, then sets immediate on every unit.
   * Returns the key's VP. Its pre-check: every current register Valid with one VP, no imprint mode, recovery units.
   */
  autoRotate(request: GenerateNewRequest, signers: Signers, options?: AutoRotateOptions): Promise<Vp>;

  /** One rotation per instance at a time, where the backend can enforce it (the simulator can). */
  acquireLease?(owner: string, ttlMs: number): Promise<Lease>;

  /** Releases what the backend holds for the run (the TKE CLI's private workspace). Called once, when the run ends. */
  close?(): Promise<void>;
}

export type MutatingCommand = "select" | "deselect" | "loadNew" | "commitNew" | "clearNew" | "rewrap" | "rotate" | "setImmediate" | "generateNew" | "copyNew" | "autoRotate";
export type ReadCommand = "listUnits" | "queryUnit" | "rewrapStatus";
export type BackendCommand = MutatingCommand | ReadCommand;
