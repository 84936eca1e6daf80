import type { UnitStatus } from "./port/backend";
import { EMPTY_VP, type Vp } from "../model/vp";
import { rewrapsKeyStorage, type Action } from "./decision";
import type { Observation } from "./observation";
import { reportedRecords } from "./rewrap-evidence";

function loadedKey(vp: Vp | undefined, madeVp: Vp | undefined): Vp {
  const key = vp ?? madeVp;
  if (key === undefined) throw new Error("project: a load of key part files whose key is not known cannot be projected without the key they make");
  return key;
}

function generatedKey(madeVp: Vp | undefined): Vp {
  if (madeVp === undefined) throw new Error("project: a generation cannot be projected without the key it makes");
  return madeVp;
}

/**
 * project — what an action does to an observation if it succeeds: the register transitions of research §3.
 * Pure; used to preview a whole ceremony (`pulumi preview`, `hpcs-mk plan`) without touching the instance. A load of
 * key part files whose key is not known yet loads `madeVp`, which only a caller that knows what the files make (a
 * check's ground truth) can give; without it such a load cannot be projected.
 */
export function project(obs: Observation, action: Action, madeVp?: Vp): Observation {
  const touches = (u: UnitStatus) => action.units.includes(u.id);
  const units = obs.units.map((u): UnitStatus => {
    if (!touches(u)) return u;
    switch (action.kind) {
      case "select":
        return { ...u, selected: true };
      case "deselect":
        return { ...u, selected: false };
      case "loadNew":
        return u.new.status === "Empty" ? { ...u, new: { status: "Full Uncommitted", vp: loadedKey(action.vp, madeVp) } } : u;
      case "commitNew":
        return { ...u, new: { status: "Full Committed", vp: action.vp } };
      case "clearNew":
        return { ...u, new: { status: "Empty", vp: EMPTY_VP } };
      case "setImmediate":
      case "rotate":
        return { ...u, current: { status: "Valid", vp: action.vp }, new: { status: "Empty", vp: EMPTY_VP } };
      case "copyNew":
        return u.new.status === "Empty" ? { ...u, new: { status: "Full Uncommitted", vp: action.vp } } : u;
      case "generateNew":
        return { ...u, new: { status: "Full Uncommitted", vp: generatedKey(madeVp) } };
      case "autoRotate":
        return { ...u, current: { status: "Valid", vp: generatedKey(madeVp) }, new: { status: "Empty", vp: EMPTY_VP } };
      default:
        return u;
    }
  });
  // A backend that cannot report the rewrap still cannot after it: the proof is the journal's (endStep records it).
  const records = reportedRecords(obs.rewrap);
  const rewrapped = action.kind === "autoRotate" ? madeVp : action.vp;
  const rewrap = rewrapsKeyStorage(action.kind) && records !== undefined && rewrapped !== undefined ? ({ state: "complete", targetVp: rewrapped, records } as const) : obs.rewrap;
  return { units, rewrap };
}
