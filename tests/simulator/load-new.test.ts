import { RegisterMismatchError, SameKeyError, SelectionError, UnsupportedCommandError } from "../../src/engine/port/errors";
import { describeSimulatedInstance } from "../../src/backends/simulator";
import { InputError } from "../../src/model/errors";
import { createSimFixture, sharedKeyPartSets, type SimFixture } from "../helpers/sim-fixture";
import { expectEp11, rejectionOf } from "../helpers/rejection";

describe("loadNew (cryptounit-mk-load)", () => {
  let f: SimFixture;
  beforeEach(async () => {
    f = await createSimFixture();
  });
  afterEach(() => f.cleanup());

  const load = async (unit: string, set = f.keyParts[1], signers = f.signers) => (await f.open()).loadNew({ units: [unit], keyParts: set.material, expectedVp: set.vp }, signers);
  const unit = (id: string) => f.open().then((b) => b.queryUnit(id));

  test("loading makes the new register Full Uncommitted with the parts' VP and leaves current alone", async () => {
    await load(f.unitIds[0]);
    expect(await unit(f.unitIds[0])).toMatchObject({ current: { status: "Valid", vp: f.keyParts[0].vp }, new: { status: "Full Uncommitted", vp: f.keyParts[1].vp } });
    expect(await unit(f.unitIds[1])).toMatchObject({ new: { status: "Empty" } });
  });

  test("three key parts load too", async () => {
    const three = sharedKeyPartSets(1, 3)[0];
    await load(f.unitIds[0], three);
    expect(await unit(f.unitIds[0])).toMatchObject({ new: { status: "Full Uncommitted", vp: three.vp } });
  });

  test("one signature is enough although the signature threshold is 2", async () => {
    await load(f.unitIds[0], f.keyParts[1], { keys: [f.admins[1].key] });
    expect(await unit(f.unitIds[0])).toMatchObject({ new: { status: "Full Uncommitted" } });
  });

  test.each([
    { state: "Full Uncommitted", prepare: async () => undefined },
    { state: "Full Committed", prepare: async (b: SimFixture) => (await b.open()).commitNew({ units: [b.unitIds[0]], expectedVp: b.keyParts[1].vp }, b.signers) },
  ])("loading the same VP again into a $state register succeeds without a command", async ({ prepare }) => {
    await load(f.unitIds[0]);
    await prepare(f);
    const before = f.fingerprint();
    await load(f.unitIds[0]);
    expect(f.fingerprint()).toBe(before);
  });

  test("a new register holding another key is refused with RegisterMismatchError and keeps its key", async () => {
    await load(f.unitIds[0], f.keyParts[2]);
    const before = f.fingerprint();
    const error = await rejectionOf(load(f.unitIds[0]));
    expect(error).toBeInstanceOf(RegisterMismatchError);
    expect(error.message).toContain(f.unitIds[0]);
    expect(f.fingerprint()).toBe(before);
  });

  test("key parts that do not make the expected VP are refused as bad input", async () => {
    const before = f.fingerprint();
    const backend = await f.open();
    const error = await rejectionOf(backend.loadNew({ units: [f.unitIds[0]], keyParts: f.keyParts[1].material, expectedVp: f.keyParts[2].vp }, f.signers));
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).field).toBe("keyParts");
    expect(f.fingerprint()).toBe(before);
  });

  test("the current master key cannot be loaded as the new one: SameKeyError names it, and nothing changes", async () => {
    const before = f.fingerprint();
    const error = await rejectionOf(load(f.unitIds[0], f.keyParts[0]));
    expect(error).toBeInstanceOf(SameKeyError);
    expect(error).toMatchObject({ unit: f.unitIds[0], currentVp: f.keyParts[0].vp });
    expect(error.message).toContain("the new master key value is the same as the current master key value");
    expect(error.message).toContain("make sure that at least one master key part is not used for the current master key");
    expect(f.fingerprint()).toBe(before);
  });

  test("a malformed expected VP is refused before anything happens", async () => {
    const backend = await f.open();
    await expect(backend.loadNew({ units: [f.unitIds[0]], keyParts: f.keyParts[1].material, expectedVp: "ABC" }, f.signers)).rejects.toThrow(expect.objectContaining({ field: "expectedVp" }));
  });

  test("one key part is refused as bad input", async () => {
    const backend = await f.open();
    await expect(backend.loadNew({ units: [f.unitIds[0]], keyParts: { kind: "material", parts: f.keyParts[1].values.slice(0, 1) }, expectedVp: f.keyParts[1].vp }, f.signers)).rejects.toThrow(
      expect.objectContaining({ field: "keyParts" }),
    );
  });

  test("a unit that is not selected is refused with SelectionError", async () => {
    const backend = await f.open();
    await backend.deselect([f.unitIds[0]]);
    const before = f.fingerprint();
    await expect(load(f.unitIds[0])).rejects.toThrow(SelectionError);
    expect(f.fingerprint()).toBe(before);
  });

  test("a unit of another instance is refused with SelectionError", async () => {
    await expect(load("0e3dc0b4-5d55-4f51-5f8a-2b1aa5098dd0")).rejects.toThrow(SelectionError);
  });

  test("signatures by keys that are not installed administrators are refused (3-257)", async () => {
    const outsider = await createSimFixture({ records: 0, keyPartSets: 1 });
    try {
      await expectEp11(load(f.unitIds[0], f.keyParts[1], outsider.signers), "unauthorizedSigner", f.unitIds[0]);
    } finally {
      outsider.cleanup();
    }
  });

  test("no signature at all is not enough (3-208)", async () => {
    await expectEp11(load(f.unitIds[0], f.keyParts[1], { keys: [] }), "notEnoughSignatures", f.unitIds[0]);
  });

  test("each accepted load advances the unit's transaction counter by one", async () => {
    const backend = await f.open();
    const counter = () => describeSimulatedInstance(f.dir, f.instanceId).units[0].transactionCounter;
    expect(counter()).toBe(0);
    await load(f.unitIds[0]);
    expect(counter()).toBe(1);
    await backend.clearNew({ units: [f.unitIds[0]], expectedVp: f.keyParts[1].vp }, f.signers);
    await load(f.unitIds[0]);
    expect(counter()).toBe(3);
  });
});

describe("loadNew in imprint mode", () => {
  test("master key commands are not allowed in imprint mode (3-179)", async () => {
    const f = await createSimFixture({ imprint: true, admins: 0 });
    try {
      const backend = await f.open();
      const before = f.fingerprint();
      await expectEp11(backend.loadNew({ units: [f.unitIds[0]], keyParts: f.keyParts[1].material, expectedVp: f.keyParts[1].vp }, f.signers), "imprintMode", f.unitIds[0]);
      expect(f.fingerprint()).toBe(before);
    } finally {
      f.cleanup();
    }
  });
});

describe("loadNew of key part files the backend opens itself (keyParts: opaque, as the TKE CLI plug-in)", () => {
  let f: SimFixture;
  beforeEach(async () => {
    f = await createSimFixture({ freshKeyParts: true });
  });
  afterEach(() => f.cleanup());

  const opaque = () => f.open({ capabilities: { keyParts: "opaque" } });
  const unit = (id: string) => f.open().then((b) => b.queryUnit(id));

  test("opens the files, loads every unit named, and reports the key the new registers hold, without being told it", async () => {
    const reported = await (await opaque()).loadNew({ units: f.unitIds, keyParts: f.keyParts[1].files, expectedVp: undefined }, f.signers);
    expect(reported).toBe(f.keyParts[1].vp);
    for (const id of f.unitIds) expect(await unit(id)).toMatchObject({ new: { status: "Full Uncommitted", vp: f.keyParts[1].vp } });
  });

  test("bound to another VP it still loads what the files make and reports it: the plug-in cannot be told what to expect", async () => {
    const reported = await (await opaque()).loadNew({ units: [f.unitIds[0]], keyParts: f.keyParts[1].files, expectedVp: f.keyParts[2].vp }, f.signers);
    expect(reported).toBe(f.keyParts[1].vp);
  });

  test("files that make the current key: SameKeyError carrying it, nothing loaded", async () => {
    const before = f.fingerprint();
    const error = await rejectionOf((await opaque()).loadNew({ units: f.unitIds, keyParts: f.keyParts[0].files, expectedVp: undefined }, f.signers));
    expect(error).toBeInstanceOf(SameKeyError);
    expect(error).toMatchObject({ currentVp: f.keyParts[0].vp });
    expect(f.fingerprint()).toBe(before);
  });

  test("a file changed since the run identified it (another SHA-256) is refused, nothing loaded", async () => {
    const before = f.fingerprint();
    const files = f.keyParts[1].files;
    if (files.kind !== "files") throw new Error("fixture");
    const edited = { kind: "files" as const, files: files.files.map((ref, i) => (i === 0 ? { ...ref, sha256: "0".repeat(64) } : ref)) };
    const error = await rejectionOf((await opaque()).loadNew({ units: [f.unitIds[0]], keyParts: edited, expectedVp: undefined }, f.signers));
    expect(error.message).toContain("changed since the run identified it");
    expect(f.fingerprint()).toBe(before);
  });

  test("each shape takes only its own kind of key parts: values for material, files for opaque", async () => {
    await expect((await opaque()).loadNew({ units: [f.unitIds[0]], keyParts: f.keyParts[1].material, expectedVp: f.keyParts[1].vp }, f.signers)).rejects.toThrow(UnsupportedCommandError);
    await expect((await f.open()).loadNew({ units: [f.unitIds[0]], keyParts: f.keyParts[1].files, expectedVp: f.keyParts[1].vp }, f.signers)).rejects.toThrow(UnsupportedCommandError);
  });

  test("an opaque simulator needs something to open the files with", async () => {
    await expect(f.open({ capabilities: { keyParts: "opaque" }, openKeyPartFiles: undefined })).rejects.toThrow("needs openKeyPartFiles");
  });
});
