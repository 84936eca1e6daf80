import { randomUUID } from "node:crypto";
import {
  armFaultSpec,
  consumeFault,
  describePoint,
  faultError,
  faultMatches,
  isCrash,
  recordMatch,
  startMidRewrap,
  type ArmedFault,
  type Fault,
  type FaultPoint,
} from "./faults";
import type { InstanceState } from "./instance-state";
import type { StateStore } from "./state-store";
import { count } from "../../format/words";

/** What a crash does: by default the process really dies; in-process tests throw `SimulatedCrash` instead. */
export type CrashHook = (point: string) => never;

/** A mid-rewrap crash armed for one rewrap run. `consume` records the firing in the state written with the chunk. */
export interface MidRewrapCrash {
  readonly afterRecords: number;
  consume(state: InstanceState): InstanceState;
  crash(): never;
}

/**
 * FaultInjector — applies the faults passed in-process (kept in memory, consumed in memory) and those armed in the
 * persisted instance (consumed under the instance lock, so another process sees them spent). In-process faults are
 * looked at first. A crash or an error is raised only after the lock is released, so a crashed process never
 * leaves the instance locked.
 */
export class FaultInjector {
  private memory: ArmedFault[];

  constructor(
    private readonly store: StateStore,
    inProcess: readonly Fault[],
    private readonly onCrash: CrashHook,
  ) {
    this.memory = inProcess.map((spec) => armFaultSpec(spec, randomUUID()));
  }

  /** Fires the fault that matches this point, if any: a crash, or a thrown error. */
  async at(point: FaultPoint): Promise<void> {
    const firing = await this.match((f) => faultMatches(f, point));
    if (!firing) return;
    if (isCrash(firing)) this.onCrash(describePoint(point));
    throw faultError(firing, point, this.store.read().units[0].id);
  }

  /** Records a match on the first live fault `matches` accepts, in memory first, then in the instance; the one that fires. */
  private async match(matches: (fault: ArmedFault) => boolean): Promise<ArmedFault | undefined> {
    const local = recordMatch(this.memory, matches);
    this.memory = local.faults;
    if (local.firing || !this.store.read().faults.some(matches)) return local.firing;
    return this.store.update((state) => {
      const persisted = recordMatch(state.faults, matches);
      return { state: { ...state, faults: persisted.faults }, result: persisted.firing };
    });
  }

  /** Called when a rewrap run starts: the mid-rewrap crash armed for this run, if any. */
  async midRewrap(): Promise<MidRewrapCrash | undefined> {
    const local = startMidRewrap(this.memory);
    this.memory = local.faults;
    if (local.armed) {
      const id = local.armed.id;
      return this.midRewrapCrash(local.armed.afterRecords, (state) => {
        this.memory = consumeFault(this.memory, id);
        return state;
      });
    }
    if (!this.store.read().faults.some((f) => f.kind === "crashMidRewrap")) return undefined;
    const armed = await this.store.update((state) => {
      const persisted = startMidRewrap(state.faults);
      return { state: { ...state, faults: persisted.faults }, result: persisted.armed };
    });
    if (!armed) return undefined;
    return this.midRewrapCrash(armed.afterRecords, (state) => ({ ...state, faults: consumeFault(state.faults, armed.id) }));
  }

  /**
   * Called when the combined rotate reaches its marker: whether the marker line is lost, and after how many promotions
   * the process dies, if a fault says so. Every match is recorded before it acts, as for the other faults.
   */
  async atMarker(): Promise<{ readonly markerLost: boolean; readonly crashAfterPromoting?: number }> {
    const lost = await this.match((f) => f.kind === "lostMarker");
    const crash = await this.match((f) => f.kind === "crashInRotate");
    return { markerLost: lost !== undefined, ...(crash?.kind === "crashInRotate" ? { crashAfterPromoting: crash.promoted } : {}) };
  }

  /** The process dies inside the combined rotate, after the marker and `promoted` promotions. */
  crashInRotate(promoted: number): never {
    return this.onCrash(`in rotate after the marker and ${count(promoted, "promotion")}`);
  }

  private midRewrapCrash(afterRecords: number, consume: (state: InstanceState) => InstanceState): MidRewrapCrash {
    return { afterRecords, consume, crash: () => this.onCrash(`during rewrap after ${afterRecords} record(s)`) };
  }
}
