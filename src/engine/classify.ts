import type { UnitStatus } from "./port/backend";
import { inImprintMode } from "../model/registers";
import { sameVp, shortVp, vpIdentity, type Vp } from "../model/vp";
import type { Observation } from "./observation";
import type { DivergenceReason, Phase, PhaseName, UnitRole } from "./phases";
import { reportedRecords, rewrapEvidence } from "./rewrap-evidence";
import { count, unitsAre } from "../format/words";

// NOTE: classify must stay total and pure; add a row to tests/engine/classify.test.ts before adding a branch.

/** Groups VPs by their significant 28 bytes, keeping the first spelling seen. */
function distinctVps(vps: readonly Vp[]): Vp[] {
  const out: Vp[] = [];
  for (const vp of vps) if (!out.some((seen) => sameVp(seen, vp))) out.push(vp);
  return out;
}

const ids = (units: readonly UnitStatus[]) => units.map((u) => u.id);
const holds = (unit: UnitStatus, vp: Vp) =>
  (unit.current.status === "Valid" && sameVp(unit.current.vp, vp)) || (unit.new.status !== "Empty" && sameVp(unit.new.vp, vp));

/** Thresholds, imprint mode and administrators: the configuration every unit must share (research §1.1, §4.1). */
function configurationReasons(units: readonly UnitStatus[]): DivergenceReason[] {
  const reasons: DivergenceReason[] = [];
  const imprinted = units.filter((u) => inImprintMode(u.thresholds));
  if (imprinted.length > 0) {
    reasons.push({
      code: "ImprintMode",
      units: ids(imprinted),
      message: `${unitsAre(ids(imprinted))} in imprint mode (signature threshold 0); master key commands are not allowed there`,
    });
  }
  const thresholdText = (u: UnitStatus) => `${u.thresholds.signature}/${u.thresholds.revocation}`;
  if (new Set(units.map(thresholdText)).size > 1) {
    reasons.push({
      code: "ThresholdsDiffer",
      units: ids(units),
      message: `signature/revocation thresholds differ between units: ${units.map((u) => `${u.id} ${thresholdText(u)}`).join(", ")}`,
    });
  }
  const adminText = (u: UnitStatus) =>
    u.admins
      .map((a) => a.ski)
      .sort()
      .join(",");
  if (new Set(units.map(adminText)).size > 1) {
    reasons.push({
      code: "AdministratorsDiffer",
      units: ids(units),
      message: `installed administrators differ between units: ${units.map((u) => `${u.id} [${u.admins.map((a) => a.name).join(", ")}]`).join("; ")}`,
    });
  }
  return reasons;
}

interface RegisterPhase {
  readonly name: PhaseName;
  readonly currentVp?: Vp;
  readonly pendingVp?: Vp;
  readonly roles: Record<string, UnitRole>;
  readonly reasons: DivergenceReason[];
}

const inconsistent = (units: readonly UnitStatus[], reasons: DivergenceReason[]): RegisterPhase => ({
  name: "Diverged",
  roles: Object.fromEntries(units.map((u) => [u.id, "inconsistent" as UnitRole])),
  reasons,
});

const pendingRole = (u: UnitStatus): UnitRole =>
  u.new.status === "Empty" ? "pendingEmpty" : u.new.status === "Full Uncommitted" ? "pendingUncommitted" : "pendingCommitted";

/** Every unit agrees on its current register (all Empty, or all Valid with one VP). */
function classifyUniform(obs: Observation, currentVp: Vp | undefined): RegisterPhase {
  const { units } = obs;
  const pendings = distinctVps(units.filter((u) => u.new.status !== "Empty").map((u) => u.new.vp));
  // Unknown is not "no records": plan refuses to initialise without proof that key storage is empty.
  if (currentVp === undefined && (reportedRecords(obs.rewrap) ?? 0) > 0) {
    return inconsistent(units, [
      {
        code: "KeyStorageWithoutKey",
        units: ids(units),
        message: "key storage holds records but no crypto unit has a current master key; do not load a key: recover the master key (ibmcloud tke auto-mk-recover) or contact IBM support",
      },
    ]);
  }
  if (pendings.length > 1) {
    return inconsistent(units, [
      {
        code: "NewRegistersDiffer",
        units: ids(units.filter((u) => u.new.status !== "Empty")),
        message: `new master key registers hold different keys: ${units
          .filter((u) => u.new.status !== "Empty")
          .map((u) => `${u.id} ${shortVp(u.new.vp)}`)
          .join(", ")}`,
      },
    ]);
  }
  if (pendings.length === 0) {
    const name: PhaseName = currentVp === undefined ? "Uninitialized" : "Active";
    const role: UnitRole = currentVp === undefined ? "uninitialized" : "active";
    return { name, currentVp, roles: Object.fromEntries(units.map((u) => [u.id, role])), reasons: [] };
  }
  const pendingVp = pendings[0];
  if (currentVp !== undefined && sameVp(pendingVp, currentVp)) {
    return inconsistent(units, [
      { code: "PendingEqualsCurrent", units: ids(units), message: `the new master key registers hold the current key ${shortVp(currentVp)}` },
    ]);
  }
  const statuses = new Set(units.map((u) => u.new.status));
  const roles = Object.fromEntries(units.map((u) => [u.id, pendingRole(u)]));
  const name: PhaseName = statuses.has("Empty")
    ? "Loading"
    : !statuses.has("Full Committed")
      ? "Loaded"
      : statuses.has("Full Uncommitted")
        ? "Committing"
        : currentVp === undefined
          ? "Committed"
          : rewrapPhase(obs, pendingVp);
  return { name, currentVp, pendingVp, roles, reasons: [] };
}

/** All new registers are Full Committed with the pending key: how far has key storage come, as the backend reports it? */
function rewrapPhase(obs: Observation, pendingVp: Vp): PhaseName {
  const evidence = rewrapEvidence({ report: obs.rewrap }, pendingVp);
  if (evidence.state === "complete") return "Rewrapped";
  if (evidence.state === "partial") return "Rewrapping";
  return "Committed";
}

/**
 * HalfPromoted (research §4.4): units split into {current = T, new Empty} (promoted) and
 * {current = old, new = Full Committed T} (lagging), with one old value on every lagging unit.
 */
function classifySplit(obs: Observation): RegisterPhase {
  const { units } = obs;
  const committed = units.filter((u) => u.new.status === "Full Committed");
  const targets = distinctVps(committed.map((u) => u.new.vp));
  const diverged = inconsistent(units, [
    {
      code: "CurrentRegistersDiffer",
      units: ids(units),
      message: `current master key registers differ and do not match a half-promoted rotation: ${units
        .map((u) => `${u.id} ${u.current.status === "Valid" ? shortVp(u.current.vp) : "Empty"}`)
        .join(", ")}`,
    },
  ]);
  if (targets.length !== 1) return diverged;
  const target = targets[0];
  const promoted = units.filter((u) => u.current.status === "Valid" && sameVp(u.current.vp, target) && u.new.status === "Empty");
  const lagging = units.filter((u) => u.new.status === "Full Committed" && !(u.current.status === "Valid" && sameVp(u.current.vp, target)));
  const oldValues = new Set(lagging.map((u) => (u.current.status === "Valid" ? vpIdentity(u.current.vp) : "Empty")));
  if (promoted.length === 0 || lagging.length === 0 || promoted.length + lagging.length !== units.length || oldValues.size !== 1) return diverged;
  const first = lagging[0];
  return {
    name: "HalfPromoted",
    currentVp: first.current.status === "Valid" ? first.current.vp : undefined,
    pendingVp: target,
    roles: Object.fromEntries(units.map((u) => [u.id, (promoted.includes(u) ? "promoted" : "lagging") as UnitRole])),
    reasons: [],
  };
}

/** Records moved to a key that some unit no longer holds are unreadable by that unit: never auto-fix that. */
function missingKeyReasons(obs: Observation): DivergenceReason[] {
  const r = obs.rewrap;
  const moved = (r.state === "inProgress" && r.done > 0) || (r.state === "complete" && r.records > 0);
  if (!moved) return [];
  const lacking = obs.units.filter((u) => !holds(u, r.targetVp));
  if (lacking.length === 0) return [];
  return [
    {
      code: "KeyStorageUnderMissingKey",
      units: ids(lacking),
      message: `key storage is ${r.state === "complete" ? "" : "partly "}wrapped under ${shortVp(r.targetVp)}, which crypto units ${ids(lacking).join(", ")} hold in neither register; contact IBM support before any other master key command`,
    },
  ];
}

/**
 * A rewrap the backend reports unfinished while no unit keeps any key but its target: every unit was promoted
 * before the rewrap ended, so the records it had not reached are under a key no unit holds.
 */
function unfinishedRewrapReasons(obs: Observation): DivergenceReason[] {
  const r = obs.rewrap;
  if (r.state !== "inProgress" || r.done >= r.total) return [];
  const onlyTarget = obs.units.every((u) => u.current.status === "Valid" && sameVp(u.current.vp, r.targetVp) && (u.new.status === "Empty" || sameVp(u.new.vp, r.targetVp)));
  if (!onlyTarget) return [];
  return [
    {
      code: "KeyStorageUnderMissingKey",
      units: ids(obs.units),
      message: `the backend reports the key storage rewrap to ${shortVp(r.targetVp)} unfinished (${r.done} of ${count(r.total, "record")}), but every crypto unit already has it as its only key: ${r.total - r.done === 1 ? "the other record is" : `the other ${r.total - r.done} records are`} under a key no unit holds; contact IBM support before any other master key command`,
    },
  ];
}

function classifyRegisters(obs: Observation): RegisterPhase {
  const currents = distinctVps(obs.units.filter((u) => u.current.status === "Valid").map((u) => u.current.vp));
  const anyEmpty = obs.units.some((u) => u.current.status === "Empty");
  if (currents.length === 0) return classifyUniform(obs, undefined);
  if (currents.length === 1 && !anyEmpty) return classifyUniform(obs, currents[0]);
  return classifySplit(obs);
}

/** A unit as `cryptounit-zeroize` leaves it (research §3): no administrators, imprint mode, both registers Empty. */
function isZeroized(unit: UnitStatus): boolean {
  return inImprintMode(unit.thresholds) && unit.admins.length === 0 && unit.current.status === "Empty" && unit.new.status === "Empty";
}

/**
 * Some units zeroized beside units at rest on `current` (a reset or replaced unit): one reason with the steps that
 * set them up like the others, instead of every configuration and register difference a zeroized unit shows.
 */
function withZeroizedUnits(obs: Observation, zeroized: readonly UnitStatus[], current: Vp | undefined): Phase {
  const reason: DivergenceReason = {
    code: "UnitZeroized",
    units: ids(zeroized),
    message: `${unitsAre(ids(zeroized))} zeroized (no administrators, imprint mode, no master key) while the other units are set up; ${zeroized.length === 1 ? "it needs" : "they need"} the same administrators, thresholds and current master key before any rotation`,
  };
  return { ...inconsistent(obs.units, []), currentVp: current, reasons: [reason] };
}

/** classify — the instance phase of DESIGN §4 from one observation, with every divergence reason found. */
export function classify(obs: Observation): Phase {
  if (obs.units.length === 0) {
    return { name: "Diverged", roles: {}, reasons: [{ code: "NoUnits", units: [], message: "the instance has no crypto units" }] };
  }
  const zeroized = obs.units.filter(isZeroized);
  if (zeroized.length > 0 && zeroized.length < obs.units.length) {
    // Only beside units at rest on one key is "the current master key" to copy into them unambiguous; otherwise every
    // reason stands, with its stricter steps.
    const others = classify({ ...obs, units: obs.units.filter((u) => !zeroized.includes(u)) });
    if (others.name === "Active") return withZeroizedUnits(obs, zeroized, others.currentVp);
  }
  const registers = classifyRegisters(obs);
  const reasons = [...configurationReasons(obs.units), ...registers.reasons, ...missingKeyReasons(obs), ...unfinishedRewrapReasons(obs)];
  if (reasons.length === 0) return registers;
  return { ...inconsistent(obs.units, []), currentVp: registers.currentVp, pendingVp: registers.pendingVp, reasons };
}
