import fc from "fast-check";
import { isSimulatedCrash, verifyKeyStorage, type FaultSpec } from "../../src/backends/simulator";
import { classify } from "../../src/engine/classify";
import { Executor } from "../../src/engine/executor";
import type { Journal } from "../../src/engine/journal";
import { observe } from "../../src/engine/observe";
import { settledKey } from "../../src/engine/rotation-policy";
import { ALL_CAPABILITIES, capabilitiesLabel } from "../../src/engine/port/capabilities";
import type { Vp } from "../../src/model/vp";
import { audit, type Audit } from "../crash/audited-backend";
import { instantClock } from "../helpers/clocks";
import { createSimFixture } from "../helpers/sim-fixture";
import { faultArb, journalAfterFate, journalFates, operate, operatorArb, type JournalFate } from "./property-world";
import { CLI_WORDS } from "../../src/cli/shell-words";

/**
 * Property, for a key generated in a recovery unit (auto-mk-rotate): whatever the faults (a crash or failure around
 * the generation, each copy, each commit, the "Delaying 30 seconds…" line, mid-rewrap, between promotions), the other
 * operator (IBM's CLI by hand, auto-mk-rotate included), what happens to the journal between runs, and whether each
 * run wants a new key or only finishes one under way: the engine never makes a record unreadable and never replaces a
 * key a rewrap started to (both judged by the audited simulator's ground truth on every call), and a final run that
 * wants no new key ends converged with every record under the current key, or refused with a reason.
 */
const runArb = fc.record({
  /** Whether this run wants a new key (a trigger changed, or the policy made one due), or only finishes ours. */
  rotate: fc.boolean(),
  faults: fc.array(faultArb, { maxLength: 3 }),
  operator: fc.option(operatorArb, { freq: 3 }),
  journal: fc.constantFrom<JournalFate>(...journalFates),
});

const scheduleArb = fc.record({
  shape: fc.constantFrom({ operational: 2, recovery: 2, failover: 0 }, { operational: 3, recovery: 2, failover: 0 }, { operational: 2, recovery: 2, failover: 2 }),
  capabilities: fc.constantFrom(...ALL_CAPABILITIES),
  /**
   * Who names the key to replace: the provider fixes it (the state's key age) when a rotation is first wanted and
   * keeps it until a run converges; the CLI takes the current key at each run's start (settledKey).
   */
  caller: fc.constantFrom("provider" as const, "cli" as const),
  runs: fc.array(runArb, { minLength: 1, maxLength: 4 }),
});

describe("rotation to a key generated in a recovery unit, under random faults, other operators and journals that must not count", () => {
  test("never loses a record nor replaces a key records are under, and ends converged or refused with a reason", async () => {
    const endings = new Map<string, number>();
    const perShape = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(scheduleArb, async (schedule) => {
        const fixture = await createSimFixture({ shape: schedule.shape, records: 8, chunkSize: 3, keyPartSets: 3 });
        const record: Audit = { calls: [], violations: [], crashed: false };
        const open = async (faults: FaultSpec[] = []) => fixture.open({ faults, capabilities: schedule.capabilities });
        const opaque = schedule.capabilities.keyParts === "opaque";
        /** The key to replace: the current one as this run sees it at its start (the state's keyAge in the provider). */
        const keyAtRest = async (): Promise<Vp | undefined> => settledKey(classify(await observe(await fixture.open())));
        const executorFor = async (replacing: Vp | undefined, expectedVp: Vp | undefined, journal: Journal | undefined, faults: FaultSpec[], persist: (j: Journal) => void) =>
          new Executor({
            backend: audit(await open(faults), fixture.dir, fixture.instanceId, record),
            desired: { key: { kind: "generated", replacing, ...(expectedVp ? { expectedVp } : {}) }, words: CLI_WORDS, signerSkis: fixture.admins.map((a) => a.key.ski) },
            material: { keyParts: opaque ? { kind: "files", files: [] } : { kind: "material", parts: [] }, signers: fixture.signers },
            journal,
            persist,
            clock: instantClock(),
            retries: 3,
          });
        const journals: Journal[] = [];
        try {
          let journal: Journal | undefined;
          let replacing: Vp | undefined;
          for (const run of schedule.runs) {
            if (run.operator) await operate(await fixture.open(), fixture, run.operator).catch(() => undefined);
            record.crashed = false;
            if (schedule.caller === "cli") replacing = run.rotate ? await keyAtRest() : undefined;
            // As the provider does: the key to replace is fixed when the rotation is wanted, and kept until it is done.
            else if (run.rotate && replacing === undefined) replacing = await keyAtRest();
            let latest = journal;
            const executor = await executorFor(run.rotate ? replacing : undefined, undefined, journal, run.faults, (j) => {
              if (!record.crashed) latest = j;
            });
            const result = await executor.run().catch((e) => {
              if (!isSimulatedCrash(e) && !record.crashed && !(e instanceof Error)) throw e;
              return undefined;
            });
            if (result?.outcome === "done") replacing = undefined;
            if (latest) journals.push(latest);
            journal = journalAfterFate(run.journal, latest, journals);
          }
          record.crashed = false;
          const first = await (await executorFor(undefined, undefined, journal, [], () => undefined)).run();
          // A pending key nothing records (or no journal at all): the operator checks the recovery units hold it (the
          // generation starts there), declares it as the refusal says, and runs again.
          const pending = first.phase.pendingVp;
          const recoveryHolds = pending !== undefined && first.observation.units.some((u) => u.type === "recovery" && u.new.status !== "Empty" && u.new.vp === pending);
          const confirmable = (first.refusal?.code === "UnknownPendingKey" || first.refusal?.code === "ForeignPendingKey") && recoveryHolds;
          const result = confirmable ? await (await executorFor(undefined, pending, first.journal, [], () => undefined)).run() : first;
          if (confirmable) endings.set(`${first.refusal?.code}, then declared`, (endings.get(`${first.refusal?.code}, then declared`) ?? 0) + 1);
          const ending = result.refusal?.code ?? result.outcome;
          endings.set(ending, (endings.get(ending) ?? 0) + 1);
          perShape.set(capabilitiesLabel(schedule.capabilities), (perShape.get(capabilitiesLabel(schedule.capabilities)) ?? 0) + 1);
          expect(record.violations).toEqual([]);
          if (result.outcome === "refused") {
            expect(result.refusal?.message.length).toBeGreaterThan(10);
            expect(result.refusal?.manualSteps.length).toBeGreaterThan(0);
          } else {
            const storage = await fixture.check();
            expect(storage.problems).toEqual([]);
            expect(storage.byVp).toEqual({ [result.phase.currentVp as Vp]: 8 });
            expect((await verifyKeyStorage(fixture.dir, fixture.instanceId)).problems).toEqual([]);
          }
        } finally {
          fixture.cleanup();
        }
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 120), seed: Number(process.env.PROPERTY_SEED ?? 20261204), endOnFailure: true },
    );
    console.log(`generated-key property endings: ${JSON.stringify(Object.fromEntries(endings))}; schedules per backend shape: ${JSON.stringify(Object.fromEntries(perShape))}`);
    expect(endings.get("done")).toBeGreaterThan(0);
  }, 600_000);
});
