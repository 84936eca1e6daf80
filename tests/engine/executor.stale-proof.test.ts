import { Executor } from "../../src/engine/executor";
import type { Journal } from "../../src/engine/journal";
import type { Backend } from "../../src/engine/port/backend";
import { instantClock } from "../helpers/clocks";
import { createSimFixture, type SimFixture } from "../helpers/sim-fixture";
import { CLI_WORDS } from "../../src/cli/shell-words";

/**
 * A journal's rewrap proof belongs to one ceremony. Found in review: our rotation A→T proved its rewrap and then
 * failed at set immediate; an operator finished it by hand and rotated back to A by hand; a later rotation to T,
 * handed the old journal (never closed), took its proof for the new ceremony and promoted T without a rewrap: every
 * record was left under A, which no unit held any more. On a backend that cannot report the rewrap the journal is
 * the proof, so it must not outlive what the registers show.
 */
describe("a rewrap proof from an earlier ceremony to the same key", () => {
  let f: SimFixture;
  beforeEach(async () => {
    f = await createSimFixture({ shape: { operational: 2, recovery: 0, failover: 0 }, records: 10, chunkSize: 3 });
  });
  afterEach(() => f.cleanup());

  const executor = (backend: Backend, journal: Journal | undefined, persist: (j: Journal) => void = () => undefined) =>
    new Executor({
      backend,
      desired: { key: { kind: "vp", vp: f.keyParts[1].vp }, words: CLI_WORDS, signerSkis: f.admins.map((a) => a.key.ski) },
      material: { keyParts: f.keyParts[1].material, signers: f.signers },
      journal,
      persist,
      clock: instantClock(),
      retries: 3,
    });

  test("is not taken for the next one: the engine rewraps again, and every record stays readable", async () => {
    const [A, T] = [f.keyParts[0], f.keyParts[1]];
    let journal: Journal | undefined;
    // 1. Our rotation A→T proves its rewrap, then every set immediate fails for good.
    const failing = await f.open({ capabilities: { rewrapStatus: "hidden" }, faults: [{ kind: "fail", when: "before", command: "setImmediate", times: 10 }] });
    await expect(executor(failing, undefined, (j) => (journal = j)).run()).rejects.toThrow();
    expect(journal).toMatchObject({ rewrapProof: { vp: T.vp }, completedAt: null });
    // 2. An operator finishes it by hand, then rotates back to A by hand: a whole, correct ceremony.
    const operator = await f.open();
    for (const unit of f.unitIds) await operator.setImmediate({ units: [unit], expectedVp: T.vp }, f.signers);
    for (const unit of f.unitIds) await operator.loadNew({ units: [unit], keyParts: A.material, expectedVp: A.vp }, f.signers);
    for (const unit of f.unitIds) await operator.commitNew({ units: [unit], expectedVp: A.vp }, f.signers);
    await operator.rewrap(A.vp, f.signers);
    for (const unit of f.unitIds) await operator.setImmediate({ units: [unit], expectedVp: A.vp }, f.signers);
    expect((await f.check()).problems).toEqual([]);
    // 3. A later rotation to T, handed the old journal.
    const result = await executor(await f.open({ capabilities: { rewrapStatus: "hidden" } }), journal).run();
    expect(result.outcome).toBe("done");
    expect(result.journal?.rotationId).not.toBe(journal?.rotationId);
    expect(result.journal?.steps.map((s) => s.action)).toContain("rewrap");
    const storage = await f.check();
    expect(storage.problems).toEqual([]);
    expect(storage.byVp).toEqual({ [T.vp]: 10 });
  });

  test("still stands within its own ceremony: a lost response at set immediate resumes without a second rewrap", async () => {
    let journal: Journal | undefined;
    const flaky = await f.open({ capabilities: { rewrapStatus: "hidden" }, faults: [{ kind: "lostResponse", command: "setImmediate" }] });
    const result = await executor(flaky, undefined, (j) => (journal = j)).run();
    expect(result.outcome).toBe("done");
    expect(journal?.steps.filter((s) => s.action === "rewrap")).toHaveLength(1);
  });
});
