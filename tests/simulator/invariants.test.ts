import { readFileSync, writeFileSync } from "node:fs";
import { checkKeyStorageReadable, editSimulatedInstance, isSimulatedCrash, verifyKeyStorage } from "../../src/backends/simulator";
import { chunkFile } from "../../src/backends/simulator/state-store";
import { shortVp } from "../../src/model/vp";
import { createSimFixture, loadAndCommit, type SimFixture } from "../helpers/sim-fixture";
import { rejectionOf } from "../helpers/rejection";

describe("invariant 1: key storage stays readable by every unit", () => {
  let f: SimFixture;
  beforeEach(async () => {
    f = await createSimFixture({ records: 40, chunkSize: 10 });
  });
  afterEach(() => f.cleanup());

  const setImmediate = async (unit: string) => (await f.open()).setImmediate({ units: [unit], expectedVp: f.keyParts[1].vp }, f.signers);

  test("a fresh instance holds", async () => {
    expect(await f.check()).toEqual({ instanceId: f.instanceId, records: 40, byVp: { [f.keyParts[0].vp]: 40 }, problems: [] });
  });

  test("a loaded and committed instance holds: the old key is still current everywhere", async () => {
    await loadAndCommit(await f.open(), f, f.keyParts[1]);
    expect((await f.check()).problems).toEqual([]);
  });

  test("a premature set immediate on one unit is caught, naming the unit and the stranded records", async () => {
    await loadAndCommit(await f.open(), f, f.keyParts[1]);
    await setImmediate(f.unitIds[2]);
    const report = await f.check();
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toMatch(new RegExp(`^40 key storage records wrapped under ${shortVp(f.keyParts[0].vp)} .* cannot be unwrapped by recovery unit ${f.unitIds[2]}`));
    // Every record still decrypts with a key some unit holds: only the stricter check sees the danger.
    expect((await verifyKeyStorage(f.dir, f.instanceId)).problems).toEqual([]);
  });

  test("a premature set immediate during an interrupted rewrap is caught for the records not yet rewrapped", async () => {
    await loadAndCommit(await f.open(), f, f.keyParts[1]);
    expect(isSimulatedCrash(await rejectionOf((await f.open({ faults: [{ kind: "crashMidRewrap", afterRecords: 15 }] })).rewrap(f.keyParts[1].vp, f.signers)))).toBe(true);
    expect((await f.check()).problems).toEqual([]);
    await setImmediate(f.unitIds[0]);
    expect((await f.check()).problems).toEqual([expect.stringMatching(/^25 key storage records/)]);
  });

  test("a half-promoted instance after a complete rewrap holds", async () => {
    const backend = await f.open();
    await loadAndCommit(backend, f, f.keyParts[1]);
    await backend.rewrap(f.keyParts[1].vp, f.signers);
    await setImmediate(f.unitIds[0]);
    await setImmediate(f.unitIds[3]);
    expect((await f.check()).problems).toEqual([]);
  });

  test("clearing the new registers after the rewrap started is caught", async () => {
    const backend = await f.open();
    await loadAndCommit(backend, f, f.keyParts[1]);
    await rejectionOf((await f.open({ faults: [{ kind: "crashMidRewrap", afterRecords: 5 }] })).rewrap(f.keyParts[1].vp, f.signers));
    await backend.clearNew({ units: [f.unitIds[1]], expectedVp: f.keyParts[1].vp }, f.signers);
    const report = await f.check();
    expect(report.problems).toEqual([expect.stringMatching(new RegExp(`^5 key storage records wrapped under ${shortVp(f.keyParts[1].vp)}`))]);
    expect(report.problems[0]).toContain(f.unitIds[1]);
  });

  test("a damaged record is reported by both checks", async () => {
    const file = chunkFile(f.dir, f.instanceId, 2);
    const chunk = JSON.parse(readFileSync(file, "utf8")) as { records: { ciphertext: string }[] };
    const c = chunk.records[3].ciphertext;
    chunk.records[3].ciphertext = (c[0] === "0" ? "1" : "0") + c.slice(1);
    writeFileSync(file, JSON.stringify(chunk));
    for (const check of [checkKeyStorageReadable, verifyKeyStorage]) {
      expect((await check(f.dir, f.instanceId)).problems).toEqual([expect.stringMatching(/^1 key storage record tagged .* does not decrypt with that master key/)]);
    }
  });

  test("a record count that disagrees with the instance is reported", async () => {
    await editSimulatedInstance(f.dir, f.instanceId, (s) => ({ ...s, keystore: { ...s.keystore, records: 41 } }));
    expect((await f.check()).problems).toEqual(["key storage holds 40 records but the instance records 41"]);
  });
});
