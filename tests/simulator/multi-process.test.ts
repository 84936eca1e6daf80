import { join } from "node:path";
import { armFault, describeSimulatedInstance, listArmedFaults } from "../../src/backends/simulator";
import { createSimFixture, loadAndCommit, type SimFixture } from "../helpers/sim-fixture";
import { runTsChild } from "../helpers/ts-child";
import type { HammerJob } from "./children/hammer-job";

const HAMMER = join(__dirname, "children", "hammer.ts");
const RUN_COMMAND = join(__dirname, "children", "run-command.ts");

function job(f: SimFixture, unit: string, more: Partial<HammerJob> = {}): string {
  const full: HammerJob = {
    dir: f.dir,
    instanceId: f.instanceId,
    unit,
    iterations: 20,
    armFaults: true,
    signatureKeys: f.admins.map((a) => ({ file: a.file, password: a.password })),
    keyParts: f.keyParts[1].refs,
    ...more,
  };
  return JSON.stringify(full);
}

describe("several processes using one simulated instance", () => {
  let f: SimFixture;
  beforeEach(async () => {
    f = await createSimFixture({ shape: { operational: 3, recovery: 2, failover: 0 }, admins: 2, thresholds: { signature: 1, revocation: 1 } });
  });
  afterEach(() => f.cleanup());

  test("four processes hammering one instance lose no update", async () => {
    const units = f.unitIds.slice(0, 4);
    const results = await Promise.all(units.map((unit) => runTsChild(HAMMER, [job(f, unit)])));
    results.forEach((r) => expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" }));

    const summary = describeSimulatedInstance(f.dir, f.instanceId);
    for (const unit of summary.units) {
      const hammered = units.includes(unit.id);
      // Each iteration sends two signed commands (load, clear): 20 iterations → counter 40.
      expect({ id: unit.id, counter: unit.transactionCounter, selected: unit.selected, new: unit.new.status }).toEqual({
        id: unit.id,
        counter: hammered ? 40 : 0,
        selected: true,
        new: "Empty",
      });
    }
    expect(listArmedFaults(f.dir, f.instanceId)).toHaveLength(80);
  });

  test("processes loading the same unit at once each either succeed or are told the counter moved (3-163), never both applied", async () => {
    const unit = f.unitIds[0];
    const results = await Promise.all([1, 2, 3, 4].map(() => runTsChild(RUN_COMMAND, [job(f, unit), "loadNew"])));
    for (const r of results) expect(r.code === 0 ? "survived" : r.stderr).toMatch(/^survived|Return code: 163/);
    const summary = describeSimulatedInstance(f.dir, f.instanceId).units[0];
    // A loser sees either a no-op (the key was already there) or 3-163: the register was loaded once.
    expect({ counter: summary.transactionCounter, new: summary.new.status }).toEqual({ counter: 1, new: "Full Uncommitted" });
  });
});

describe("a real process death", () => {
  let f: SimFixture;
  beforeEach(async () => {
    f = await createSimFixture({ records: 30, chunkSize: 10, admins: 2, thresholds: { signature: 1, revocation: 1 } });
  });
  afterEach(() => f.cleanup());

  test("a crash fault kills the process with SIGKILL after the effect is persisted, and leaves the instance unlocked", async () => {
    await armFault(f.dir, f.instanceId, { kind: "crash", when: "after", command: "loadNew" });
    const result = await runTsChild(RUN_COMMAND, [job(f, f.unitIds[1]), "loadNew"]);
    expect({ signal: result.signal, stdout: result.stdout }).toEqual({ signal: "SIGKILL", stdout: "" });
    expect(listArmedFaults(f.dir, f.instanceId)).toEqual([]);
    const backend = await f.open();
    const start = Date.now();
    await backend.select([f.unitIds[1]]);
    await backend.deselect([f.unitIds[1]]);
    expect(Date.now() - start).toBeLessThan(2000);
    expect((await backend.queryUnit(f.unitIds[1])).new).toEqual({ status: "Full Uncommitted", vp: f.keyParts[1].vp });
  });

  test("a process killed mid-rewrap leaves a resumable job and readable key storage", async () => {
    const backend = await f.open();
    await loadAndCommit(backend, f, f.keyParts[1]);
    await armFault(f.dir, f.instanceId, { kind: "crashMidRewrap", afterRecords: 14 });
    const result = await runTsChild(RUN_COMMAND, [job(f, f.unitIds[0]), "rewrap"]);
    expect(result.signal).toBe("SIGKILL");
    expect(await backend.rewrapStatus()).toEqual({ state: "inProgress", targetVp: f.keyParts[1].vp, done: 14, total: 30 });
    expect((await f.check()).problems).toEqual([]);
    await backend.rewrap(f.keyParts[1].vp, f.signers);
    expect((await f.check()).byVp).toEqual({ [f.keyParts[1].vp]: 30 });
  });
});
