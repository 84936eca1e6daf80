import { createHash, randomUUID } from "node:crypto";
import { realpathSync } from "node:fs";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { InputError } from "../../model/errors";
import { combineKeyParts } from "../../model/key-parts";
import { isVp, sameVp, verificationPattern, type Vp } from "../../model/vp";
import type { Backend, CallOptions, Lease, LoadNewRequest, RewrapOptions, RewrapStatus, Signers, UnitCommand, UnitRef, UnitStatus, BackendCommand } from "../backend";
import { LeaseHeldError, PrecheckFailedError } from "../errors";
import { FaultInjector, type CrashHook } from "./fault-injector";
import { parseFaultSpec, SimulatedCrash, type FaultSpec } from "./faults";
import { executeOnHsm, type HsmRequest } from "./hsm";
import type { InstanceState, UnitState } from "./instance-state";
import { commonAdminSkis, rotatePrecheck } from "./precheck";
import { runRewrap } from "./rewrap-job";
import { authorize, chooseSigners, requiredSignatures, signRequest } from "./signing";
import { StateStore } from "./state-store";
import { toRewrapStatus, toUnitRef, toUnitStatus } from "./views";
import { decideClearNew, decideCommitNew, decideLoadNew, decideSetImmediate, findUnit, targetUnit, type Decision } from "./workstation";

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
  /** Latency added to every call, for benchmarks of the rotation's critical path (DESIGN §8). */
  readonly latencyMs?: number;
  /**
   * Whether `rewrapStatus` reports the key storage job (default true, as HPCS's `/key_roll` status does). False makes
   * the simulator answer `unknown`, as a backend that cannot report does (the TKE CLI): for rehearsals and checks of
   * the engine's rules for that case. The job itself runs the same.
   */
  readonly reportsRewrapStatus?: boolean;
}

/** The default crash: a real process death, which end-to-end tests rely on. */
export const killProcess: CrashHook = (point) => {
  process.kill(process.pid, "SIGKILL");
  throw new SimulatedCrash(point);
};

/** openSimulator — a Backend for one simulated instance. Unknown instance → UnknownInstanceError listing the known ones. */
export async function openSimulator(options: SimulatorOptions): Promise<SimulatorBackend> {
  const faults = (options.faults ?? []).map((spec, i) => parseFaultSpec(spec, `faults[${i}]`));
  if (options.latencyMs !== undefined && !(options.latencyMs >= 0)) throw new InputError("latencyMs must be zero or more", "latencyMs");
  const store = new StateStore(options.dir, options.instanceId);
  const state = store.read();
  return new SimulatorBackend(store, new FaultInjector(store, faults, options.onCrash ?? killProcess), {
    clock: options.clock ?? Date.now,
    latencyMs: options.latencyMs ?? 0,
    reportsRewrapStatus: options.reportsRewrapStatus ?? true,
    incarnation: incarnationOf(options.dir, state),
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
  readonly reportsRewrapStatus: boolean;
  readonly incarnation: string;
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
  private readonly clock: () => number;
  private readonly latencyMs: number;
  private readonly reportsRewrapStatus: boolean;

  constructor(
    private readonly store: StateStore,
    private readonly faults: FaultInjector,
    settings: SimulatorSettings,
  ) {
    this.description = `simulator (${store.dir})${settings.reportsRewrapStatus ? "" : ", rewrap status not reported"}`;
    this.identity = `hpcs-simulator:${settings.incarnation}`;
    this.clock = settings.clock;
    this.latencyMs = settings.latencyMs;
    this.reportsRewrapStatus = settings.reportsRewrapStatus;
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
    return this.call("queryUnit", [unit], async () => toUnitStatus(findUnit(this.store.read(), unit)));
  }

  rewrapStatus(): Promise<RewrapStatus> {
    return this.call("rewrapStatus", [], async () => (this.reportsRewrapStatus ? toRewrapStatus(this.store.read()) : { state: "unknown" }));
  }

  select(units: readonly string[], options?: CallOptions): Promise<void> {
    return this.call("select", units, () => this.setSelected(units, true), options);
  }

  deselect(units: readonly string[], options?: CallOptions): Promise<void> {
    return this.call("deselect", units, () => this.setSelected(units, false), options);
  }

  async loadNew(request: LoadNewRequest, signers: Signers, options?: CallOptions): Promise<void> {
    checkVp(request.expectedVp, "expectedVp");
    return this.call("loadNew", [request.unit], async () => {
      const key = combineKeyParts(request.keyParts.map((p) => p.value));
      try {
        const partsVp = verificationPattern(key);
        await this.adminCommand("loadNew", request.unit, request.expectedVp, signers, (unit) => decideLoadNew(unit, request.expectedVp, partsVp), key);
      } finally {
        key.fill(0);
      }
    }, options);
  }

  commitNew(command: UnitCommand, signers: Signers, options?: CallOptions): Promise<void> {
    return this.unitCommand("commitNew", command, signers, decideCommitNew, options);
  }

  clearNew(command: UnitCommand, signers: Signers, options?: CallOptions): Promise<void> {
    return this.unitCommand("clearNew", command, signers, decideClearNew, options);
  }

  setImmediate(command: UnitCommand, signers: Signers, options?: CallOptions): Promise<void> {
    return this.unitCommand("setImmediate", command, signers, decideSetImmediate, options);
  }

  async rewrap(targetVp: Vp, signers: Signers, options: RewrapOptions = {}): Promise<void> {
    checkVp(targetVp, "targetVp");
    return this.call("rewrap", [], async () => {
      const snapshot = this.store.read();
      // IBM: re-running cryptounit-mk-rotate after the rewrap finished only has promotion left to do.
      if (snapshot.rewrap.state === "complete" && sameVp(snapshot.rewrap.targetVp, targetVp)) return;
      const skis = signers.keys.map((k) => k.ski);
      const precheck = (state: InstanceState) => {
        const reasons = rotatePrecheck(state.units, skis, targetVp);
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
    }, options);
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
      if (held && held.expiresAtMs > this.clock() && !holderIsGone(held)) throw new LeaseHeldError(held.owner, held.expiresAt);
      return { state: hold(state) };
    });
    const mine = (state: InstanceState) => state.lease?.token === token;
    return {
      renew: () =>
        this.store.update((state) => {
          if (!mine(state)) throw new LeaseHeldError(state.lease?.owner ?? "nobody (it expired and was released)", state.lease?.expiresAt ?? "-");
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
    try {
      options?.signal?.throwIfAborted();
      await this.faults.at({ command, units, when: "before" });
      const result = await body();
      await this.faults.at({ command, units, when: "after" });
      return result;
    } finally {
      await roundTrip;
    }
  }

  private async setSelected(units: readonly string[], selected: boolean): Promise<void> {
    const snapshot = this.store.read();
    units.forEach((u) => findUnit(snapshot, u));
    if (units.every((u) => findUnit(snapshot, u).selected === selected)) return;
    await this.store.update((state) => ({
      state: { ...state, units: state.units.map((u) => (units.includes(u.id) ? { ...u, selected } : u)) },
    }));
  }

  private async unitCommand(command: "commitNew" | "clearNew" | "setImmediate", cmd: UnitCommand, signers: Signers, decide: (unit: UnitState, vp: Vp) => Decision, options?: CallOptions): Promise<void> {
    checkVp(cmd.expectedVp, "expectedVp");
    return this.call(command, [cmd.unit], () => this.adminCommand(command, cmd.unit, cmd.expectedVp, signers, (unit) => decide(unit, cmd.expectedVp)), options);
  }

  /**
   * A signed master key command, as the TKE CLI sends it: decide on a snapshot (selection, imprint mode,
   * idempotency), sign with the unit's next transaction counter, then let the unit apply its rules under the lock.
   * A unit changed by someone else in between has a newer counter and answers EP11 3-163.
   */
  private async adminCommand(command: HsmRequest["command"], unitId: string, vp: Vp, signers: Signers, decide: (unit: UnitState) => Decision, key?: Uint8Array): Promise<void> {
    const unit = targetUnit(this.store.read(), unitId);
    if (decide(unit) === "noop") return;
    const keys = chooseSigners(signers.keys, unit.admins, requiredSignatures(command, unit.thresholds.signature));
    const request: HsmRequest = { ...signRequest({ target: unit.id, command, vp, counter: unit.transactionCounter + 1 }, keys), command, key };
    await this.store.update((state) => ({ state: replaceUnit(state, executeOnHsm(findUnit(state, unitId), request)) }));
  }
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
