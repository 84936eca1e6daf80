import { randomUUID } from "node:crypto";
import { join } from "node:path";
import type { RewrapStatus, UnitStatus } from "../../engine/port/backend";
import type { BackendCommand } from "../../engine/port/backend";
import { armFaultSpec, parseFaultSpec, recordMatch, type ArmedFault, type FaultSpec } from "./faults";
import type { InstanceState } from "./instance-state";
import { listInstanceIds, StateStore } from "./state-store";
import { toRewrapStatus, toUnitStatus } from "./views";

/**
 * Operations on simulated instances that are not TKE commands: what `hpcs-mk sim …` and drills need (arm faults,
 * show the state without secrets) and a locked edit for tests that must craft a state no command sequence reaches.
 */

export function listSimulatedInstances(dir: string): string[] {
  return listInstanceIds(dir);
}

/** armFault — arms a fault in the persisted instance, where every process using it will meet it. */
export async function armFault(dir: string, instanceId: string, spec: FaultSpec): Promise<ArmedFault> {
  const armed = armFaultSpec(parseFaultSpec(spec, "fault"), randomUUID());
  await new StateStore(dir, instanceId).update((state) => ({ state: { ...state, faults: [...state.faults, armed] } }));
  return armed;
}

/** The faults still armed in the instance (spent ones are removed when they fire for the last time). */
export function listArmedFaults(dir: string, instanceId: string): readonly ArmedFault[] {
  return new StateStore(dir, instanceId).read().faults;
}

/**
 * takeUnexpectedPrompt — for the ibmcloud emulator, which stands for the plug-in: whether an armed `unexpectedPrompt`
 * fault fires before `command` (its match and firing recorded as any fault's are).
 */
export async function takeUnexpectedPrompt(dir: string, instanceId: string, command: BackendCommand): Promise<boolean> {
  const store = new StateStore(dir, instanceId);
  const matches = (f: ArmedFault) => f.kind === "unexpectedPrompt" && (f.command === undefined || f.command === command);
  if (!store.read().faults.some(matches)) return false;
  return store.update((state) => {
    const { faults, firing } = recordMatch(state.faults, matches);
    return { state: { ...state, faults }, result: firing !== undefined };
  });
}

/** Where the emulator records a driver's answer `y` to an unexpected prompt: tests require that it never exists. */
export function unsafeAnswersFile(dir: string): string {
  return join(dir, "unsafe-answers.log");
}

export async function clearFaults(dir: string, instanceId: string): Promise<number> {
  return new StateStore(dir, instanceId).update((state) => ({ state: { ...state, faults: [] }, result: state.faults.length }));
}

/**
 * editSimulatedInstance — a locked read-modify-write of the raw state, for tests and drills that need a state no
 * command sequence produces (a diverged unit, a foreign pending key). The result is validated before it is written.
 */
export async function editSimulatedInstance(dir: string, instanceId: string, edit: (state: InstanceState) => InstanceState): Promise<void> {
  await new StateStore(dir, instanceId).update((state) => ({ state: edit(structuredClone(state)) }));
}

/** What `hpcs-mk sim status` shows: the instance without key bytes or public keys. Plain JSON. */
export interface SimulatedInstanceSummary {
  readonly instanceId: string;
  readonly units: readonly (UnitStatus & { readonly transactionCounter: number })[];
  readonly keyStorage: { readonly records: number; readonly chunks: number };
  readonly rewrap: RewrapStatus;
  readonly faults: readonly ArmedFault[];
  readonly lease: { readonly owner: string; readonly expiresAt: string } | null;
}

export function describeSimulatedInstance(dir: string, instanceId: string): SimulatedInstanceSummary {
  const state = new StateStore(dir, instanceId).read();
  return {
    instanceId: state.instanceId,
    units: state.units.map((u) => ({ ...toUnitStatus(u), transactionCounter: u.transactionCounter })),
    keyStorage: { records: state.keystore.records, chunks: state.keystore.chunks },
    rewrap: toRewrapStatus(state),
    faults: state.faults,
    lease: state.lease ? { owner: state.lease.owner, expiresAt: state.lease.expiresAt } : null,
  };
}
