import { listSimulatedInstances, openSimulator, type InstanceState, type Selection, type SimulatorBackend } from "../../../backends/simulator";
import type { UnitType } from "../../../model/registers";
import { readDomains, writeDomains, type DomainEntry } from "./workstation";

/**
 * The account the emulated CLI is logged in to: every simulated instance in the simulator directory belongs to the
 * targeted resource group. CRYPTO UNIT NUM counts across all of them, instance by instance (research §2.3), and is
 * given afresh on every listing; the workstation's selection is kept by HSM id, not by number.
 */
export interface ListedUnit {
  readonly num: number;
  readonly instanceId: string;
  readonly id: string;
  readonly type: UnitType;
  readonly location: string;
  readonly selected: boolean;
}

export interface Account {
  readonly simDir: string;
  readonly tkeDir: string;
  readonly units: readonly ListedUnit[];
  readonly instances: readonly string[];
  /** A backend over one instance whose selection is this workstation's (the DOMAINS file). */
  open(instanceId: string): Promise<SimulatorBackend>;
  /** The selected units, grouped by instance, in listing order. */
  selectedByInstance(): Map<string, ListedUnit[]>;
}

/** The selection of a workstation: its DOMAINS file, by HSM id. */
function domainsSelection(tkeDir: string, instanceId: string): Selection {
  return {
    selected: (state: InstanceState) => new Set(readDomains(tkeDir).filter((e) => e.selected && e.crypto_instance_id === state.instanceId).map((e) => e.hsm_id)),
    set: async (units, selected) => setSelected(tkeDir, instanceId, units, selected),
  };
}

async function setSelected(tkeDir: string, instanceId: string, units: readonly string[], selected: boolean): Promise<void> {
  const entries = readDomains(tkeDir);
  const known = new Set(entries.map((e) => e.hsm_id));
  const added: DomainEntry[] = units.filter((id) => !known.has(id)).map((id) => ({ hsm_id: id, crypto_instance_id: instanceId, location: "", type: "", selected }));
  writeDomains(tkeDir, [...entries.map((e) => (units.includes(e.hsm_id) ? { ...e, selected } : e)), ...added]);
}

export async function openAccount(simDir: string, tkeDir: string): Promise<Account> {
  const instances = listSimulatedInstances(simDir);
  const domains = new Map(readDomains(tkeDir).map((e) => [e.hsm_id, e]));
  const units: ListedUnit[] = [];
  for (const instanceId of instances) {
    const backend = await openSimulator({ dir: simDir, instanceId, selection: domainsSelection(tkeDir, instanceId) });
    for (const ref of await backend.listUnits()) {
      units.push({ num: units.length + 1, instanceId, id: ref.id, type: ref.type, location: ref.location, selected: domains.get(ref.id)?.selected ?? false });
    }
  }
  return {
    simDir,
    tkeDir,
    units,
    instances,
    open: (instanceId) => openSimulator({ dir: simDir, instanceId, selection: domainsSelection(tkeDir, instanceId), capabilities: { rotation: "combined", vpBinding: "readFirst" } }),
    selectedByInstance: () => {
      const groups = new Map<string, ListedUnit[]>();
      for (const u of units.filter((x) => x.selected)) groups.set(u.instanceId, [...(groups.get(u.instanceId) ?? []), u]);
      return groups;
    },
  };
}

/** Selects or deselects units in the workstation's DOMAINS file, recording where each unit is. */
export function markSelected(account: Account, units: readonly ListedUnit[], selected: boolean): void {
  const entries = new Map(readDomains(account.tkeDir).map((e) => [e.hsm_id, e]));
  for (const u of units) entries.set(u.id, { hsm_id: u.id, crypto_instance_id: u.instanceId, location: u.location, type: u.type.toUpperCase(), selected });
  writeDomains(account.tkeDir, [...entries.values()]);
}
