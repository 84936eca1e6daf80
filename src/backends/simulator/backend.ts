import { createHash, randomBytes, randomUUID } from "node:crypto";
import { realpathSync } from "node:fs";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { InputError } from "../../model/errors";
import { combineKeyParts } from "../../model/key-parts";
import { generationUnavailable, NO_GENERATION } from "../../model/recovery-units";
import { isVp, sameVp, verificationPattern, type Vp } from "../../model/vp";
import type {
  AutoRotateOptions,
  Backend,
  BackendCommand,
  CallOptions,
  GenerateNewRequest,
  GenerateOptions,
  KeyPartFileRef,
  KeyParts,
  Lease,
  LoadNewRequest,
  RewrapOptions,
  RewrapStatus,
  RotateOptions,
  Signers,
  UnitRef,
  UnitsCommand,
  UnitStatus,
} from "../../engine/port/backend";
import { DEFAULT_CAPABILITIES, describeCapabilities, type Capabilities } from "../../engine/port/capabilities";
import { LeaseHeldError, PrecheckFailedError, type LeaseHolder, RegisterMismatchError, UnsupportedCommandError } from "../../engine/port/errors";
import { FaultInjector, type CrashHook } from "./fault-injector";
import { parseFaultSpec, SimulatedCrash, type FaultSpec } from "./faults";
import { executeOnHsm, type HsmRequest } from "./hsm";
import { administrationParameter, administrationSignatures, executeAdministration, type Administration } from "./administration";
import type { InstanceState, UnitState } from "./instance-state";
import { commonAdminSkis, initialConditions, rotatePrecheck } from "./precheck";
import { runRewrap } from "./rewrap-job";
import { authorize, chooseSigners, requiredSignatures, signRequest } from "./signing";
import { StateStore } from "./state-store";
import { instanceSelection, type Selection } from "./selection";
import { toRewrapStatus, toUnitRef, toUnitStatus } from "./views";
import { decideClearNew, decideCommitNew, decideCopy, decideGenerate, decideLoadNew, decideSetImmediate, findUnit, selectedUnit, targetUnit, type Decision } from "./workstation";

export interface SimulatorOptions {
  /** The simulator directory, e.g. `.hpcs-sim`. */
  readonly dir: string;
  readonly instanceId: string;
  /** Faults for this backend object only, consumed in memory. Faults armed in the instance apply as well. */
  readonly faults?: readonly FaultSpec[];
  /** What a crash fault does. Default: the process dies with SIGKILL. In-process tests throw `SimulatedCrash`. */
  readonly onCrash?: CrashHook;
  /** Milliseconds since the epoch; injected by lease tests. */
  readonly clock?: () => number;
  /** Told when a call waits for the instance's lock (left by a killed process until it goes stale): progress output. */
  readonly onLockWait?: (notice: string) => void;
  /** Latency added to every call, for benchmarks of the rotation's critical path (DESIGN §8). */
  readonly latencyMs?: number;
  /**
   * The shape of backend to simulate (capabilities.ts), for rehearsals and for the engine's checks of every shape;
   * default HPCS as documented (`DEFAULT_CAPABILITIES`). The instance itself behaves the same in every shape; only what
   * the backend reports and which commands it has differ: `rewrapStatus: "hidden"` answers `unknown`, as the TKE CLI
   * cannot report; `rotation: "combined"` offers `rotate` (rewrap, marker, promotion of every selected unit) instead
   * of `rewrap`; `vpBinding: "readFirst"` checks each register by a read before it sends a command that does not
   * carry the VP; `keyParts: "opaque"` takes key part files instead of their values and opens them itself (with
   * `openKeyPartFiles`), as the TKE CLI plug-in opens IBM's key part files.
   */
  readonly capabilities?: Partial<Capabilities>;
  /**
   * Opens key part files for an opaque simulator: the values of the parts, in order (the simulator zeroes them). Handed
   * in by whoever composes the backend, so the simulator reads no user files itself; it must load exactly the files
   * named, so it should refuse a file whose SHA-256 is not the one given.
   */
  readonly openKeyPartFiles?: KeyPartFileOpener;
  /**
   * Where the workstation keeps its selection (selection.ts). Default: the simulated instance itself. The ibmcloud
   * emulator passes each CLOUDTKEFILES directory's own, as the TKE plug-in keeps it on the workstation.
   */
  readonly selection?: Selection;
}

/** What opens key part files for an opaque simulator (SimulatorOptions.openKeyPartFiles). */
export type KeyPartFileOpener = (files: readonly KeyPartFileRef[]) => Uint8Array[];

const UNIT_COMMANDS: ReadonlySet<BackendCommand> = new Set(["loadNew", "commitNew", "clearNew", "setImmediate", "generateNew", "copyNew", "autoRotate"]);


/** The default crash: a real process death, which end-to-end tests rely on. */
export const killProcess: CrashHook = (point) => {
  process.kill(process.pid, "SIGKILL");
  throw new SimulatedCrash(point);
};

/** openSimulator — a Backend for one simulated instance. Unknown instance → UnknownInstanceError listing the known ones. */
export async function openSimulator(options: SimulatorOptions): Promise<SimulatorBackend> {
  const faults = (options.faults ?? []).map((spec, i) => parseFaultSpec(spec, `faults[${i}]`));
  if (options.latencyMs !== undefined && !(options.latencyMs >= 0)) throw new InputError("latencyMs must be zero or more", "latencyMs");
  const store = new StateStore(options.dir, options.instanceId, options.onLockWait);
  const state = store.read();
  const capabilities = { ...DEFAULT_CAPABILITIES, ...options.capabilities };
  if (capabilities.keyParts === "opaque" && !options.openKeyPartFiles) throw new InputError("a simulator that takes key part files (keyParts: opaque) needs openKeyPartFiles to open them", "openKeyPartFiles");
  return new SimulatorBackend(store, new FaultInjector(store, faults, options.onCrash ?? killProcess), {
    clock: options.clock ?? Date.now,
    latencyMs: options.latencyMs ?? 0,
    capabilities,
    incarnation: incarnationOf(options.dir, state),
    openKeyPartFiles: options.openKeyPartFiles,
    selection: options.selection ?? instanceSelection(store),
  });
}

/**
 * A simulated instance's incarnation: where it lives (the directory's real path, however it is named) and its unit
 * ids, random UUIDs fixed by `sim init`. A re-created instance with the same id, or a copy of the directory elsewhere
 * (a rehearsal), is another incarnation: a journal written against one is no evidence for the other.
 */
function incarnationOf(dir: string, state: InstanceState): string {
  return createHash("sha256")
    .update(JSON.stringify([realpathSync(dir), state.units.map((u) => u.id).sort()]))
    .digest("hex")
    .slice(0, 16);
}

interface SimulatorSettings {
  readonly clock: () => number;
  readonly latencyMs: number;
  readonly capabilities: Capabilities;
  readonly incarnation: string;
  readonly openKeyPartFiles: KeyPartFileOpener | undefined;
  readonly selection: Selection;
}

/** The key the new registers of `units` hold after a load: one key, or the load did not do what it reported. */
function loadedKey(state: InstanceState, units: readonly string[]): Vp {
  const keys = [...new Set(units.map((id) => findUnit(state, id).new).map((r) => (r.status === "Empty" ? "Empty" : r.vp)))];
  if (keys.length !== 1 || keys[0] === "Empty") throw new RegisterMismatchError(units.join(", "), `after the load the new registers hold ${keys.join(", ")}, not one loaded key`);
  return keys[0];
}

function replaceUnit(state: InstanceState, unit: UnitState): InstanceState {
  return { ...state, units: state.units.map((u) => (u.id === unit.id ? unit : u)) };
}

function checkVp(vp: unknown, field: string): asserts vp is Vp {
  if (!isVp(vp)) throw new InputError(`${field} must be a 64-character lower-case hex verification pattern`, field);
}

/**
 * SimulatorBackend — the Backend over a persisted simulated instance (DESIGN §5). Each call: injected latency,
 * faults armed for "before", the command (workstation checks on a snapshot, then the unit's rules under the
 * instance lock), faults armed for "after". Safe to use from several processes at once.
 */
export class SimulatorBackend implements Backend {
  readonly description: string;
  readonly identity: string;
  readonly capabilities: Capabilities;
  private readonly clock: () => number;
  private readonly latencyMs: number;
  private readonly openKeyPartFiles: KeyPartFileOpener | undefined;
  private readonly selection: Selection;

  constructor(
    private readonly store: StateStore,
    private readonly faults: FaultInjector,
    settings: SimulatorSettings,
  ) {
    this.description = [`simulator (${store.dir})`, ...describeCapabilities(settings.capabilities)].join(", ");
    this.identity = `hpcs-simulator:${settings.incarnation}`;
    this.capabilities = settings.capabilities;
    this.clock = settings.clock;
    this.latencyMs = settings.latencyMs;
    this.openKeyPartFiles = settings.openKeyPartFiles;
    this.selection = settings.selection;
  }

  get instanceId(): string {
    return this.store.instanceId;
  }

  get dir(): string {
    return this.store.dir;
  }

  listUnits(): Promise<readonly UnitRef[]> {
    return this.call("listUnits", [], async () => this.store.read().units.map(toUnitRef));
  }

  queryUnit(unit: string): Promise<UnitStatus> {
    return this.call("queryUnit", [unit], async () => {
      const state = this.store.read();
      return toUnitStatus(findUnit(state, unit), this.selection.selected(state).has(unit));
    });
  }

  rewrapStatus(): Promise<RewrapStatus> {
    return this.call("rewrapStatus", [], async () => (this.capabilities.rewrapStatus === "reported" ? toRewrapStatus(this.store.read()) : { state: "unknown" }));
  }

  select(units: readonly string[], options?: CallOptions): Promise<void> {
    return this.call("select", units, () => this.setSelected(units, true), options);
  }

  deselect(units: readonly string[], options?: CallOptions): Promise<void> {
    return this.call("deselect", units, () => this.setSelected(units, false), options);
  }

  /**
   * cryptounit-mk-load: opens the parts (opaque: through `openKeyPartFiles`, as the plug-in opens its files), loads
   * every unit, and reports the key the new registers then hold. A material load is bound to `expectedVp` before
   * anything is loaded; an opaque one, like the plug-in's, cannot be, and reports what the files made.
   */
  async loadNew(request: LoadNewRequest, signers: Signers, options?: CallOptions): Promise<Vp> {
    if (request.expectedVp !== undefined) checkVp(request.expectedVp, "expectedVp");
    return this.call("loadNew", request.units, async () => {
      const key = this.openParts(request.keyParts);
      try {
        const partsVp = verificationPattern(key);
        const bound = request.keyParts.kind === "material" ? request.expectedVp : undefined;
        await this.eachUnit("loadNew", request.units, (unit) => this.adminCommand("loadNew", unit, partsVp, signers, (state) => decideLoadNew(state, bound, partsVp), key));
      } finally {
        key.fill(0);
      }
      return loadedKey(this.store.read(), request.units);
    }, options);
  }

  /** The master key the parts make; the caller zeroes it. Parts of the kind this backend does not take are refused. */
  private openParts(parts: KeyParts): Uint8Array {
    const takes = this.capabilities.keyParts;
    if (parts.kind === "material" && takes === "material") return combineKeyParts(parts.parts.map((p) => p.value));
    if (parts.kind === "files" && takes === "opaque" && this.openKeyPartFiles) {
      const values = this.openKeyPartFiles(parts.files);
      try {
        return combineKeyParts(values);
      } finally {
        values.forEach((v) => v.fill(0));
      }
    }
    throw new UnsupportedCommandError("loadNew", takes === "opaque" ? "this simulated backend opens key part files itself (keyParts: opaque): give it files" : "this simulated backend takes decrypted key parts (keyParts: material)");
  }

  commitNew(command: UnitsCommand, signers: Signers, options?: CallOptions): Promise<void> {
    return this.unitsCommand("commitNew", command, signers, decideCommitNew, options);
  }

  clearNew(command: UnitsCommand, signers: Signers, options?: CallOptions): Promise<void> {
    return this.unitsCommand("clearNew", command, signers, decideClearNew, options);
  }

  setImmediate(command: UnitsCommand, signers: Signers, options?: CallOptions): Promise<void> {
    return this.unitsCommand("setImmediate", command, signers, decideSetImmediate, options);
  }

  async rewrap(targetVp: Vp, signers: Signers, options: RewrapOptions = {}): Promise<void> {
    checkVp(targetVp, "targetVp");
    if (this.capabilities.rotation !== "separate") throw new UnsupportedCommandError("rewrap", "this simulated backend rewraps and promotes in one command (rotate), as cryptounit-mk-rotate does");
    return this.call("rewrap", [], async () => {
      const snapshot = this.store.read();
      // IBM: re-running cryptounit-mk-rotate after the rewrap finished only has promotion left to do.
      if (snapshot.rewrap.state === "complete" && sameVp(snapshot.rewrap.targetVp, targetVp)) return;
      await this.rewrapJob(targetVp, signers, options);
    }, options);
  }

  /**
   * cryptounit-mk-rotate: the pre-check, the resumable rewrap, the marker, then set immediate on every selected unit
   * one after another. Its faults: a crash mid-rewrap, the marker lost, a crash after the marker and k promotions.
   */
  async rotate(targetVp: Vp, signers: Signers, options: RotateOptions = {}): Promise<void> {
    checkVp(targetVp, "targetVp");
    if (this.capabilities.rotation !== "combined") throw new UnsupportedCommandError("rotate", "this simulated backend rewraps (rewrap) and promotes (setImmediate) in separate commands");
    return this.call("rotate", [], async () => {
      await this.rewrapJob(targetVp, signers, options);
      await this.promoteAll(targetVp, signers, options);
    }, options);
  }

  /** The end of cryptounit-mk-rotate (and auto-mk-rotate): the marker, then set immediate on every selected unit in turn. */
  private async promoteAll(targetVp: Vp, signers: Signers, options: RotateOptions): Promise<void> {
    const { markerLost, crashAfterPromoting } = await this.faults.atMarker();
    if (!markerLost) options.onMarker?.();
    const state = this.store.read();
    const selected = [...this.selection.selected(state)].filter((id) => state.units.some((u) => u.id === id));
    for (const [promoted, unit] of selected.entries()) {
      if (crashAfterPromoting === promoted) this.faults.crashInRotate(promoted);
      options.signal?.throwIfAborted();
      await this.adminCommand("setImmediate", unit, targetVp, signers, (state) => decideSetImmediate(state, targetVp));
    }
    if (crashAfterPromoting !== undefined && crashAfterPromoting >= selected.length) this.faults.crashInRotate(selected.length);
  }

  /**
   * The first half of auto-mk-rotate: GEN_WK in a recovery unit's new register, `onGenerated` (awaited), then a copy
   * into every other unit of `units`, one after another (generation in workstation.ts, fault points in faults.ts).
   */
  async generateNew(request: GenerateNewRequest, signers: Signers, options: GenerateOptions = {}): Promise<Vp> {
    if (this.capabilities.rotation !== "separate") throw new UnsupportedCommandError("generateNew", "this simulated backend generates, commits, rewraps and promotes in one command (autoRotate), as auto-mk-rotate does");
    return this.call("generateNew", request.units, () => this.generate("generateNew", request.units, signers, options), options);
  }

  /** Finishes an interrupted generation: copies `expectedVp` from a recovery unit's new register into `units`. */
  async copyNew(command: UnitsCommand, signers: Signers, options?: CallOptions): Promise<void> {
    checkVp(command.expectedVp, "expectedVp");
    if (this.capabilities.rotation !== "separate") throw new UnsupportedCommandError("copyNew", "this simulated backend copies a generated key only inside autoRotate, as auto-mk-rotate does");
    return this.call("copyNew", command.units, async () => {
      const state = this.store.read();
      const source = state.units.find((u) => u.type === "recovery" && u.new.status !== "Empty" && sameVp(u.new.vp, command.expectedVp));
      if (!source) throw new RegisterMismatchError(command.units.join(", "), `no recovery unit holds ${command.expectedVp} in its new register, so it cannot be copied`);
      await this.copyInto(source.id, command.units, command.expectedVp, signers, options?.signal);
    }, options);
  }

  /**
   * auto-mk-rotate: its initial conditions, a fresh key (clearing any new register first: IBM's re-run "generates a
   * fresh random N"), the copies, a commit on every unit, the "Delaying 30 seconds…" line (`onDelaying`), then the
   * rewrap, the marker and the promotions as cryptounit-mk-rotate does them.
   */
  async autoRotate(request: GenerateNewRequest, signers: Signers, options: AutoRotateOptions & TransferProgress = {}): Promise<Vp> {
    if (this.capabilities.rotation !== "combined") throw new UnsupportedCommandError("autoRotate", "this simulated backend generates (generateNew), commits, rewraps and promotes in separate commands");
    return this.call("autoRotate", request.units, async () => {
      const state = this.store.read();
      const reasons = initialConditions(state.units, signers.keys.map((k) => k.ski), this.selection.selected(state));
      if (reasons.length > 0) throw new PrecheckFailedError(reasons);
      this.generatingUnit(state, "autoRotate");
      for (const unit of state.units) {
        if (unit.new.status === "Empty") continue;
        const pending = unit.new.vp;
        await this.faults.at({ command: "clearNew", units: [unit.id], when: "before" });
        await this.adminCommand("clearNew", unit.id, pending, signers, (u) => decideClearNew(u, pending));
        await this.faults.at({ command: "clearNew", units: [unit.id], when: "after" });
      }
      const vp = await this.generate("autoRotate", request.units, signers, options);
      for (const unit of request.units) {
        await this.faults.at({ command: "commitNew", units: [unit], when: "before" });
        await this.adminCommand("commitNew", unit, vp, signers, (u) => decideCommitNew(u, vp));
        await this.faults.at({ command: "commitNew", units: [unit], when: "after" });
      }
      await this.faults.at({ command: "autoRotate", units: [], when: "before" });
      options.onDelaying?.();
      await this.faults.at({ command: "autoRotate", units: [], when: "after" });
      await this.rewrapJob(vp, signers, options);
      await this.promoteAll(vp, signers, options);
      return vp;
    }, options);
  }

  /** The recovery unit a key is generated in, or IBM's reason why the instance has none. */
  private generatingUnit(state: InstanceState, command: BackendCommand): UnitState {
    const unavailable = generationUnavailable(state.units);
    const source = state.units.find((u) => u.type === "recovery");
    if (unavailable !== undefined || !source) throw new UnsupportedCommandError(command, unavailable ?? NO_GENERATION.noRecoveryUnits);
    return source;
  }

  private async generate(command: BackendCommand, units: readonly string[], signers: Signers, options: GenerateOptions & TransferProgress): Promise<Vp> {
    const source = this.generatingUnit(this.store.read(), command);
    if (!units.includes(source.id)) throw new InputError(`${command}: the units must be every unit of the instance, the recovery unit ${source.id} included`, "units");
    // Drawn here, as GEN_WK draws it inside the unit: the simulated unit stores it in its new register.
    const key = new Uint8Array(randomBytes(32));
    const vp = verificationPattern(key);
    try {
      await this.faults.at({ command: "generateNew", units: [source.id], when: "before" });
      await this.adminCommand("generateNew", source.id, vp, signers, decideGenerate, key);
      await this.faults.at({ command: "generateNew", units: [source.id], when: "after" });
    } finally {
      key.fill(0);
    }
    await options.onGenerated?.(vp);
    await this.copyInto(source.id, units.filter((u) => u !== source.id), vp, signers, options.signal, options.onTransfer);
    return vp;
  }

  /**
   * "Transferring the master key value to N of M crypto units": per target, EXPORT_NEXT_WK on the recovery unit
   * (the signature threshold) and IMPORT_WK on the target (one signature), one target after another.
   */
  private async copyInto(sourceId: string, targets: readonly string[], vp: Vp, signers: Signers, signal: AbortSignal | undefined, onTransfer?: TransferProgress["onTransfer"]): Promise<void> {
    for (const [index, target] of targets.entries()) {
      signal?.throwIfAborted();
      onTransfer?.(index + 1, targets.length);
      await this.faults.at({ command: "copyNew", units: [target], when: "before" });
      const state = this.store.read();
      if (decideCopy(targetUnit(state, target, this.selection.selected(state)), vp) === "send") {
        await this.adminCommand("exportNew", sourceId, vp, signers, () => "send");
        const source = findUnit(this.store.read(), sourceId);
        if (source.new.status === "Empty" || !sameVp(source.new.vp, vp)) throw new RegisterMismatchError(sourceId, `the recovery unit no longer holds ${vp} in its new register; nothing was copied`);
        const key = Buffer.from(source.new.key, "hex");
        try {
          await this.adminCommand("loadNew", target, vp, signers, (unit) => decideCopy(unit, vp), new Uint8Array(key));
        } finally {
          key.fill(0);
        }
      }
      await this.faults.at({ command: "copyNew", units: [target], when: "after" });
    }
  }

  /** The key storage step of cryptounit-mk-rotate: pre-check, then the resumable job (rewrap-job.ts). */
  private async rewrapJob(targetVp: Vp, signers: Signers, options: RewrapOptions): Promise<void> {
    const snapshot = this.store.read();
    const skis = signers.keys.map((k) => k.ski);
    const precheck = (state: InstanceState) => {
      const reasons = rotatePrecheck(state.units, skis, targetVp, this.selection.selected(state));
      if (reasons.length > 0) throw new PrecheckFailedError(reasons);
    };
    precheck(snapshot);
    const common = commonAdminSkis(snapshot.units, skis);
    const signer = signers.keys.filter((k) => common.includes(k.ski)).slice(0, 1);
    const request = signRequest({ target: snapshot.instanceId, command: "rewrap", vp: targetVp, counter: 0 }, signer);
    const crash = await this.faults.midRewrap();
    await runRewrap({
      store: this.store,
      targetVp,
      crash,
      onProgress: options.onProgress,
      signal: options.signal,
      authorize: (state) => {
        precheck(state);
        authorize(state.instanceId, state.units[0].admins, request, requiredSignatures("rewrap", state.units[0].thresholds.signature));
      },
    });
  }

  /**
   * acquireLease — one rotation per instance at a time: a live lease is refused to anyone but its holder's own
   * `renew`, even to the same owner name (two runs in one Pulumi process share it). A lease whose holder was a process
   * on this host that no longer exists (killed with SIGKILL, say) is taken over at once: waiting for it to expire
   * would only delay the repair the next `pulumi up` is there to make. `renew` and `release` act only on this
   * acquisition (a token), so a run whose lease was taken over cannot renew or release the new holder's.
   */
  async acquireLease(owner: string, ttlMs: number): Promise<Lease> {
    if (owner.length === 0) throw new InputError("a lease owner must not be empty", "owner");
    if (!(ttlMs > 0)) throw new InputError("a lease lasts a positive number of milliseconds", "ttlMs");
    const token = randomUUID();
    const hold = (state: InstanceState): InstanceState => {
      const expiresAtMs = this.clock() + ttlMs;
      return { ...state, lease: { owner, token, expiresAtMs, expiresAt: new Date(expiresAtMs).toISOString(), pid: process.pid, host: hostname() } };
    };
    await this.store.update((state) => {
      const held = state.lease;
      if (held && held.expiresAtMs > this.clock() && !holderIsGone(held)) throw new LeaseHeldError(leaseHolder(held));
      return { state: hold(state) };
    });
    const mine = (state: InstanceState) => state.lease?.token === token;
    return {
      renew: () =>
        this.store.update((state) => {
          if (!mine(state)) throw new LeaseHeldError({ kind: "takenOver", owner: state.lease?.owner });
          return { state: hold(state) };
        }),
      release: () => this.store.update((state) => (mine(state) ? { state: { ...state, lease: null } } : {})),
    };
  }

  /**
   * One round trip. The simulated latency runs alongside the simulated service's work (its crypto and disk I/O
   * stand in for the HSM's), as on the real service, where the round trip includes that work: a call answers
   * after the latency or after its work, whichever is later.
   */
  private async call<T>(command: BackendCommand, units: readonly string[], body: () => Promise<T>, options?: CallOptions): Promise<T> {
    const roundTrip = this.latencyMs > 0 ? sleep(this.latencyMs) : undefined;
    // Master key commands on units have their fault points per unit (eachUnit); the others, per call.
    const perCall = !UNIT_COMMANDS.has(command);
    try {
      options?.signal?.throwIfAborted();
      if (perCall) await this.faults.at({ command, units, when: "before" });
      const result = await body();
      if (perCall) await this.faults.at({ command, units, when: "after" });
      return result;
    } finally {
      await roundTrip;
    }
  }

  private async setSelected(units: readonly string[], selected: boolean): Promise<void> {
    const snapshot = this.store.read();
    units.forEach((u) => findUnit(snapshot, u));
    await this.selection.set(units, selected);
  }

  private async unitsCommand(command: "commitNew" | "clearNew" | "setImmediate", cmd: UnitsCommand, signers: Signers, decide: (unit: UnitState, vp: Vp) => Decision, options?: CallOptions): Promise<void> {
    checkVp(cmd.expectedVp, "expectedVp");
    return this.call(command, cmd.units, () => this.eachUnit(command, cmd.units, (unit) => this.adminCommand(command, unit, cmd.expectedVp, signers, (state) => decide(state, cmd.expectedVp))), options);
  }

  /**
   * A set command's units, each its own HSM request, in parallel (one round trip, as the TKE API sends them), each
   * with its own fault points; every request settles before the first failure is reported, so the state is settled.
   */
  private async eachUnit(command: BackendCommand, units: readonly string[], run: (unit: string) => Promise<void>): Promise<void> {
    const results = await Promise.allSettled(
      units.map(async (unit) => {
        await this.faults.at({ command, units: [unit], when: "before" });
        await run(unit);
        await this.faults.at({ command, units: [unit], when: "after" });
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  }

  /**
   * administer — an administration command on one selected unit (`cryptounit-admin-add`, `-thrhld-set`, `-zeroize`):
   * not part of the engine's port, which never administers an instance; the ibmcloud emulator offers it for rehearsals
   * of IBM's initialisation and recovery runbooks. Signed with the unit's next transaction counter, as every command.
   */
  async administer(unitId: string, operation: Administration, signers: Signers): Promise<void> {
    const unit = selectedUnit(this.store.read(), unitId, this.selection.selected(this.store.read()));
    const keys = chooseSigners(signers.keys, unit.admins, administrationSignatures(unit.thresholds, operation));
    const request = { ...signRequest({ target: unit.id, command: operation.kind, parameter: administrationParameter(operation), counter: unit.transactionCounter + 1 }, keys), operation };
    await this.store.update((state) => ({ state: replaceUnit(state, executeAdministration(findUnit(state, unitId), request)) }));
  }

  /**
   * A signed master key command, as the TKE CLI sends it: decide on a snapshot (selection, imprint mode,
   * idempotency), sign with the unit's next transaction counter, then let the unit apply its rules under the lock.
   * A unit changed by someone else in between has a newer counter and answers EP11 3-163.
   */
  private async adminCommand(command: HsmRequest["command"], unitId: string, vp: Vp, signers: Signers, decide: (unit: UnitState) => Decision, key?: Uint8Array): Promise<void> {
    const state = this.store.read();
    const unit = targetUnit(state, unitId, this.selection.selected(state));
    if (decide(unit) === "noop") return;
    const keys = chooseSigners(signers.keys, unit.admins, requiredSignatures(command, unit.thresholds.signature));
    // readFirst: the command cannot carry the VP (the TKE CLI's), so the unit acts on whatever its register holds and
    // the read above (decide) is the only VP check. Signing with the counter of that read is stricter than IBM's SDK,
    // which reads the counter afresh for each command (capabilities.ts).
    const bindsVp = this.capabilities.vpBinding === "hsm";
    const request: HsmRequest = { ...signRequest({ target: unit.id, command, vp, counter: unit.transactionCounter + 1 }, keys), command, key, bindsVp };
    await this.store.update((state) => ({ state: replaceUnit(state, executeOnHsm(findUnit(state, unitId), request)) }));
  }
}

/** The simulator's own progress of a generation, for the ibmcloud emulator's "Transferring the master key value to N of M crypto units....". */
export interface TransferProgress {
  readonly onTransfer?: (n: number, of: number) => void;
}

/** A live lease's holder as the error names it: a process running on this host, or one whose liveness is unknown. */
function leaseHolder(lease: { owner: string; expiresAt: string; pid?: number; host?: string }): LeaseHolder {
  if (lease.pid === process.pid && lease.host === hostname()) return { kind: "thisProcess", owner: lease.owner };
  if (lease.pid !== undefined && lease.host === hostname()) return { kind: "runningHere", owner: lease.owner, pid: lease.pid, expiresAt: lease.expiresAt };
  return { kind: "elsewhere", owner: lease.owner, host: lease.host, expiresAt: lease.expiresAt };
}

/** True when the lease holder ran on this host and its process is gone. */
function holderIsGone(lease: { pid?: number; host?: string }): boolean {
  if (lease.pid === undefined || lease.host !== hostname() || lease.pid === process.pid) return false;
  try {
    process.kill(lease.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}
