import { SelectionError } from "../../src/engine/port/errors";
import { createSimFixture, type SimFixture } from "../helpers/sim-fixture";
import { expectEp11 } from "../helpers/rejection";

describe("commitNew (cryptounit-mk-commit)", () => {
  let f: SimFixture;
  beforeEach(async () => {
    f = await createSimFixture({ admins: 3, thresholds: { signature: 2, revocation: 2 } });
    const backend = await f.open();
    await backend.loadNew({ units: [f.unitIds[0]], keyParts: f.keyParts[1].material, expectedVp: f.keyParts[1].vp }, f.signers);
  });
  afterEach(() => f.cleanup());

  const commit = async (expectedVp = f.keyParts[1].vp, signers = f.signers, unit = f.unitIds[0]) => (await f.open()).commitNew({ units: [unit], expectedVp }, signers);

  test("committing turns Full Uncommitted into Full Committed with the same VP", async () => {
    await commit();
    expect(await (await f.open()).queryUnit(f.unitIds[0])).toMatchObject({ new: { status: "Full Committed", vp: f.keyParts[1].vp }, current: { vp: f.keyParts[0].vp } });
  });

  test("committing again with the same VP succeeds without a command", async () => {
    await commit();
    const before = f.fingerprint();
    await commit();
    expect(f.fingerprint()).toBe(before);
  });

  test("a VP that is not the one in the register fails with EP11 3-101-48 and IBM's text", async () => {
    const before = f.fingerprint();
    await expectEp11(commit(f.keyParts[2].vp), "commitVpMismatch", f.unitIds[0]);
    expect(f.fingerprint()).toBe(before);
  });

  test("committing an Empty new register fails with EP11 3-101-48", async () => {
    await expectEp11(commit(f.keyParts[1].vp, f.signers, f.unitIds[1]), "commitVpMismatch", f.unitIds[1]);
  });

  test("commit needs as many administrators as the signature threshold (3-208)", async () => {
    const before = f.fingerprint();
    await expectEp11(commit(f.keyParts[1].vp, { keys: [f.admins[0].key] }), "notEnoughSignatures", f.unitIds[0]);
    expect(f.fingerprint()).toBe(before);
  });

  test("the same administrator twice counts once", async () => {
    await expectEp11(commit(f.keyParts[1].vp, { keys: [f.admins[0].key, f.admins[0].key] }), "notEnoughSignatures", f.unitIds[0]);
  });

  test("any two of three administrators may commit", async () => {
    await commit(f.keyParts[1].vp, { keys: [f.admins[2].key, f.admins[0].key] });
    expect((await (await f.open()).queryUnit(f.unitIds[0])).new.status).toBe("Full Committed");
  });

  test("an outsider filling the quorum makes the unit refuse the command (3-257)", async () => {
    const outsider = await createSimFixture({ records: 0, keyPartSets: 1 });
    try {
      await expectEp11(commit(f.keyParts[1].vp, { keys: [f.admins[0].key, outsider.admins[0].key] }), "unauthorizedSigner", f.unitIds[0]);
    } finally {
      outsider.cleanup();
    }
  });

  test("a unit that is not selected is refused with SelectionError", async () => {
    await (await f.open()).deselect([f.unitIds[0]]);
    await expect(commit()).rejects.toThrow(SelectionError);
  });

  test("a unit in imprint mode refuses the commit (3-179)", async () => {
    await f.editUnit(0, (u) => ({ ...u, thresholds: { signature: 0, revocation: 0 } }));
    await expectEp11(commit(), "imprintMode", f.unitIds[0]);
  });
});
