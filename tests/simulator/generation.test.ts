import { randomBytes, randomUUID } from "node:crypto";
import { PrecheckFailedError, RegisterMismatchError, UnsupportedCommandError } from "../../src/engine/port/errors";
import { NO_GENERATION } from "../../src/model/recovery-units";
import { executeOnHsm } from "../../src/backends/simulator/hsm";
import { holding, type UnitState } from "../../src/backends/simulator/instance-state";
import { signRequest } from "../../src/backends/simulator/signing";
import { createSignatureKeyFile, openSignatureKey } from "../../src/model/signature-key-file";
import { verificationPattern, type Vp } from "../../src/model/vp";
import { createSimFixture, throwingCrash, type SimFixture } from "../helpers/sim-fixture";
import { expectEp11, rejectionOf } from "../helpers/rejection";
import { isSimulatedCrash } from "../../src/backends/simulator";

/** A key generated in a recovery crypto unit (auto-mk-rotate, research §4.3), as separate commands and as one. */
describe("generating a master key in a recovery unit", () => {
  let f: SimFixture;
  beforeEach(async () => {
    f = await createSimFixture({ shape: { operational: 3, recovery: 2, failover: 0 }, records: 7, chunkSize: 3 });
  });
  afterEach(() => f.cleanup());

  const registers = async () => Promise.all(f.unitIds.map(async (id) => (await f.open()).queryUnit(id)));
  const recoveryIds = () => f.units.filter((u) => u.type === "recovery").map((u) => u.id);

  test("generateNew: GEN_WK in a recovery unit, reported before any copy, then copied into every other unit, uncommitted", async () => {
    const backend = await f.open();
    let seenAtReport: { id: string; status: string }[] = [];
    const vp = await backend.generateNew({ units: f.unitIds }, f.signers, {
      onGenerated: async (reported) => {
        seenAtReport = (await registers()).map((u) => ({ id: u.id, status: u.new.status === "Empty" ? "Empty" : `${u.new.status} ${u.new.vp === reported}` }));
      },
    });
    // When the key is reported, only the generating recovery unit holds it.
    expect(seenAtReport.filter((u) => u.status !== "Empty")).toEqual([{ id: recoveryIds()[0], status: "Full Uncommitted true" }]);
    for (const u of await registers()) expect(u).toMatchObject({ current: { status: "Valid", vp: f.keyParts[0].vp }, new: { status: "Full Uncommitted", vp } });
    expect(vp).not.toBe(f.keyParts[0].vp);
    // Each call makes another key, and a generation needs Empty new registers.
    expect(await rejectionOf(backend.generateNew({ units: f.unitIds }, f.signers))).toBeInstanceOf(RegisterMismatchError);
  });

  test("the generated key then rotates like a loaded one: commit, rewrap, set immediate; every record stays readable", async () => {
    const backend = await f.open();
    const vp = await backend.generateNew({ units: f.unitIds }, f.signers);
    await backend.commitNew({ units: f.unitIds, expectedVp: vp }, f.signers);
    await backend.rewrap(vp, f.signers);
    await backend.setImmediate({ units: f.unitIds, expectedVp: vp }, f.signers);
    expect(await f.check()).toMatchObject({ problems: [], byVp: { [vp]: 7 } });
  });

  test("a crash after a copy leaves the key on some units; copyNew finishes the copies from the recovery unit", async () => {
    const target = f.unitIds.find((id) => !recoveryIds().includes(id)) as string;
    const crashing = await f.open({ faults: [{ kind: "crash", when: "after", command: "copyNew", unit: target }], onCrash: throwingCrash });
    let generated: Vp | undefined;
    const error = await rejectionOf(crashing.generateNew({ units: f.unitIds }, f.signers, { onGenerated: async (vp) => void (generated = vp) }));
    expect(isSimulatedCrash(error)).toBe(true);
    const holding = (await registers()).filter((u) => u.new.status !== "Empty").map((u) => u.id);
    expect(holding).toEqual(expect.arrayContaining([recoveryIds()[0], target]));
    expect(holding.length).toBeLessThan(f.unitIds.length);
    const backend = await f.open();
    await backend.copyNew({ units: f.unitIds.filter((id) => !holding.includes(id)), expectedVp: generated as Vp }, f.signers);
    for (const u of await registers()) expect(u.new).toEqual({ status: "Full Uncommitted", vp: generated });
  });

  test("copyNew needs a recovery unit that holds the key", async () => {
    const error = await rejectionOf((await f.open()).copyNew({ units: [f.unitIds[0]], expectedVp: f.keyParts[1].vp }, f.signers));
    expect(error).toBeInstanceOf(RegisterMismatchError);
    expect(error.message).toContain(`no recovery unit holds ${f.keyParts[1].vp} in its new register`);
  });

  test("autoRotate (the combined shape): generates, copies, commits, says Delaying, rewraps, marks and promotes", async () => {
    const backend = await f.open({ capabilities: { rotation: "combined" } });
    const events: string[] = [];
    const vp = await backend.autoRotate({ units: f.unitIds }, f.signers, {
      onGenerated: async () => void events.push("generated"),
      onDelaying: () => events.push("delaying"),
      onMarker: () => events.push("marker"),
    });
    expect(events).toEqual(["generated", "delaying", "marker"]);
    for (const u of await registers()) expect(u).toMatchObject({ current: { status: "Valid", vp }, new: { status: "Empty" } });
    expect(await f.check()).toMatchObject({ problems: [], byVp: { [vp]: 7 } });
  });

  test("autoRotate overwrites whatever the new registers held (a re-run generates a fresh key)", async () => {
    const backend = await f.open({ capabilities: { rotation: "combined" } });
    await backend.loadNew({ units: [f.unitIds[0]], keyParts: f.keyParts[1].material, expectedVp: f.keyParts[1].vp }, f.signers).catch(() => undefined);
    const vp = await backend.autoRotate({ units: f.unitIds }, f.signers);
    expect(vp).not.toBe(f.keyParts[1].vp);
    expect(await f.check()).toMatchObject({ problems: [], byVp: { [vp]: 7 } });
  });

  test("autoRotate's initial conditions: every unit selected, current registers Valid with one VP", async () => {
    const backend = await f.open({ capabilities: { rotation: "combined" } });
    await backend.deselect([f.unitIds[1]]);
    const before = f.fingerprint();
    const error = await rejectionOf(backend.autoRotate({ units: f.unitIds }, f.signers));
    expect(error).toBeInstanceOf(PrecheckFailedError);
    expect(error.message).toContain("Not all crypto units in a single service instance are selected.");
    expect(f.fingerprint()).toBe(before);
  });

  test.each([
    { shape: "separate", call: (b: Awaited<ReturnType<SimFixture["open"]>>, ids: string[], f: SimFixture) => b.generateNew({ units: ids }, f.signers) },
    { shape: "combined", call: (b: Awaited<ReturnType<SimFixture["open"]>>, ids: string[], f: SimFixture) => b.autoRotate({ units: ids }, f.signers) },
  ] as const)("an instance without recovery units refuses ($shape) with IBM's reason, changing nothing", async ({ shape, call }) => {
    const plain = await createSimFixture({ shape: { operational: 2, recovery: 0, failover: 0 } });
    try {
      const before = plain.fingerprint();
      const error = await rejectionOf(call(await plain.open({ capabilities: { rotation: shape } }), [...plain.unitIds], plain));
      expect(error).toBeInstanceOf(UnsupportedCommandError);
      expect(error.message).toContain(NO_GENERATION.noRecoveryUnits);
      expect(error.message).toContain("The service instance does not contain any recovery crypto units.");
      expect(plain.fingerprint()).toBe(before);
    } finally {
      plain.cleanup();
    }
  });

  test("in Madrid (eu-es) there are no recovery units to create, and generation is refused with IBM's reason", async () => {
    await expect(createSimFixture({ shape: { operational: 2, recovery: 2, failover: 0 }, region: "eu-es" })).rejects.toThrow("recovery crypto units are not available in Madrid (eu-es)");
    const madrid = await createSimFixture({ shape: { operational: 2, recovery: 0, failover: 0 }, region: "eu-es" });
    try {
      const error = await rejectionOf((await madrid.open()).generateNew({ units: madrid.unitIds }, madrid.signers));
      expect(error.message).toContain("not available in Madrid (eu-es)");
    } finally {
      madrid.cleanup();
    }
  });

  test("each shape has only its own commands", async () => {
    expect(await rejectionOf((await f.open({ capabilities: { rotation: "combined" } })).generateNew({ units: f.unitIds }, f.signers))).toBeInstanceOf(UnsupportedCommandError);
    expect(await rejectionOf((await f.open()).autoRotate({ units: f.unitIds }, f.signers))).toBeInstanceOf(UnsupportedCommandError);
  });
});

describe("the simulated unit's rules for GEN_WK and EXPORT_WK", () => {
  const admin = openSignatureKey(createSignatureKeyFile("pw"), "pw", "mem.sigkey");
  const key = new Uint8Array(randomBytes(32));
  const unit = (type: UnitState["type"]): UnitState => ({
    id: randomUUID(),
    type,
    location: "[us-south].[AZ1-CS1].[02].[07]",
    selected: true,
    thresholds: { signature: 1, revocation: 1 },
    admins: [{ ski: admin.ski, name: "ADMIN1", publicKey: admin.publicKey }],
    transactionCounter: 3,
    current: holding("Valid", new Uint8Array(randomBytes(32))),
    new: { status: "Empty" },
  });
  const signed = (u: UnitState, command: "generateNew" | "exportNew") => ({ ...signRequest({ target: u.id, command, vp: verificationPattern(key), counter: 4 }, [admin]), command, key, bindsVp: true });

  test("only a recovery unit may generate a random key (EP11 3-80-52) or export one (3-80-131)", async () => {
    const operational = unit("operational");
    await expectEp11(Promise.resolve().then(() => executeOnHsm(operational, signed(operational, "generateNew"))), "randomKeyNotAllowed", operational.id);
    await expectEp11(Promise.resolve().then(() => executeOnHsm(operational, signed(operational, "exportNew"))), "exportNotAllowed", operational.id);
    const recovery = unit("recovery");
    expect(executeOnHsm(recovery, signed(recovery, "generateNew")).new).toMatchObject({ status: "Full Uncommitted", vp: verificationPattern(key) });
  });
});
