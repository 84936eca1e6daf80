import fc from "fast-check";
import type { Backend } from "../../src/backends/backend";
import { isSimulatedCrash, type FaultSpec } from "../../src/backends/simulator";
import { Executor } from "../../src/engine/executor";
import type { Journal } from "../../src/engine/journal";
import { observe } from "../../src/engine/observe";
import { sameVp } from "../../src/model/vp";
import { audit, type Audit } from "../crash/audited-backend";
import { instantClock } from "../helpers/clocks";
import { createSimFixture, type SimFixture } from "../helpers/sim-fixture";

/**
 * Property: whatever the fault schedule (several faults per run, crashes that lose the journal or keep it), a
 * second operator interleaving TKE commands, and the declared key changing between runs, key storage is never lost
 * (invariants 1–3 audited on every call, the operator's included), and a final undisturbed run converges or refuses
 * with a reason.
 */
const MUTATING = ["select", "deselect", "loadNew", "commitNew", "clearNew", "rewrap", "setImmediate"] as const;

const faultArb = fc.oneof<fc.Arbitrary<FaultSpec>[]>(
  fc.record({ kind: fc.constantFrom("crash" as const, "fail" as const), when: fc.constantFrom("before" as const, "after" as const), command: fc.constantFrom(...MUTATING), skip: fc.nat(3) }),
  fc.record({ kind: fc.constantFrom("transient" as const, "lostResponse" as const, "authExpired" as const, "unitUnavailable" as const), command: fc.constantFrom(...MUTATING), skip: fc.nat(3) }) as fc.Arbitrary<FaultSpec>,
  fc.record({ kind: fc.constant("crashMidRewrap" as const), afterRecords: fc.nat(8) }),
);

type OperatorAction = { kind: "deselect" | "select" | "loadForeign" | "commit" | "clearIfSafe" | "promoteIfSafe" | "rewrapIfReady"; unit: number };
const operatorArb: fc.Arbitrary<OperatorAction> = fc.record({
  kind: fc.constantFrom("deselect", "select", "loadForeign", "commit", "clearIfSafe", "promoteIfSafe", "rewrapIfReady"),
  unit: fc.nat(7),
});

const runArb = fc.record({
  desired: fc.integer({ min: 0, max: 2 }),
  faults: fc.array(faultArb, { maxLength: 3 }),
  operator: fc.option(operatorArb, { freq: 3 }),
  /** false: the process was killed outright and the journal it held is gone. */
  keepJournal: fc.boolean(),
});

const scheduleArb = fc.record({
  shape: fc.constantFrom({ operational: 2, recovery: 0, failover: 0 }, { operational: 3, recovery: 2, failover: 0 }, { operational: 2, recovery: 2, failover: 2 }),
  runs: fc.array(runArb, { minLength: 1, maxLength: 4 }),
});

/** A second operator following IBM's rules (never clearing or promoting what a rewrap may need), but interfering. */
async function operate(backend: Backend, fixture: SimFixture, action: OperatorAction): Promise<void> {
  const observation = await observe(backend);
  const unit = observation.units[action.unit % observation.units.length];
  const signers = fixture.signers;
  const rewrap = observation.rewrap;
  const pending = unit.new.vp;
  switch (action.kind) {
    case "deselect":
      return backend.deselect([unit.id]);
    case "select":
      return backend.select([unit.id]);
    case "loadForeign":
      if (unit.new.status === "Empty") await backend.loadNew({ unit: unit.id, keyParts: fixture.keyParts[2].material, expectedVp: fixture.keyParts[2].vp }, signers);
      return;
    case "commit":
      if (unit.new.status === "Full Uncommitted") await backend.commitNew({ unit: unit.id, expectedVp: pending }, signers);
      return;
    case "clearIfSafe":
      if (unit.new.status !== "Empty" && !((rewrap.state === "inProgress" || rewrap.state === "complete") && sameVp(rewrap.targetVp, pending))) {
        await backend.clearNew({ unit: unit.id, expectedVp: pending }, signers);
      }
      return;
    case "promoteIfSafe":
      if (unit.new.status === "Full Committed" && rewrap.state === "complete" && sameVp(rewrap.targetVp, pending)) await backend.setImmediate({ unit: unit.id, expectedVp: pending }, signers);
      return;
    case "rewrapIfReady":
      if (observation.units.every((u) => u.new.status === "Full Committed" && sameVp(u.new.vp, pending))) await backend.rewrap(pending, signers);
      return;
  }
}

describe("rotation under random faults, a second operator and changing keys", () => {
  test("never loses key storage, and ends converged or refused with a reason", async () => {
    await fc.assert(
      fc.asyncProperty(scheduleArb, async (schedule) => {
        const fixture = await createSimFixture({ shape: schedule.shape, records: 8, chunkSize: 3, keyPartSets: 3 });
        const record: Audit = { calls: [], violations: [], crashed: false };
        const auditedOpen = async (faults: FaultSpec[] = []) => audit(await fixture.open({ faults }), fixture.dir, fixture.instanceId, record);
        const executorFor = (backend: Backend, desired: number, journal: Journal | undefined, persist: (j: Journal) => void) =>
          new Executor({
            backend,
            desired: { vp: fixture.keyParts[desired].vp, signerSkis: fixture.admins.map((a) => a.key.ski) },
            material: { keyParts: fixture.keyParts[desired].material, signers: fixture.signers },
            journal,
            persist,
            clock: instantClock(),
            retries: 3,
          });
        try {
          let journal: Journal | undefined;
          for (const run of schedule.runs) {
            if (run.operator) await operate(await auditedOpen(), fixture, run.operator).catch(() => undefined);
            record.crashed = false;
            let latest = journal;
            await executorFor(await auditedOpen(run.faults), run.desired, journal, (j) => {
              if (!record.crashed) latest = j;
            })
              .run()
              .catch((e) => {
                if (!isSimulatedCrash(e) && !record.crashed && !(e instanceof Error)) throw e;
              });
            journal = run.keepJournal ? latest : undefined;
          }
          record.crashed = false;
          const last = schedule.runs[schedule.runs.length - 1].desired;
          const result = await executorFor(await auditedOpen(), last, journal, () => undefined).run();
          expect(record.violations).toEqual([]);
          if (result.outcome === "refused") {
            expect(result.refusal?.message.length).toBeGreaterThan(10);
            expect(result.refusal?.manualSteps.length).toBeGreaterThan(0);
            expect((await fixture.check()).problems).toEqual([]);
          } else {
            const storage = await fixture.check();
            expect(storage.problems).toEqual([]);
            expect(storage.byVp).toEqual({ [fixture.keyParts[last].vp]: 8 });
          }
        } finally {
          fixture.cleanup();
        }
      }),
      { numRuns: 40, seed: Number(process.env.PROPERTY_SEED ?? 20261125), endOnFailure: true },
    );
  }, 600_000);
});
