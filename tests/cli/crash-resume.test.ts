import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseJournal } from "../../src/engine/journal";
import { ADMIN_PASSWORD_ENV, explain, SIGNER_FLAGS, workspacePerTest } from "./workspace";

/**
 * A rotate process killed for real (the simulator's crash fault is a SIGKILL) and the next rotate resuming: from
 * half-way through promotion (repair: deselect the promoted units, set immediate on the rest) and from mid-rewrap.
 */

const ws = workspacePerTest();

interface StatusJson {
  phase: { name: string; currentVp: string | null; pendingVp: string | null };
  units: { num: number; role: string; selected: boolean }[];
  rewrap: { state: string; done?: number; total?: number };
}

async function initInstance(id: string, records: number): Promise<void> {
  const init = await ws.run(["sim", "init", "--instance-id", id, "--operational", "3", "--recovery", "2", "--records", String(records), "--admin-password-env", ADMIN_PASSWORD_ENV]);
  expect(init.code).toBe(0);
}

test("a rotate killed half-way through promotion leaves HalfPromoted; plan shows the repair and a second rotate performs it", async () => {
  const next = ws.keyParts("next");
  await initInstance("hp", 30);
  // Unit 5 does not answer set immediate, and the process dies right after the first promotion: always a split.
  expect((await ws.run(["sim", "fault", "--kind", "unitUnavailable", "--command", "setImmediate", "--unit", "5"])).code).toBe(0);
  expect((await ws.run(["sim", "fault", "--kind", "crash", "--when", "after", "--command", "setImmediate"])).code).toBe(0);

  const killed = await ws.run(["rotate", "--instance", "hp", ...next.flags, ...SIGNER_FLAGS]);
  expect({ signal: killed.signal, code: killed.code }).toEqual({ signal: "SIGKILL", code: null });

  const half = await ws.run(["status", "--instance", "hp"]);
  expect(half.code).toBe(0);
  expect(half.stdout).toContain("PHASE: HalfPromoted — the rotation to");
  const halfJson = (await ws.run(["status", "--instance", "hp", "--json"])).json<StatusJson>();
  expect(halfJson.phase).toMatchObject({ name: "HalfPromoted", pendingVp: next.vp });
  const promoted = halfJson.units.filter((u) => u.role === "promoted").map((u) => u.num);
  const lagging = halfJson.units.filter((u) => u.role === "lagging").map((u) => u.num);
  expect(promoted.length).toBeGreaterThan(0);
  expect(lagging).toContain(5);
  expect(promoted.length + lagging.length).toBe(5);

  const journal = parseJournal(JSON.parse(readFileSync(join(ws.dir, ".hpcs-mk", "hp.journal.json"), "utf8")));
  expect(journal?.rewrapProof).toMatchObject({ vp: next.vp, source: "rewrap" });
  expect(journal?.steps.at(-1)).toMatchObject({ action: "setImmediate", outcome: "started" });

  const planned = await ws.run(["plan", "--instance", "hp", ...next.flags, ...SIGNER_FLAGS, "--json"]);
  expect(planned.code).toBe(0);
  const steps = planned.json<{ steps: { action: string; units: { num: number }[] }[] }>().steps;
  expect(steps.map((s) => [s.action, s.units.map((u) => u.num)])).toEqual([
    ["deselect", promoted],
    ["setImmediate", lagging],
    ["select", promoted],
  ]);

  const repaired = await ws.run(["rotate", "--instance", "hp", ...next.flags, ...SIGNER_FLAGS]);
  expect(repaired.code).toBe(0);
  expect(repaired.stderr).toContain("phase HalfPromoted");
  expect(repaired.stderr).not.toMatch(/loadNew|clearNew|rewrap on/);
  expect(repaired.stderr).toMatch(/select on (#\d(, )?)+: restore the selection: this rotation deselected (#\d(, )?)+ \(cryptounit-rm\) to promote the others/);
  expect(repaired.stdout).toContain("Master key rotation successful");

  const after = (await ws.run(["status", "--instance", "hp", "--json"])).json<StatusJson>();
  expect(after.phase).toMatchObject({ name: "Active", currentVp: next.vp });
  expect(after.units.every((u) => u.selected)).toBe(true);
  const verified = await ws.run(["sim", "verify"]);
  expect(verified.code).toBe(0);
  expect(verified.stdout).toContain("All 30 key storage records of hp decrypt");
});

test("a rotate killed mid-rewrap resumes the rewrap where it stopped", async () => {
  const next = ws.keyParts("next");
  await initInstance("mr", 60);
  expect((await ws.run(["sim", "fault", "--kind", "crashMidRewrap", "--after-records", "25"])).code).toBe(0);

  const killed = await ws.run(["rotate", "--instance", "mr", ...next.flags, ...SIGNER_FLAGS]);
  expect(killed.signal).toBe("SIGKILL");
  const mid = (await ws.run(["status", "--instance", "mr", "--json"])).json<StatusJson>();
  expect(mid.phase.name).toBe("Rewrapping");
  expect(mid.rewrap).toMatchObject({ state: "inProgress", total: 60 });

  const resumed = await ws.run(["rotate", "--instance", "mr", ...next.flags, ...SIGNER_FLAGS]);
  expect(resumed.code).toBe(0);
  expect(resumed.stderr).toContain("phase Rewrapping");
  expect(resumed.stderr).not.toMatch(/loadNew|commitNew|clearNew/);
  expect((await ws.run(["status", "--instance", "mr", "--json"])).json<StatusJson>().phase).toMatchObject({ name: "Active", currentVp: next.vp });
  const verified = await ws.run(["sim", "verify", "--instance", "mr", "--json"]);
  expect(verified.json()).toMatchObject({ outcome: "ok", records: 60, byVp: [{ vp: next.vp, records: 60 }] });
});

test("a failed step is reported with the way to resume, and the next rotate resumes", async () => {
  const next = ws.keyParts("next");
  await initInstance("f", 10);
  expect((await ws.run(["sim", "fault", "--kind", "fail", "--when", "before", "--command", "commitNew"])).code).toBe(0);
  const failed = await ws.run(["rotate", "--instance", "f", ...next.flags, ...SIGNER_FLAGS]);
  expect(failed.code).toBe(1);
  expect(failed.stdout).toMatch(/^FAILED\ninjected failure before commitNew/);
  expect(failed.stdout).toContain("run hpcs-mk rotate again to resume; the journal is in .hpcs-mk/f.journal.json");
  expect(failed.stdout).toContain("Phase when it stopped: Loaded.");
  expect(explain(failed)).not.toContain("this is a bug");

  // The other units' commits ran to the end (per-unit calls settle before a step fails): one unit lags.
  const json = await ws.run(["status", "--instance", "f", "--json"]);
  expect(json.json<StatusJson>().phase.name).toBe("Committing");
  const resumed = await ws.run(["rotate", "--instance", "f", ...next.flags, ...SIGNER_FLAGS, "--json"]);
  expect(resumed.code).toBe(0);
  expect(resumed.json()).toMatchObject({ outcome: "ok", phase: "Active" });
});

test("a lock left by a killed process: the next run says what it waits for, then goes on once the lock is stale", async () => {
  const initial = ws.keyParts("initial");
  expect((await ws.run(["sim", "init", "--instance-id", "locked", "--records", "3", "--admin-password-env", ADMIN_PASSWORD_ENV, ...initial.flags.map((f) => f.replace("--key-part", "--initial-key-part"))])).code).toBe(0);
  // What proper-lockfile leaves behind when its holder is SIGKILLed: the lock directory, fresh for up to 5 s.
  mkdirSync(join(ws.dir, ".hpcs-sim", "instances", "locked", ".lock"));
  const run = await ws.run(["rotate", "--instance", "locked", ...initial.flags, ...SIGNER_FLAGS]);
  expect(run.code).toBe(0);
  expect(run.stderr).toContain("waiting for the lock of simulated instance locked: another process holds it, or held it when it was killed; a lock not refreshed for 5 s is taken over");
});

test("a changed declared key after a rewrap started: one line says the interrupted rotation is finished first and why", async () => {
  const initial = ws.keyParts("initial");
  const next = ws.keyParts("next");
  const third = ws.keyParts("third");
  expect((await ws.run(["sim", "init", "--instance-id", "moved", "--records", "10", "--admin-password-env", ADMIN_PASSWORD_ENV, ...initial.flags.map((f) => f.replace("--key-part", "--initial-key-part"))])).code).toBe(0);
  expect((await ws.run(["sim", "fault", "--instance", "moved", "--kind", "crash", "--when", "after", "--command", "rewrap"])).code).toBe(0);
  const killed = await ws.run(["rotate", "--instance", "moved", ...next.flags, ...SIGNER_FLAGS]);
  expect(killed.signal).toBe("SIGKILL");

  const moved = await ws.run(["rotate", "--instance", "moved", ...third.flags, ...SIGNER_FLAGS]);
  expect(moved.code).toBe(0);
  const notice = `finishing the interrupted rotation to ${next.vp.slice(0, 12)}… first: a key storage rewrap to it may have started, so it is finished, never cleared; then rotating to ${third.vp.slice(0, 12)}…`;
  expect(moved.stderr.split(notice)).toHaveLength(2);
  // The line comes before the old rotation's first step, and the new rotation's load comes after it.
  expect(moved.stderr.indexOf(notice)).toBeLessThan(moved.stderr.indexOf("setImmediate on"));
  expect(moved.stderr.indexOf("setImmediate on")).toBeLessThan(moved.stderr.indexOf("loadNew on"));
  expect(moved.stdout).toContain(`holds ${third.vp} as its current master key`);
});
