import { AuthExpiredError, isTransient, TransientError, UnitUnavailableError } from "../../src/engine/port/errors";
import {
  armFault,
  clearFaults,
  faultSpecSchema,
  InjectedFailure,
  isSimulatedCrash,
  listArmedFaults,
  SimulatedCrash,
  type FaultSpec,
} from "../../src/backends/simulator";
import { createSimFixture, loadAndCommit, rotate, type SimFixture } from "../helpers/sim-fixture";
import { rejectionOf } from "../helpers/rejection";

describe("the fault spec schema", () => {
  test("omitted skip and times default to 0 and 1", () => {
    expect(faultSpecSchema.parse({ kind: "crash", when: "after", command: "loadNew" })).toEqual({ kind: "crash", when: "after", command: "loadNew", skip: 0, times: 1 });
  });

  test.each([
    { name: "an unknown kind", spec: { kind: "explode" } },
    { name: "a crash without when", spec: { kind: "crash", command: "loadNew" } },
    { name: "a lost response on a read", spec: { kind: "lostResponse", command: "queryUnit" } },
    { name: "a transient error with when", spec: { kind: "transient", when: "after" } },
    { name: "an unknown command", spec: { kind: "transient", command: "zeroize" } },
    { name: "a negative skip", spec: { kind: "authExpired", skip: -1 } },
    { name: "zero times", spec: { kind: "authExpired", times: 0 } },
    { name: "a mid-rewrap crash without a record count", spec: { kind: "crashMidRewrap" } },
    { name: "a mid-rewrap crash bound to a unit", spec: { kind: "crashMidRewrap", afterRecords: 1, unit: "u" } },
  ])("$name is refused", ({ spec }) => {
    expect(faultSpecSchema.safeParse(spec).success).toBe(false);
  });
});

describe("faults passed in-process", () => {
  let f: SimFixture;
  beforeEach(async () => {
    f = await createSimFixture({ records: 20, chunkSize: 5 });
  });
  afterEach(() => f.cleanup());

  const loadOn = (backend: Awaited<ReturnType<SimFixture["open"]>>, unit = f.unitIds[0]) =>
    backend.loadNew({ units: [unit], keyParts: f.keyParts[1].material, expectedVp: f.keyParts[1].vp }, f.signers);
  const newStatus = async (unit = f.unitIds[0]) => (await (await f.open()).queryUnit(unit)).new.status;

  const beforeFaults: { spec: FaultSpec; check: (e: Error) => void; retryable: boolean }[] = [
    { spec: { kind: "crash", when: "before", command: "loadNew" }, check: (e) => expect(e).toBeInstanceOf(SimulatedCrash), retryable: false },
    { spec: { kind: "fail", when: "before", command: "loadNew" }, check: (e) => expect(e).toBeInstanceOf(InjectedFailure), retryable: false },
    { spec: { kind: "transient", command: "loadNew" }, check: (e) => expect(e).toBeInstanceOf(TransientError), retryable: true },
    { spec: { kind: "authExpired", command: "loadNew" }, check: (e) => expect(e).toBeInstanceOf(AuthExpiredError), retryable: false },
    { spec: { kind: "unitUnavailable", command: "loadNew" }, check: (e) => expect(e).toEqual(new UnitUnavailableError(f.unitIds[0])), retryable: true },
  ];
  test.each(beforeFaults)("$spec.kind before the command changes nothing, and the fault is spent", async ({ spec, check, retryable }) => {
    const backend = await f.open({ faults: [spec] });
    const before = f.fingerprint();
    const error = await rejectionOf(loadOn(backend));
    check(error);
    expect(isTransient(error)).toBe(retryable);
    expect(f.fingerprint()).toBe(before);
    await loadOn(backend);
    expect(await newStatus()).toBe("Full Uncommitted");
  });

  const afterFaults: { spec: FaultSpec; check: (e: Error) => void }[] = [
    { spec: { kind: "crash", when: "after", command: "loadNew" }, check: (e) => expect(isSimulatedCrash(e)).toBe(true) },
    { spec: { kind: "fail", when: "after", command: "loadNew" }, check: (e) => expect(e).toBeInstanceOf(InjectedFailure) },
    { spec: { kind: "lostResponse", command: "loadNew" }, check: (e) => expect(isTransient(e)).toBe(true) },
  ];
  test.each(afterFaults)("$spec.kind after the command leaves its effect persisted, and a retry succeeds", async ({ spec, check }) => {
    const backend = await f.open({ faults: [spec] });
    check(await rejectionOf(loadOn(backend)));
    expect(await newStatus()).toBe("Full Uncommitted");
    const before = f.fingerprint();
    await loadOn(backend);
    expect(f.fingerprint()).toBe(before);
  });

  test("a fault bound to a unit fires only for that unit", async () => {
    const backend = await f.open({ faults: [{ kind: "transient", unit: f.unitIds[1] }] });
    await loadOn(backend, f.unitIds[0]);
    await expect(loadOn(backend, f.unitIds[1])).rejects.toThrow(TransientError);
  });

  test("a fault bound to a unit matches select and deselect calls that include it", async () => {
    const backend = await f.open({ faults: [{ kind: "fail", when: "before", command: "deselect", unit: f.unitIds[2] }] });
    await backend.deselect([f.unitIds[0]]);
    await expect(backend.deselect([f.unitIds[1], f.unitIds[2]])).rejects.toThrow(InjectedFailure);
    expect((await backend.queryUnit(f.unitIds[1])).selected).toBe(true);
  });

  test("skip lets the first matches pass and times fires that many", async () => {
    const backend = await f.open({ faults: [{ kind: "transient", command: "queryUnit", skip: 2, times: 2 }] });
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) outcomes.push(await backend.queryUnit(f.unitIds[0]).then(() => "ok", (e: Error) => e.name));
    expect(outcomes).toEqual(["ok", "ok", "TransientError", "TransientError", "ok", "ok"]);
  });

  test("a fault without a command fires on the next call, whatever it is", async () => {
    const backend = await f.open({ faults: [{ kind: "authExpired" }] });
    await expect(backend.listUnits()).rejects.toThrow(AuthExpiredError);
    await expect(backend.listUnits()).resolves.toHaveLength(4);
  });

  test("a crash mid-rewrap after 7 records leaves exactly 7 records rewrapped", async () => {
    const backend = await f.open();
    await loadAndCommit(backend, f, f.keyParts[1]);
    const crashing = await f.open({ faults: [{ kind: "crashMidRewrap", afterRecords: 7 }] });
    expect(isSimulatedCrash(await rejectionOf(crashing.rewrap(f.keyParts[1].vp, f.signers)))).toBe(true);
    expect((await f.check()).byVp).toEqual({ [f.keyParts[0].vp]: 13, [f.keyParts[1].vp]: 7 });
    expect(await backend.rewrapStatus()).toEqual({ state: "inProgress", targetVp: f.keyParts[1].vp, done: 7, total: 20 });
  });

  test("a crash mid-rewrap after 0 records marks the job started and touches no record", async () => {
    const backend = await f.open();
    await loadAndCommit(backend, f, f.keyParts[1]);
    const crashing = await f.open({ faults: [{ kind: "crashMidRewrap", afterRecords: 0 }] });
    expect(isSimulatedCrash(await rejectionOf(crashing.rewrap(f.keyParts[1].vp, f.signers)))).toBe(true);
    expect(await backend.rewrapStatus()).toEqual({ state: "inProgress", targetVp: f.keyParts[1].vp, done: 0, total: 20 });
    expect((await f.check()).byVp).toEqual({ [f.keyParts[0].vp]: 20 });
  });

  test("a crash after the rewrap leaves the job complete", async () => {
    const backend = await f.open();
    await loadAndCommit(backend, f, f.keyParts[1]);
    const crashing = await f.open({ faults: [{ kind: "crash", when: "after", command: "rewrap" }] });
    expect(isSimulatedCrash(await rejectionOf(crashing.rewrap(f.keyParts[1].vp, f.signers)))).toBe(true);
    expect((await backend.rewrapStatus()).state).toBe("complete");
  });

  test("in-process faults belong to the backend object they were given to", async () => {
    await f.open({ faults: [{ kind: "authExpired" }] });
    await expect((await f.open()).listUnits()).resolves.toHaveLength(4);
  });

  test("injected latency delays every call", async () => {
    const backend = await f.open({ latencyMs: 30 });
    const start = Date.now();
    await backend.listUnits();
    await backend.rewrapStatus();
    expect(Date.now() - start).toBeGreaterThanOrEqual(55);
  });
});

describe("faults armed in the persisted instance", () => {
  let f: SimFixture;
  beforeEach(async () => {
    f = await createSimFixture({ records: 20, chunkSize: 5 });
  });
  afterEach(() => f.cleanup());

  test("a fault armed by one process fires in another backend and is spent for everyone", async () => {
    const armed = await armFault(f.dir, f.instanceId, { kind: "crash", when: "after", command: "commitNew", unit: f.unitIds[1] });
    expect(listArmedFaults(f.dir, f.instanceId)).toEqual([{ ...armed, seen: 0, fired: 0 }]);
    const backend = await f.open();
    await backend.loadNew({ units: [f.unitIds[1]], keyParts: f.keyParts[1].material, expectedVp: f.keyParts[1].vp }, f.signers);
    await expect(backend.commitNew({ units: [f.unitIds[1]], expectedVp: f.keyParts[1].vp }, f.signers)).rejects.toThrow(SimulatedCrash);
    expect(listArmedFaults(f.dir, f.instanceId)).toEqual([]);
    expect((await backend.queryUnit(f.unitIds[1])).new.status).toBe("Full Committed");
  });

  test("skip counts survive across backend objects", async () => {
    await armFault(f.dir, f.instanceId, { kind: "transient", command: "listUnits", skip: 1 });
    await (await f.open()).listUnits();
    expect(listArmedFaults(f.dir, f.instanceId)[0]).toMatchObject({ seen: 1, fired: 0 });
    await expect((await f.open()).listUnits()).rejects.toThrow(TransientError);
    expect(listArmedFaults(f.dir, f.instanceId)).toEqual([]);
  });

  test("a persisted mid-rewrap crash is consumed, so the resumed run completes", async () => {
    const backend = await f.open();
    await loadAndCommit(backend, f, f.keyParts[1]);
    await armFault(f.dir, f.instanceId, { kind: "crashMidRewrap", afterRecords: 12 });
    await expect(backend.rewrap(f.keyParts[1].vp, f.signers)).rejects.toThrow(SimulatedCrash);
    expect(listArmedFaults(f.dir, f.instanceId)).toEqual([]);
    expect(await backend.rewrapStatus()).toMatchObject({ state: "inProgress", done: 12 });
    await backend.rewrap(f.keyParts[1].vp, f.signers);
    expect((await f.check()).byVp).toEqual({ [f.keyParts[1].vp]: 20 });
  });

  test("a mid-rewrap crash with skip 1 lets the first rewrap run through and fires in the next", async () => {
    const backend = await f.open();
    await armFault(f.dir, f.instanceId, { kind: "crashMidRewrap", afterRecords: 3, skip: 1 });
    await rotate(backend, f, f.keyParts[1]);
    await loadAndCommit(backend, f, f.keyParts[2]);
    await expect(backend.rewrap(f.keyParts[2].vp, f.signers)).rejects.toThrow(SimulatedCrash);
    expect((await f.check()).byVp).toEqual({ [f.keyParts[1].vp]: 17, [f.keyParts[2].vp]: 3 });
  });

  test("clearFaults disarms everything", async () => {
    await armFault(f.dir, f.instanceId, { kind: "authExpired" });
    await armFault(f.dir, f.instanceId, { kind: "transient" });
    expect(await clearFaults(f.dir, f.instanceId)).toBe(2);
    await expect((await f.open()).listUnits()).resolves.toHaveLength(4);
  });

  test("arming an invalid fault is refused with the field and changes nothing", async () => {
    const before = f.fingerprint();
    await expect(armFault(f.dir, f.instanceId, { kind: "crash", when: "later" } as unknown as FaultSpec)).rejects.toThrow(expect.objectContaining({ field: "fault.when" }));
    expect(f.fingerprint()).toBe(before);
  });
});
