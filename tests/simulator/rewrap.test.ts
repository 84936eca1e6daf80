import type { RewrapProgress } from "../../src/engine/port/backend";
import { PrecheckFailedError } from "../../src/engine/port/errors";
import { isSimulatedCrash, KeyStorageError } from "../../src/backends/simulator";
import { holding } from "../../src/backends/simulator/instance-state";
import { PRECHECK_TEXT } from "../../src/backends/simulator/precheck";
import { createSimFixture, loadAndCommit, rotate, type SimFixture } from "../helpers/sim-fixture";
import { rejectionOf } from "../helpers/rejection";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { shortVp } from "../../src/model/vp";

describe("rewrap (the key storage step of cryptounit-mk-rotate)", () => {
  let f: SimFixture;
  beforeEach(async () => {
    f = await createSimFixture({ records: 45, chunkSize: 10 });
  });
  afterEach(() => f.cleanup());

  const target = () => f.keyParts[1].vp;

  test("every record ends up under the committed new key and still decrypts; the status says complete", async () => {
    const backend = await f.open();
    await loadAndCommit(backend, f, f.keyParts[1]);
    const progress: RewrapProgress[] = [];
    await backend.rewrap(target(), f.signers, { onProgress: (p) => progress.push(p) });
    expect(await f.check()).toEqual({ instanceId: f.instanceId, records: 45, byVp: { [target()]: 45 }, problems: [] });
    expect(await backend.rewrapStatus()).toEqual({ state: "complete", targetVp: target(), records: 45 });
    expect(progress.map((p) => p.done)).toEqual([10, 20, 30, 40, 45]);
    expect(progress.every((p) => p.total === 45)).toBe(true);
  });

  test("progress is persisted chunk by chunk: another reader sees it while the job runs", async () => {
    const backend = await f.open();
    await loadAndCommit(backend, f, f.keyParts[1]);
    const observer = await f.open();
    const seen: unknown[] = [];
    const pending: Promise<void>[] = [];
    await backend.rewrap(target(), f.signers, { onProgress: (p) => pending.push(observer.rewrapStatus().then((s) => void seen.push({ progress: p.done, status: s }))) });
    await Promise.all(pending);
    expect(seen[0]).toEqual({ progress: 10, status: { state: "inProgress", targetVp: target(), done: 10, total: 45 } });
  });

  test("key storage stays in chunk files of at most chunkSize records", async () => {
    const backend = await f.open();
    await loadAndCommit(backend, f, f.keyParts[1]);
    await backend.rewrap(target(), f.signers);
    const dir = join(f.dir, "instances", f.instanceId, "keystore");
    const sizes = readdirSync(dir).sort().map((name) => (JSON.parse(readFileSync(join(dir, name), "utf8")) as { records: unknown[] }).records.length);
    expect(sizes).toEqual([10, 10, 10, 10, 5]);
  });

  test("the registers are not changed by the rewrap: promotion is set immediate's job", async () => {
    const backend = await f.open();
    await loadAndCommit(backend, f, f.keyParts[1]);
    await backend.rewrap(target(), f.signers);
    for (const unit of f.unitIds) expect(await backend.queryUnit(unit)).toMatchObject({ current: { vp: f.keyParts[0].vp }, new: { status: "Full Committed", vp: target() } });
  });

  test("re-running a completed rewrap is a no-op", async () => {
    const backend = await f.open();
    await loadAndCommit(backend, f, f.keyParts[1]);
    await backend.rewrap(target(), f.signers);
    const before = f.fingerprint();
    await backend.rewrap(target(), f.signers);
    expect(f.fingerprint()).toBe(before);
  });

  test("a rewrap interrupted after 15 records reports its progress and resumes where it stopped", async () => {
    const backend = await f.open();
    await loadAndCommit(backend, f, f.keyParts[1]);
    const crashing = await f.open({ faults: [{ kind: "crashMidRewrap", afterRecords: 15 }] });
    expect(isSimulatedCrash(await rejectionOf(crashing.rewrap(target(), f.signers)))).toBe(true);
    expect(await backend.rewrapStatus()).toEqual({ state: "inProgress", targetVp: target(), done: 15, total: 45 });
    expect((await f.check()).byVp).toEqual({ [f.keyParts[0].vp]: 30, [target()]: 15 });
    const progress: number[] = [];
    await backend.rewrap(target(), f.signers, { onProgress: (p) => progress.push(p.done) });
    expect(progress).toEqual([20, 30, 40, 45]);
    expect((await f.check()).byVp).toEqual({ [target()]: 45 });
  });

  test("an instance without key storage completes at once", async () => {
    const empty = await createSimFixture({ records: 0 });
    try {
      const backend = await empty.open();
      await loadAndCommit(backend, empty, empty.keyParts[1]);
      await backend.rewrap(empty.keyParts[1].vp, empty.signers);
      expect(await backend.rewrapStatus()).toEqual({ state: "complete", targetVp: empty.keyParts[1].vp, records: 0 });
    } finally {
      empty.cleanup();
    }
  });

  test("a second rotation starts a new job; the status then names the new target", async () => {
    const backend = await f.open();
    await rotate(backend, f, f.keyParts[1]);
    await loadAndCommit(backend, f, f.keyParts[2]);
    expect(await backend.rewrapStatus()).toEqual({ state: "complete", targetVp: f.keyParts[1].vp, records: 45 });
    await backend.rewrap(f.keyParts[2].vp, f.signers);
    expect(await backend.rewrapStatus()).toEqual({ state: "complete", targetVp: f.keyParts[2].vp, records: 45 });
    expect((await f.check()).byVp).toEqual({ [f.keyParts[2].vp]: 45 });
  });

  test("records whose key no unit holds any more stop the rewrap with KeyStorageError naming the record", async () => {
    const backend = await f.open();
    await loadAndCommit(backend, f, f.keyParts[1]);
    await rejectionOf((await f.open({ faults: [{ kind: "crashMidRewrap", afterRecords: 5 }] })).rewrap(target(), f.signers));
    // Someone clears the new registers after the rewrap started and loads another key: the 5 rewrapped records are lost.
    for (const unit of f.unitIds) await backend.clearNew({ units: [unit], expectedVp: target() }, f.signers);
    await loadAndCommit(backend, f, f.keyParts[2]);
    const error = await rejectionOf(backend.rewrap(f.keyParts[2].vp, f.signers));
    expect(error).toBeInstanceOf(KeyStorageError);
    expect(error.message).toMatch(new RegExp(`wrapped under ${shortVp(target())}, which no crypto unit holds`));
  });
});

describe("the rotate pre-check", () => {
  let f: SimFixture;
  beforeEach(async () => {
    f = await createSimFixture({ records: 12, chunkSize: 5, admins: 3, thresholds: { signature: 2, revocation: 2 } });
    await loadAndCommit(await f.open(), f, f.keyParts[1]);
  });
  afterEach(() => f.cleanup());

  const cases: { name: string; reason: string; prepare?: (f: SimFixture) => Promise<unknown>; signers?: (f: SimFixture) => number[]; target?: (f: SimFixture) => string; want: (f: SimFixture) => string[] }[] = [
    {
      name: "a unit not selected",
      reason: "all crypto units of the instance must be selected",
      prepare: async (x) => (await x.open()).deselect([x.unitIds[2]]),
      want: (x) => [`${PRECHECK_TEXT.selection} Not selected: ${x.unitIds[2]}.`],
    },
    {
      name: "a unit in imprint mode",
      reason: "no unit may be in imprint mode",
      prepare: (x) => x.editUnit(1, (u) => ({ ...u, thresholds: { signature: 0, revocation: 0 } })),
      want: (x) => [`Crypto units in imprint mode cannot rotate the master key: ${x.unitIds[1]}.`, "The crypto units do not have the same signature threshold (2 vs 0)."],
    },
    {
      name: "different thresholds",
      reason: "every unit must have the same signature threshold",
      prepare: (x) => x.editUnit(3, (u) => ({ ...u, thresholds: { signature: 3, revocation: 2 } })),
      want: () => ["The crypto units do not have the same signature threshold (2 vs 3)."],
    },
    {
      name: "too few signers",
      reason: "the selected signature keys must include enough administrators installed everywhere",
      signers: () => [0],
      want: () => [PRECHECK_TEXT.commonAdmins],
    },
    {
      name: "an admin missing from one unit",
      reason: "only administrators installed in every unit count",
      prepare: (x) => x.editUnit(0, (u) => ({ ...u, admins: u.admins.slice(1) })),
      signers: () => [0, 1],
      want: () => [PRECHECK_TEXT.commonAdmins],
    },
    {
      name: "a different current key",
      reason: "current registers must all be Valid with the same VP",
      prepare: (x) => x.editUnit(2, (u) => ({ ...u, current: holding("Valid", new Uint8Array(randomBytes(32))) })),
      want: () => ["The current master key registers are not all Valid with the same verification pattern."],
    },
    {
      name: "an uncommitted unit",
      reason: "new registers must all be Full Committed",
      prepare: (x) => x.editUnit(1, (u) => (u.new.status === "Empty" ? u : { ...u, new: { ...u.new, status: "Full Uncommitted" } })),
      want: () => ["The new master key registers are not all Full Committed with the same verification pattern."],
    },
    {
      name: "another target",
      reason: "the committed key must be the rewrap target",
      target: (x) => x.keyParts[2].vp,
      want: (x) => [`The new master key registers hold ${shortVp(x.keyParts[1].vp)}, not the rewrap target ${shortVp(x.keyParts[2].vp)}.`],
    },
  ];
  test.each(cases)("$name fails it: $reason; nothing changes", async ({ prepare, signers, target, want }) => {
    await prepare?.(f);
    const before = f.fingerprint();
    const keys = signers ? { keys: signers(f).map((i) => f.admins[i].key) } : f.signers;
    const error = await rejectionOf((await f.open()).rewrap(target?.(f) ?? f.keyParts[1].vp, keys));
    expect(error).toBeInstanceOf(PrecheckFailedError);
    expect((error as PrecheckFailedError).reasons).toEqual(want(f));
    expect(f.fingerprint()).toBe(before);
  });

  test("every failing check is reported at once", async () => {
    await (await f.open()).deselect([f.unitIds[0]]);
    await f.editUnit(1, (u) => ({ ...u, new: { status: "Empty" } }));
    const error = (await rejectionOf((await f.open()).rewrap(f.keyParts[1].vp, { keys: [] }))) as PrecheckFailedError;
    expect(error.reasons).toHaveLength(3);
    expect(error.message).toContain("the master key rotation pre-check failed: Not all crypto units");
  });
});
