import { EMPTY_VP } from "../../model/vp";
import type { RewrapStatus, UnitRef, UnitStatus } from "../../engine/port/backend";
import type { InstanceState, UnitState } from "./instance-state";

/** Projections of the persisted state onto what the Backend returns: plain JSON, never key bytes. */

export function toUnitRef(unit: UnitState): UnitRef {
  return { id: unit.id, type: unit.type, location: unit.location };
}

/** `selected`: whether the workstation's selection includes the unit (selection.ts); the instance's own by default. */
export function toUnitStatus(unit: UnitState, selected = unit.selected): UnitStatus {
  return {
    ...toUnitRef(unit),
    selected,
    current: { status: unit.current.status, vp: unit.current.status === "Empty" ? EMPTY_VP : unit.current.vp },
    new: { status: unit.new.status, vp: unit.new.status === "Empty" ? EMPTY_VP : unit.new.vp },
    thresholds: { ...unit.thresholds },
    admins: unit.admins.map((a) => ({ ski: a.ski, name: a.name })),
  };
}

export function toRewrapStatus(state: InstanceState): RewrapStatus {
  const job = state.rewrap;
  switch (job.state) {
    case "none":
      return { state: "none", records: state.keystore.records };
    case "inProgress":
      return { state: "inProgress", targetVp: job.targetVp, done: job.done, total: job.total };
    case "complete":
      return { state: "complete", targetVp: job.targetVp, records: job.total };
  }
}
