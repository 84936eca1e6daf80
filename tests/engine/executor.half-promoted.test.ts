import { exampleJournal } from "../../src/engine/decision-table";
import { Executor } from "../../src/engine/executor";
import { journalBinding } from "../../src/engine/journal";
import { classify } from "../../src/engine/classify";
import { observe } from "../../src/engine/observe";
import { audit, type Audit } from "../crash/audited-backend";
import { createSimFixture, loadAndCommit, type SimFixture } from "../helpers/sim-fixture";
import { CLI_WORDS } from "../../src/cli/shell-words";

/**
 * The seed scenario (IBM's troubleshooting page): cryptounit-mk-rotate died after "KMS CRK rewrap successful,
 * waiting on cryptounit-mk-setimm." with 1 of 3 units already promoted.
 */
describe("a rotation that died after the rewrap with 1 of 3 units promoted", () => {
  let fixture: SimFixture;
  beforeEach(async () => {
    fixture = await createSimFixture({ shape: { operational: 3, recovery: 0, failover: 0 }, records: 12, chunkSize: 5 });
    const backend = await fixture.open();
    const target = fixture.keyParts[1];
    await loadAndCommit(backend, fixture, target);
    await backend.rewrap(target.vp, fixture.signers);
    await backend.setImmediate({ units: [fixture.unitIds[0]], expectedVp: target.vp }, fixture.signers);
  });
  afterEach(() => fixture.cleanup());

  test("is classified HalfPromoted with the promoted and lagging units named", async () => {
    const phase = classify(await observe(await fixture.open()));
    expect(phase.name).toBe("HalfPromoted");
    expect(phase.roles).toEqual({ [fixture.unitIds[0]]: "promoted", [fixture.unitIds[1]]: "lagging", [fixture.unitIds[2]]: "lagging" });
  });

  test.each([
    { journal: "no journal", reason: "a process killed outright left only the registers as evidence" },
    { journal: "a journal", reason: "the journal from partial state only adds the recorded proof" },
  ])("with $journal it is reconciled by deselecting the promoted unit and setting immediate on the other two: $reason", async ({ journal }) => {
    const target = fixture.keyParts[1];
    const record: Audit = { calls: [], violations: [], crashed: false };
    const backend = audit(await fixture.open(), fixture.dir, fixture.instanceId, record);
    const [promoted, lagging1, lagging2] = fixture.unitIds;
    const priorJournal =
      journal === "a journal"
        ? exampleJournal(target.vp, {
            rotationId: "rot-seed",
            binding: journalBinding(backend),
            fromVp: fixture.keyParts[0].vp,
            rewrapProof: { vp: target.vp, source: "rewrap", at: "2026-11-25T00:00:00.000Z" },
          })
        : undefined;
    const result = await new Executor({
      backend,
      desired: { key: { kind: "vp", vp: target.vp }, words: CLI_WORDS, signerSkis: fixture.admins.map((a) => a.key.ski) },
      material: { keyParts: target.material, signers: fixture.signers },
      journal: priorJournal,
    }).run();

    expect(result.outcome).toBe("done");
    expect(record.calls.map(({ command, units, outcome }) => ({ command, units, outcome }))).toEqual([
      { command: "deselect", units: [promoted], outcome: "ok" },
      expect.objectContaining({ command: "setImmediate", outcome: "ok" }),
      { command: "select", units: [promoted], outcome: "ok" },
    ]);
    expect([...record.calls[1].units].sort()).toEqual([lagging1, lagging2].sort());
    expect(record.calls.every((c) => !["loadNew", "clearNew", "rewrap", "commitNew"].includes(c.command))).toBe(true);
    expect(record.violations).toEqual([]);
    expect(result.journal?.rewrapProof?.vp).toBe(target.vp);
    expect(result.journal?.completedAt).not.toBeNull();
    const storage = await fixture.check();
    expect(storage.problems).toEqual([]);
    expect(storage.byVp).toEqual({ [target.vp]: 12 });
  });
});
