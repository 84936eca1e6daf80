import { Executor, LoadedKeyMismatchError } from "../../src/engine/executor";
import type { Journal } from "../../src/engine/journal";
import type { ProgressEvent } from "../../src/engine/progress";
import { CLI_LIKE_CAPABILITIES } from "../../src/engine/port/capabilities";
import type { FaultSpec } from "../../src/backends/simulator";
import { instantClock } from "../helpers/clocks";
import { createSimFixture, type KeyPartSet, type SimFixture } from "../helpers/sim-fixture";
import { CLI_WORDS } from "../../src/cli/shell-words";

/**
 * Key part files only the backend opens (IBM's own, loaded by the TKE CLI plug-in): the engine is handed their
 * SHA-256s, not their key. It learns the key from a load and journals it; a load of files that make the current key
 * is how it learns the instance is converged; a pending key nothing says the files made is never taken for theirs.
 */
describe("rotation with key part files the backend opens itself", () => {
  let f: SimFixture;
  beforeEach(async () => {
    f = await createSimFixture({ shape: { operational: 2, recovery: 2, failover: 0 }, records: 10, chunkSize: 4 });
  });
  afterEach(() => f.cleanup());

  const run = async (set: KeyPartSet, options: { journal?: Journal; expectedVp?: string; faults?: FaultSpec[]; events?: ProgressEvent[]; persist?: (j: Journal) => void } = {}) =>
    new Executor({
      backend: await f.open({ capabilities: CLI_LIKE_CAPABILITIES, faults: options.faults }),
      desired: { key: { kind: "files", ids: set.ids, ...(options.expectedVp ? { expectedVp: options.expectedVp } : {}) }, words: CLI_WORDS, signerSkis: f.admins.map((a) => a.key.ski) },
      material: { keyParts: set.files, signers: f.signers },
      journal: options.journal,
      persist: options.persist,
      onProgress: (e) => options.events?.push(e),
      clock: instantClock(),
      retries: 3,
    }).run();

  test("learns the key from the load, journals it with the files' SHA-256s, and rotates to it", async () => {
    const events: ProgressEvent[] = [];
    const result = await run(f.keyParts[1], { events });
    expect(result.outcome).toBe("done");
    expect(result.phase).toMatchObject({ name: "Active", currentVp: f.keyParts[1].vp });
    expect(result.journal).toMatchObject({ targetVp: f.keyParts[1].vp, keyParts: { ids: [...f.keyParts[1].ids].sort(), madeVp: f.keyParts[1].vp }, completedAt: expect.any(String) });
    expect(result.journal?.steps[0]).toMatchObject({ action: "loadNew", vp: f.keyParts[1].vp, outcome: "ok" });
    expect(events).toContainEqual(expect.objectContaining({ type: "keyLearned", vp: f.keyParts[1].vp, current: false }));
    expect((await f.check()).byVp).toEqual({ [f.keyParts[1].vp]: 10 });
  });

  test("files that make the current key: nothing is loaded, and the run is done with the journal saying why", async () => {
    const before = f.fingerprint();
    const events: ProgressEvent[] = [];
    const result = await run(f.keyParts[0], { events });
    // One step: the load, which the plug-in refused before sending anything.
    expect(result).toMatchObject({ outcome: "done", steps: 1 });
    expect(f.fingerprint()).toBe(before);
    expect(result.journal).toMatchObject({ keyParts: { madeVp: f.keyParts[0].vp }, completedAt: expect.any(String), steps: [{ action: "loadNew", outcome: "failed" }] });
    expect(events).toContainEqual(expect.objectContaining({ type: "keyLearned", vp: f.keyParts[0].vp, current: true }));
    // The next run knows it from the journal: no load at all.
    const again = await run(f.keyParts[0], { journal: result.journal });
    expect(again).toMatchObject({ outcome: "done", steps: 0 });
    expect(again.journal?.steps).toHaveLength(1);
  });

  test("a declared VP the files do not make stops the run after the load, and the next run refuses without changing anything", async () => {
    let journal: Journal | undefined;
    await expect(run(f.keyParts[1], { expectedVp: f.keyParts[2].vp, persist: (j) => (journal = j) })).rejects.toThrow(expect.objectContaining({ cause: expect.any(LoadedKeyMismatchError) }));
    expect(journal).toMatchObject({ keyParts: { madeVp: f.keyParts[1].vp } });
    const before = f.fingerprint();
    const refused = await run(f.keyParts[1], { expectedVp: f.keyParts[2].vp, journal });
    expect(refused).toMatchObject({ outcome: "refused", steps: 0, refusal: { code: "KeyPartsMismatch" } });
    expect(refused.refusal?.message).toContain(f.keyParts[1].vp);
    expect(refused.refusal?.manualSteps.join("\n")).toContain("cryptounit-mk-clrnew");
    expect(f.fingerprint()).toBe(before);
    // Declaring what the files really make lets the rotation go on.
    expect((await run(f.keyParts[1], { expectedVp: f.keyParts[1].vp, journal })).outcome).toBe("done");
  });

  test("a run that died after the load reported (before it was journaled) is refused, not guessed; declaring the key finishes it", async () => {
    let journal: Journal | undefined;
    const lastUnit = f.unitIds[f.unitIds.length - 1];
    await expect(run(f.keyParts[1], { faults: [{ kind: "crash", when: "after", command: "loadNew", unit: lastUnit }], persist: (j) => (journal = j) })).rejects.toThrow();
    expect(journal).toMatchObject({ targetVp: null, keyParts: { madeVp: null } });
    const before = f.fingerprint();
    const refused = await run(f.keyParts[1], { journal });
    expect(refused).toMatchObject({ outcome: "refused", steps: 0, refusal: { code: "UnknownPendingKey" } });
    expect(refused.refusal?.message).toContain("this tool started loading those files");
    expect(refused.refusal?.manualSteps.join("\n")).toContain(f.keyParts[1].ids[0]);
    expect(f.fingerprint()).toBe(before);
    // Without the journal the refusal is the same, and says less.
    const bare = await run(f.keyParts[1]);
    expect(bare.refusal?.code).toBe("UnknownPendingKey");
    expect(bare.refusal?.message).not.toContain("this tool started loading");
    // The operator finds the load in Activity Tracker and declares its key.
    const confirmed = await run(f.keyParts[1], { journal, expectedVp: f.keyParts[1].vp });
    expect(confirmed.outcome).toBe("done");
    expect((await f.check()).byVp).toEqual({ [f.keyParts[1].vp]: 10 });
  });
});
