import { RegisterMismatchError, SelectionError } from "../../src/engine/port/errors";
import { describeSimulatedInstance } from "../../src/backends/simulator";
import { EMPTY_VP } from "../../src/model/vp";
import { createSimFixture, loadAndCommit, type SimFixture } from "../helpers/sim-fixture";
import { expectEp11 } from "../helpers/rejection";

describe("setImmediate (cryptounit-mk-setimm)", () => {
  let f: SimFixture;
  beforeEach(async () => {
    f = await createSimFixture();
  });
  afterEach(() => f.cleanup());

  const setImmediate = async (unit = f.unitIds[0], expectedVp = f.keyParts[1].vp, signers = f.signers) => (await f.open()).setImmediate({ units: [unit], expectedVp }, signers);
  const query = async (unit = f.unitIds[0]) => (await f.open()).queryUnit(unit);

  test("a Full Committed new register becomes the current one and the new register empties", async () => {
    await loadAndCommit(await f.open(), f, f.keyParts[1]);
    await setImmediate();
    expect(await query()).toMatchObject({ current: { status: "Valid", vp: f.keyParts[1].vp }, new: { status: "Empty", vp: EMPTY_VP } });
    expect(await query(f.unitIds[1])).toMatchObject({ current: { vp: f.keyParts[0].vp }, new: { status: "Full Committed" } });
  });

  test("one signature is enough", async () => {
    await loadAndCommit(await f.open(), f, f.keyParts[1]);
    await setImmediate(f.unitIds[0], f.keyParts[1].vp, { keys: [f.admins[1].key] });
    expect((await query()).current.vp).toBe(f.keyParts[1].vp);
  });

  test("the old master key is gone from a promoted unit", async () => {
    await loadAndCommit(await f.open(), f, f.keyParts[1]);
    await setImmediate();
    const unit = describeSimulatedInstance(f.dir, f.instanceId).units[0];
    expect([unit.current.vp, unit.new.vp]).not.toContain(f.keyParts[0].vp);
  });

  test("an already promoted unit succeeds without a command", async () => {
    await loadAndCommit(await f.open(), f, f.keyParts[1]);
    await setImmediate();
    const before = f.fingerprint();
    await setImmediate();
    expect(f.fingerprint()).toBe(before);
  });

  test("it does not look at key storage: promoting before the rewrap is allowed, as the real setimm only warns", async () => {
    await loadAndCommit(await f.open(), f, f.keyParts[1]);
    await setImmediate();
    expect((await query()).current.vp).toBe(f.keyParts[1].vp);
    expect((await (await f.open()).rewrapStatus()).state).toBe("none");
  });

  test.each([
    { name: "an Empty new register", prepare: async () => undefined },
    { name: "a Full Uncommitted new register", prepare: async (x: SimFixture) => (await x.open()).loadNew({ units: [x.unitIds[0]], keyParts: x.keyParts[1].material, expectedVp: x.keyParts[1].vp }, x.signers) },
    { name: "a new register committed with another key", prepare: async (x: SimFixture) => loadAndCommit(await x.open(), x, x.keyParts[2]) },
  ])("$name is refused with RegisterMismatchError and nothing changes", async ({ prepare }) => {
    await prepare(f);
    const before = f.fingerprint();
    await expect(setImmediate()).rejects.toThrow(RegisterMismatchError);
    expect(f.fingerprint()).toBe(before);
  });

  test("an uninitialized instance is initialized by load, commit and set immediate", async () => {
    const fresh = await createSimFixture({ initialized: false });
    try {
      const backend = await fresh.open();
      await loadAndCommit(backend, fresh, fresh.keyParts[0]);
      for (const unit of fresh.unitIds) await backend.setImmediate({ units: [unit], expectedVp: fresh.keyParts[0].vp }, fresh.signers);
      for (const unit of fresh.unitIds) expect(await backend.queryUnit(unit)).toMatchObject({ current: { status: "Valid", vp: fresh.keyParts[0].vp }, new: { status: "Empty" } });
    } finally {
      fresh.cleanup();
    }
  });

  test("the half-promoted recovery works: deselect the promoted units, set immediate on the rest", async () => {
    const backend = await f.open();
    await loadAndCommit(backend, f, f.keyParts[1]);
    await backend.rewrap(f.keyParts[1].vp, f.signers);
    await setImmediate(f.unitIds[0]);
    await backend.deselect([f.unitIds[0]]);
    await expect(setImmediate(f.unitIds[0])).rejects.toThrow(SelectionError);
    for (const unit of f.unitIds.slice(1)) await setImmediate(unit);
    for (const unit of f.unitIds) expect((await query(unit)).current.vp).toBe(f.keyParts[1].vp);
    expect((await f.check()).problems).toEqual([]);
  });

  test("a unit in imprint mode refuses set immediate (3-179)", async () => {
    await f.editUnit(0, (u) => ({ ...u, thresholds: { signature: 0, revocation: 0 } }));
    await expectEp11(setImmediate(), "imprintMode", f.unitIds[0]);
  });
});
