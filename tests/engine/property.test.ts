import fc from "fast-check";
import { isSimulatedCrash, verifyKeyStorage, type FaultSpec } from "../../src/backends/simulator";
import type { Attestation } from "../../src/engine/attestation";
import { Executor } from "../../src/engine/executor";
import type { Journal } from "../../src/engine/journal";
import { sameVp } from "../../src/model/vp";
import { ALL_CAPABILITIES, capabilitiesLabel } from "../../src/engine/port/capabilities";
import { audit, type Audit } from "../crash/audited-backend";
import { instantClock } from "../helpers/clocks";
import { createSimFixture, type KeyPartSet } from "../helpers/sim-fixture";
import type { DeclaredKey } from "../../src/engine/declared-key";
import { faultArb, honestAttestation, journalAfterFate, journalFates, operate, operatorArb, type JournalFate } from "./property-world";
import { CLI_WORDS } from "../../src/cli/shell-words";

/**
 * Property: whatever the fault schedule (several faults per run, crashes that lose the journal or keep it), the other
 * people who touch the instance (an operator running IBM's CLI by hand: promoting units early, mid-rewrap or before
 * it; clearing the pending key of our rotation; loading a foreign key; deleting, swapping or forging the journal),
 * whether the backend reports the rewrap or not, and the declared key changing between runs: the engine never makes
 * a record unreadable on a unit that could read it (judged against the simulator's ground truth on every call the
 * engine makes), and a final undisturbed run converges with every record readable, or refuses with a reason.
 */
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
            desired: { key: declared(fixture.keyParts[desired], declareVp), words: CLI_WORDS, signerSkis: fixture.admins.map((a) => a.key.ski), ...(attestation ? { rewrapAttestation: attestation } : {}) },
            material: { keyParts: opaque ? fixture.keyParts[desired].files : fixture.keyParts[desired].material, signers: fixture.signers },
            journal,
            persist,
            clock: instantClock(),
            retries: 3,
          });
        const journals: Journal[] = [];
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
            journal = journalAfterFate(run.journal, latest, journals);
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
