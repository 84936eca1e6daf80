import fc from "fast-check";
import type { Backend } from "../../src/engine/port/backend";
import { keyStorageReaders, type FaultSpec } from "../../src/backends/simulator";
import { situationCode, type Attestation } from "../../src/engine/attestation";
import { classify } from "../../src/engine/classify";
import { journalBinding, type Journal } from "../../src/engine/journal";
import { attestableSituation } from "../../src/engine/plan";
import { observe } from "../../src/engine/observe";
import { sameVp, type Vp } from "../../src/model/vp";
import { leavesEveryRecordReadable } from "../helpers/operator";
import type { SimFixture } from "../helpers/sim-fixture";

/**
 * The world the property tests schedule: faults at every point of a run, another operator with IBM's CLI, and what
 * happens to the journal between runs. Shared by the key-part and the generated-key properties.
 */
export const MUTATING = ["select", "deselect", "loadNew", "commitNew", "clearNew", "rewrap", "rotate", "setImmediate", "generateNew", "copyNew", "autoRotate"] as const;

export const faultArb = fc.oneof<fc.Arbitrary<FaultSpec>[]>(
  fc.record({ kind: fc.constantFrom("crash" as const, "fail" as const), when: fc.constantFrom("before" as const, "after" as const), command: fc.constantFrom(...MUTATING), skip: fc.nat(3) }),
  fc.record({ kind: fc.constantFrom("transient" as const, "lostResponse" as const, "authExpired" as const, "unitUnavailable" as const), command: fc.constantFrom(...MUTATING), skip: fc.nat(3) }) as fc.Arbitrary<FaultSpec>,
  fc.record({ kind: fc.constant("crashMidRewrap" as const), afterRecords: fc.nat(8) }),
  // The combined rotate: a crash after its marker and k promotions, its marker lost (the output cut off).
  fc.record({ kind: fc.constant("crashInRotate" as const), promoted: fc.nat(6) }),
  fc.record({ kind: fc.constant("lostMarker" as const) }),
);

export type OperatorAction =
  | { readonly kind: "deselect" | "select" | "loadForeign" | "commit" | "clearPending" | "rewrapIfReady"; readonly unit: number }
  /** cryptounit-mk-setimm on `count` units (at least one left unpromoted), whatever the rewrap: IBM's CLI only warns. */
  | { readonly kind: "promoteEarly"; readonly unit: number; readonly count: number }
  /**
   * A whole correct ceremony by hand, as IBM's page prescribes it: finish the rotation in flight (rewrap, set immediate
   * on every unit), or from Active rotate to key set `key` (load, commit, rewrap, set immediate). Leaves our journal of
   * an earlier ceremony behind, open, with its proof: the next run must not take it for this one.
   */
  | { readonly kind: "rotateByHand"; readonly unit: number; readonly key: number }
  /** IBM's auto-mk-rotate by hand, on an instance at rest (every unit on one key, new registers Empty) with recovery units. */
  | { readonly kind: "autoRotateByHand"; readonly unit: number };
export const operatorArb: fc.Arbitrary<OperatorAction> = fc.oneof(
  fc.record({ kind: fc.constantFrom("deselect" as const, "select" as const, "loadForeign" as const, "commit" as const, "clearPending" as const, "rewrapIfReady" as const), unit: fc.nat(7) }),
  fc.record({ kind: fc.constant("promoteEarly" as const), unit: fc.nat(7), count: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant("rotateByHand" as const), unit: fc.constant(0), key: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ kind: fc.constant("autoRotateByHand" as const), unit: fc.constant(0) }),
);

/** What happens to the journal between runs: kept, lost with the process, or replaced by one that must not count. */
export const journalFates = ["keep", "lose", "staleCompleted", "staleOpen", "otherInstance", "handMade"] as const;
export type JournalFate = (typeof journalFates)[number];

/**
 * A second operator with IBM's CLI, who does not wait for the rewrap and does not know our journal, but does not
 * destroy the last copy of a key records are under (those records would be lost before the engine acts).
 */
export async function operate(backend: Backend, fixture: SimFixture, action: OperatorAction): Promise<void> {
  const observation = await observe(backend);
  const units = observation.units;
  const unit = units[action.unit % units.length];
  const signers = fixture.signers;
  const pending = unit.new.vp;
  const mayRemove = (id: string, vp: Vp) => leavesEveryRecordReadable(fixture.dir, fixture.instanceId, id, vp);
  switch (action.kind) {
    case "deselect":
      return backend.deselect([unit.id]);
    case "select":
      return backend.select([unit.id]);
    case "loadForeign":
      if (unit.new.status === "Empty") await backend.loadNew({ units: [unit.id], keyParts: fixture.keyParts[2].material, expectedVp: fixture.keyParts[2].vp }, signers);
      return;
    case "commit":
      if (unit.new.status === "Full Uncommitted") await backend.commitNew({ units: [unit.id], expectedVp: pending }, signers);
      return;
    case "clearPending":
      if (unit.new.status !== "Empty" && (await mayRemove(unit.id, pending))) await backend.clearNew({ units: [unit.id], expectedVp: pending }, signers);
      return;
    case "promoteEarly": {
      // 1..n−1 units: at least one unit is left with its new register committed and not promoted.
      const committed = units.filter((u) => u.new.status === "Full Committed");
      for (const u of committed.slice(0, Math.min(action.count, committed.length - 1))) {
        if (u.current.status === "Empty" || (await mayRemove(u.id, u.current.vp))) await backend.setImmediate({ units: [u.id], expectedVp: u.new.vp }, signers);
      }
      return;
    }
    case "rewrapIfReady":
      if (units.every((u) => u.new.status === "Full Committed" && sameVp(u.new.vp, pending))) await backend.rewrap(pending, signers);
      return;
    case "autoRotateByHand": {
      const current = units[0].current;
      const atRest = units.every((u) => u.new.status === "Empty" && u.current.status === "Valid" && current.status === "Valid" && sameVp(u.current.vp, current.vp));
      if (atRest && units.some((u) => u.type === "recovery")) {
        const combined = await fixture.open({ capabilities: { rotation: "combined" } });
        await combined.select(units.map((u) => u.id));
        await combined.autoRotate({ units: units.map((u) => u.id) }, signers);
      }
      return;
    }
    case "rotateByHand": {
      const all = units.map((u) => u.id);
      const current = units[0].current;
      const active = units.every((u) => u.new.status === "Empty" && u.current.status === "Valid" && current.status === "Valid" && sameVp(u.current.vp, current.vp));
      const next = fixture.keyParts[action.key];
      if (active && !sameVp(current.vp, next.vp)) {
        for (const id of all) await backend.loadNew({ units: [id], keyParts: next.material, expectedVp: next.vp }, signers);
        for (const id of all) await backend.commitNew({ units: [id], expectedVp: next.vp }, signers);
      }
      const target = (await observe(backend)).units[0].new;
      if (target.status !== "Full Committed") return;
      await backend.rewrap(target.vp, signers);
      for (const id of all) await backend.setImmediate({ units: [id], expectedVp: target.vp }, signers);
      return;
    }
  }
}

/**
 * What an honest operator who saw IBM's message could attest now: the key every record is under (the ground truth),
 * for the situation the instance is in, if it is one where an attestation counts at all.
 */
export async function honestAttestation(fixture: SimFixture, backend: Backend): Promise<Attestation | undefined> {
  const records = await keyStorageReaders(fixture.dir, fixture.instanceId);
  const keys = [...new Set(records.map((r) => r.vp))];
  const observation = await observe(backend);
  const phase = classify(observation);
  const binding = journalBinding(backend);
  const target = phase.pendingVp;
  if (target === undefined || (keys.length > 0 && !(keys.length === 1 && sameVp(keys[0], target)))) return undefined;
  const situation = attestableSituation({ phase, observation, binding }, target);
  return situation && { vp: target, code: situationCode(situation) };
}


/** The journal the next run is given: kept, lost with the process, or one that must not count. */
export function journalAfterFate(fate: JournalFate, latest: Journal | undefined, journals: readonly Journal[]): Journal | undefined {
  switch (fate) {
    case "keep":
      return latest;
    case "lose":
      return undefined;
    case "staleCompleted":
      return journals.find((j) => j.completedAt !== null) ?? latest;
    case "staleOpen":
      // An earlier ceremony's journal that never closed, proof and all (its run died before it saw the end).
      return journals.find((j) => j !== latest && j.completedAt === null && j.rewrapProof !== null) ?? latest;
    case "otherInstance":
      return latest && { ...latest, binding: latest.binding && { ...latest.binding, instanceId: "another-instance" }, rewrapProof: latest.targetVp === null ? null : { vp: latest.targetVp, source: "rewrap", at: latest.startedAt } };
    case "handMade":
      return latest && { ...latest, binding: null, steps: [{ action: "loadNew", units: [], vp: latest.targetVp, outcome: "ok", at: latest.startedAt, message: null }], rewrapProof: null };
  }
}
