import type { InstanceState } from "./instance-state";
import type { StateStore } from "./state-store";

/**
 * Selection — the workstation's selection (`cryptounit-add` / `cryptounit-rm`): the units later master key commands
 * act on. TKE keeps it on the workstation, not in the crypto units (research §2.1: the plug-in's DOMAINS file in
 * CLOUDTKEFILES). By default the simulator is one workstation and keeps it in the simulated instance; the `ibmcloud`
 * emulator keeps it in each CLOUDTKEFILES directory, as the plug-in does, so two workstations select independently.
 */
export interface Selection {
  /** The selected units among the instance's. */
  selected(state: InstanceState): ReadonlySet<string>;
  /** Adds `units` to the selection, or removes them. The caller has checked that they are the instance's. */
  set(units: readonly string[], selected: boolean): Promise<void>;
}

/** The selection kept in the simulated instance itself (its units' `selected` flags). */
export function instanceSelection(store: StateStore): Selection {
  return {
    selected: (state) => new Set(state.units.filter((u) => u.selected).map((u) => u.id)),
    set: async (units, selected) => {
      await store.update((state) => {
        if (state.units.every((u) => !units.includes(u.id) || u.selected === selected)) return {};
        return { state: { ...state, units: state.units.map((u) => (units.includes(u.id) ? { ...u, selected } : u)) } };
      });
    },
  };
}
