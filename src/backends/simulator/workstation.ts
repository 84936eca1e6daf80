import { InputError } from "../../model/errors";
import { sameVp, shortVp, type Vp } from "../../model/vp";
import { RegisterMismatchError, SameKeyError, SelectionError } from "../../engine/port/errors";
import { assertNotImprint, describeNew, notPromotable } from "./hsm";
import type { InstanceState, UnitState } from "./instance-state";

/**
 * What the TKE workstation decides before it sends a master key command: the unit must belong to the instance and be
 * selected, and our Backend contract adds idempotency (a command that already took effect with the same expected VP
 * is a success without a round trip) and a refusal when a register holds something else. Pure functions of a
 * snapshot; the unit re-checks everything that matters under its own rules (hsm.ts).
 */

export type Decision = "noop" | "send";

export function findUnit(state: InstanceState, unitId: string): UnitState {
  const unit = state.units.find((u) => u.id === unitId);
  if (!unit) {
    throw new SelectionError(`crypto unit ${unitId} is not part of service instance ${state.instanceId}; its units are ${state.units.map((u) => u.id).join(", ")}`);
  }
  return unit;
}

/** A unit that commands may target: in the instance and in the workstation's `selected` units. */
export function selectedUnit(state: InstanceState, unitId: string, selected: ReadonlySet<string>): UnitState {
  const unit = findUnit(state, unitId);
  if (!selected.has(unit.id)) {
    throw new SelectionError(`crypto unit ${unitId} is not selected; select it (cryptounit-add) before sending it commands`);
  }
  return unit;
}

/** A unit that master key commands may target: selected, and not in imprint mode. */
export function targetUnit(state: InstanceState, unitId: string, selected: ReadonlySet<string>): UnitState {
  const unit = selectedUnit(state, unitId, selected);
  assertNotImprint(unit);
  return unit;
}

/**
 * loadNew — cryptounit-mk-load. `partsVp` is the VP of the key the parts make; `expectedVp` binds a load whose caller
 * knows the key (material parts) and is absent for files only the workstation opens (the plug-in cannot be told it).
 */
export function decideLoadNew(unit: UnitState, expectedVp: Vp | undefined, partsVp: Vp): Decision {
  const loading = expectedVp ?? partsVp;
  if (unit.new.status !== "Empty") {
    if (sameVp(unit.new.vp, loading)) return "noop";
    throw new RegisterMismatchError(unit.id, `the new master key register already holds ${describeNew(unit)}, not ${shortVp(loading)}; nothing was loaded`);
  }
  if (!sameVp(partsVp, loading)) {
    throw new InputError(`keyParts: the key parts make the master key ${shortVp(partsVp)}, not the expected ${shortVp(loading)}; nothing was loaded`, "keyParts");
  }
  if (unit.current.status === "Valid" && sameVp(unit.current.vp, partsVp)) throw new SameKeyError(unit.id, unit.current.vp);
  return "send";
}

/** commitNew — cryptounit-mk-commit. A mismatch is left to the unit, which answers EP11 3-101-48. */
export function decideCommitNew(unit: UnitState, expectedVp: Vp): Decision {
  return unit.new.status === "Full Committed" && sameVp(unit.new.vp, expectedVp) ? "noop" : "send";
}

/** clearNew — cryptounit-mk-clrnew, bound to the VP the caller means to discard. */
export function decideClearNew(unit: UnitState, expectedVp: Vp): Decision {
  if (unit.new.status === "Empty") return "noop";
  if (!sameVp(unit.new.vp, expectedVp)) {
    throw new RegisterMismatchError(unit.id, `the new master key register holds ${describeNew(unit)}, not ${shortVp(expectedVp)}; it was not cleared`);
  }
  return "send";
}

/** setImmediate — cryptounit-mk-setimm. Already promoted (current = expected, new Empty) is a success. */
export function decideSetImmediate(unit: UnitState, expectedVp: Vp): Decision {
  if (unit.new.status === "Empty" && unit.current.status === "Valid" && sameVp(unit.current.vp, expectedVp)) return "noop";
  if (unit.new.status !== "Full Committed" || !sameVp(unit.new.vp, expectedVp)) {
    throw notPromotable(unit, expectedVp);
  }
  return "send";
}

/** The generating recovery unit's GEN_WK: its new register must be Empty (auto-mk-rotate clears it first). */
export function decideGenerate(unit: UnitState): Decision {
  if (unit.new.status !== "Empty") throw new RegisterMismatchError(unit.id, `the new master key register holds ${describeNew(unit)}; a key is generated only into an Empty one; nothing was generated`);
  return "send";
}

/** A copy of the generated key `vp` into a unit's new register: already there is a success, anything else a refusal. */
export function decideCopy(unit: UnitState, vp: Vp): Decision {
  if (unit.new.status === "Empty") return "send";
  if (sameVp(unit.new.vp, vp)) return "noop";
  throw new RegisterMismatchError(unit.id, `the new master key register already holds ${describeNew(unit)}, not ${shortVp(vp)}; nothing was copied`);
}
