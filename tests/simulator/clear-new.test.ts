import { RegisterMismatchError } from "../../src/engine/port/errors";
import { createSimFixture, type SimFixture } from "../helpers/sim-fixture";
import { expectEp11 } from "../helpers/rejection";

describe("clearNew (cryptounit-mk-clrnew)", () => {
  let f: SimFixture;
  beforeEach(async () => {
    f = await createSimFixture();
    const backend = await f.open();
    await backend.loadNew({ units: [f.unitIds[0]], keyParts: f.keyParts[1].material, expectedVp: f.keyParts[1].vp }, f.signers);
  });
  afterEach(() => f.cleanup());

  const clear = async (expectedVp = f.keyParts[1].vp, signers = f.signers) => (await f.open()).clearNew({ units: [f.unitIds[0]], expectedVp }, signers);
  const newRegister = async () => (await (await f.open()).queryUnit(f.unitIds[0])).new.status;

  test.each([
    { state: "Full Uncommitted", commit: false },
    { state: "Full Committed", commit: true },
  ])("a $state register holding the expected VP is emptied", async ({ commit }) => {
    if (commit) await (await f.open()).commitNew({ units: [f.unitIds[0]], expectedVp: f.keyParts[1].vp }, f.signers);
    await clear();
    expect(await newRegister()).toBe("Empty");
  });

  test("one signature is enough", async () => {
    await clear(f.keyParts[1].vp, { keys: [f.admins[0].key] });
    expect(await newRegister()).toBe("Empty");
  });

  test("clearing an Empty register succeeds without a command", async () => {
    await clear();
    const before = f.fingerprint();
    await clear();
    expect(f.fingerprint()).toBe(before);
  });

  test("a register holding another key is refused with RegisterMismatchError and keeps it", async () => {
    const before = f.fingerprint();
    await expect(clear(f.keyParts[2].vp)).rejects.toThrow(RegisterMismatchError);
    expect(f.fingerprint()).toBe(before);
  });

  test("the current register is never touched", async () => {
    await clear();
    expect((await (await f.open()).queryUnit(f.unitIds[0])).current).toEqual({ status: "Valid", vp: f.keyParts[0].vp });
  });

  test("a unit in imprint mode refuses the clear (3-179)", async () => {
    await f.editUnit(0, (u) => ({ ...u, thresholds: { signature: 0, revocation: 0 } }));
    await expectEp11(clear(), "imprintMode", f.unitIds[0]);
  });
});
