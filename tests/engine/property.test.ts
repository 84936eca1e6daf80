import fc from "fast-check";
import type { Backend } from "../../src/engine/port/backend";
import { isSimulatedCrash, keyStorageReaders, verifyKeyStorage, type FaultSpec } from "../../src/backends/simulator";
import { situationCode, type Attestation } from "../../src/engine/attestation";
import { classify } from "../../src/engine/classify";
import { Executor } from "../../src/engine/executor";
import { journalBinding, type Journal } from "../../src/engine/journal";
import { attestableSituation } from "../../src/engine/plan";
import { observe } from "../../src/engine/observe";
import { sameVp, type Vp } from "../../src/model/vp";
import { ALL_CAPABILITIES, capabilitiesLabel } from "../../src/engine/port/capabilities";
import { audit, type Audit } from "../crash/audited-backend";
import { instantClock } from "../helpers/clocks";
import { leavesEveryRecordReadable } from "../helpers/operator";
import { createSimFixture, type KeyPartSet, type SimFixture } from "../helpers/sim-fixture";
import type { DeclaredKey } from "../../src/engine/declared-key";

/**
 * Property: whatever the fault schedule (several faults per run, crashes that lose the journal or keep it), the other
 * people who touch the instance (an operator running IBM's CLI by hand: promoting units early, mid-rewrap or before
 * it; clearing the pending key of our rotation; loading a foreign key; deleting, swapping or forging the journal),
 * whether the backend reports the rewrap or not, and the declared key changing between runs: the engine never makes
 * a record unreadable on a unit that could read it (judged against the simulator's ground truth on every call the
 * engine makes), and a final undisturbed run converges with every record readable, or refuses with a reason.
 */
const MUTATING = ["select", "deselect", "loadNew", "commitNew", "clearNew", "rewrap", "rotate", "setImmediate"] as const;

const faultArb = fc.oneof<fc.Arbitrary<FaultSpec>[]>(
  fc.record({ kind: fc.constantFrom("crash" as const, "fail" as const), when: fc.constantFrom("before" as const, "after" as const), command: fc.constantFrom(...MUTATING), skip: fc.nat(3) }),
  fc.record({ kind: fc.constantFrom("transient" as const, "lostResponse" as const, "authExpired" as const, "unitUnavailable" as const), command: fc.constantFrom(...MUTATING), skip: fc.nat(3) }) as fc.Arbitrary<FaultSpec>,
  fc.record({ kind: fc.constant("crashMidRewrap" as const), afterRecords: fc.nat(8) }),
  // The combined rotate: a crash after its marker and k promotions, its marker lost (the output cut off).
  fc.record({ kind: fc.constant("crashInRotate" as const), promoted: fc.nat(6) }),
  fc.record({ kind: fc.constant("lostMarker" as const) }),
);

type OperatorAction =
  | { readonly kind: "deselect" | "select" | "loadForeign" | "commit" | "clearPending" | "rewrapIfReady"; readonly unit: number }
  /** cryptounit-mk-setimm on `count` units (at least one left unpromoted), whatever the rewrap: IBM's CLI only warns. */
  | { readonly kind: "promoteEarly"; readonly unit: number; readonly count: number }
  /**
   * A whole correct ceremony by hand, as IBM's page prescribes it: finish the rotation in flight (rewrap, set immediate
   * on every unit), or from Active rotate to key set `key` (load, commit, rewrap, set immediate). Leaves our journal of
   * an earlier ceremony behind, open, with its proof: the next run must not take it for this one.
   */
  | { readonly kind: "rotateByHand"; readonly unit: number; readonly key: number };
const operatorArb: fc.Arbitrary<OperatorAction> = fc.oneof(
  fc.record({ kind: fc.constantFrom("deselect" as const, "select" as const, "loadForeign" as const, "commit" as const, "clearPending" as const, "rewrapIfReady" as const), unit: fc.nat(7) }),
  fc.record({ kind: fc.constant("promoteEarly" as const), unit: fc.nat(7), count: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant("rotateByHand" as const), unit: fc.constant(0), key: fc.integer({ min: 0, max: 2 }) }),
);

/** What happens to the journal between runs: kept, lost with the process, or replaced by one that must not count. */
const journalFates = ["keep", "lose", "staleCompleted", "staleOpen", "otherInstance", "handMade"] as const;
type JournalFate = (typeof journalFates)[number];

const runArb = fc.record({
  desired: fc.integer({ min: 0, max: 2 }),
  faults: fc.array(faultArb, { maxLength: 3 }),
  operator: fc.option(operatorArb, { freq: 2 }),
  journal: fc.constantFrom<JournalFate>(...journalFates),
  /**
   * `honest`: an operator attests the key every record is under for the situation the instance is in (as if they had
   * seen IBM's message and copied the value the refusal printed); `stale`: the previous run's attestation is left in
   * place (a Pulumi input nobody removed), whatever happened since.
   */
  attest: fc.constantFrom("none" as const, "honest" as const, "stale" as const),
  /**
   * Where the backend opens the key part files itself: whether the user also declared the VP they make
   * (`expectedVerificationPattern`), or leaves it to be learned from a load.
   */
  declareVp: fc.boolean(),
});

const scheduleArb = fc.record({
  shape: fc.constantFrom({ operational: 2, recovery: 0, failover: 0 }, { operational: 3, recovery: 2, failover: 0 }, { operational: 2, recovery: 2, failover: 2 }),
  /** The backend's shape: every combination of what it reports and which commands it has. */
  capabilities: fc.constantFrom(...ALL_CAPABILITIES),
  runs: fc.array(runArb, { minLength: 1, maxLength: 4 }),
});

/**
 * A second operator with IBM's CLI, who does not wait for the rewrap and does not know our journal, but does not
 * destroy the last copy of a key records are under (those records would be lost before the engine acts).
 */
async function operate(backend: Backend, fixture: SimFixture, action: OperatorAction): Promise<void> {
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
async function honestAttestation(fixture: SimFixture, backend: Backend): Promise<Attestation | undefined> {
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

describe("rotation under random faults, other operators, journals that must not count, and changing keys", () => {
  test("never makes a record unreadable, and ends converged with every record readable, or refused with a reason", async () => {
    const endings = new Map<string, number>();
    const perShape = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(scheduleArb, async (schedule) => {
        const fixture = await createSimFixture({ shape: schedule.shape, records: 8, chunkSize: 3, keyPartSets: 3 });
        const record: Audit = { calls: [], violations: [], crashed: false };
        const open = async (faults: FaultSpec[] = []) => fixture.open({ faults, capabilities: schedule.capabilities });
        const opaque = schedule.capabilities.keyParts === "opaque";
        // The key as the backend's shape declares it: its VP, or the files (with their VP when the user declared it).
        const declared = (set: KeyPartSet, declareVp: boolean): DeclaredKey =>
          opaque ? { kind: "files", ids: set.ids, ...(declareVp ? { expectedVp: set.vp } : {}) } : { kind: "vp", vp: set.vp };
        const executorFor = async (desired: number, declareVp: boolean, journal: Journal | undefined, faults: FaultSpec[], attestation: Attestation | undefined, persist: (j: Journal) => void) =>
          new Executor({
            backend: audit(await open(faults), fixture.dir, fixture.instanceId, record),
            desired: { key: declared(fixture.keyParts[desired], declareVp), signerSkis: fixture.admins.map((a) => a.key.ski), ...(attestation ? { rewrapAttestation: attestation } : {}) },
            material: { keyParts: opaque ? fixture.keyParts[desired].files : fixture.keyParts[desired].material, signers: fixture.signers },
            journal,
            persist,
            clock: instantClock(),
            retries: 3,
          });
        const journals: Journal[] = [];
        const fated = (fate: JournalFate, latest: Journal | undefined): Journal | undefined => {
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
        };
        try {
          let journal: Journal | undefined;
          let attestation: Attestation | undefined;
          for (const run of schedule.runs) {
            // The operator runs IBM's CLI on the same instance, whatever shape our backend has: the commands of every shape.
            if (run.operator) await operate(await fixture.open(), fixture, run.operator).catch(() => undefined);
            record.crashed = false;
            let latest = journal;
            if (run.attest !== "stale") attestation = run.attest === "honest" ? await honestAttestation(fixture, await fixture.open()) : undefined;
            const executor = await executorFor(run.desired, run.declareVp, journal, run.faults, attestation, (j) => {
              if (!record.crashed) latest = j;
            });
            await executor.run().catch((e) => {
              if (!isSimulatedCrash(e) && !record.crashed && !(e instanceof Error)) throw e;
            });
            if (latest) journals.push(latest);
            journal = fated(run.journal, latest);
          }
          record.crashed = false;
          const { desired: last, declareVp } = schedule.runs[schedule.runs.length - 1];
          const first = await (await executorFor(last, declareVp, journal, [], attestation, () => undefined)).run();
          // A pending key nothing says the declared files make: an operator who finds (Activity Tracker) that they made
          // it declares its VP, as the refusal says, and runs again; one who finds they did not is left with the refusal.
          const pending = first.phase.pendingVp;
          const confirmable = first.refusal?.code === "UnknownPendingKey" && pending !== undefined && sameVp(pending, fixture.keyParts[last].vp);
          const result = confirmable ? await (await executorFor(last, true, first.journal, [], attestation, () => undefined)).run() : first;
          if (confirmable) endings.set("UnknownPendingKey, then declared", (endings.get("UnknownPendingKey, then declared") ?? 0) + 1);
          const ending = result.refusal?.code ?? result.outcome;
          endings.set(ending, (endings.get(ending) ?? 0) + 1);
          const shape = capabilitiesLabel(schedule.capabilities);
          perShape.set(shape, (perShape.get(shape) ?? 0) + 1);
          expect(record.violations).toEqual([]);
          if (result.outcome === "refused") {
            expect(result.refusal?.message.length).toBeGreaterThan(10);
            expect(result.refusal?.manualSteps.length).toBeGreaterThan(0);
          } else {
            // Success is only ever reported with every record under the declared key and readable (invariant 4).
            const storage = await fixture.check();
            expect(storage.problems).toEqual([]);
            expect(storage.byVp).toEqual({ [fixture.keyParts[last].vp]: 8 });
            expect((await verifyKeyStorage(fixture.dir, fixture.instanceId)).problems).toEqual([]);
          }
        } finally {
          fixture.cleanup();
        }
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 160), seed: Number(process.env.PROPERTY_SEED ?? 20261202), endOnFailure: true },
    );
    // Not vacuous: the schedules reach convergence and the refusals the operators' early promotions call for.
    console.log(`property endings: ${JSON.stringify(Object.fromEntries(endings))}; schedules per backend shape: ${JSON.stringify(Object.fromEntries(perShape))}`);
    expect(perShape.size).toBe(ALL_CAPABILITIES.length);
    expect(endings.get("done")).toBeGreaterThan(0);
    expect((endings.get("PromotedBeforeRewrap") ?? 0) + (endings.get("RewrapNotProven") ?? 0)).toBeGreaterThan(0);
  }, 600_000);
});
