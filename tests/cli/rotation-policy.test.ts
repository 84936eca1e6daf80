import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ADMIN_PASSWORD_ENV, SIGNER_FLAGS, workspacePerTest } from "./workspace";

/** The rotation policy in the CLI: the key age record rotate keeps, and status's exit code 3 for a due rotation. */

const ws = workspacePerTest();
const DAY = 86_400_000;

interface AgeJson {
  outcome: string;
  keyAge: { verificationPattern: string; since: string; source: string } | null;
  keyAgeDays: number | null;
  rotationPolicy: { periodDays: number; dueAt: string | null; due: boolean } | null;
  due: string | null;
}

test("status reports the key's age from rotate's record, and exits 3 once the policy makes a rotation due", async () => {
  const initial = ws.keyParts("initial");
  const next = ws.keyParts("next");
  const init = await ws.run(["sim", "init", "--instance-id", "inst-1", "--operational", "2", "--recovery", "0", "--records", "5", "--admin-password-env", ADMIN_PASSWORD_ENV, ...initial.flags.map((f) => f.replace("--key-part", "--initial-key-part"))]);
  expect(init.code).toBe(0);

  // The first status records the key as first seen now: its age counts from here, so it falls due one period later.
  const record = join(ws.dir, ".hpcs-mk", "inst-1.key-age.json");
  const first = await ws.run(["status", "--instance", "inst-1", "--rotation-period-days", "30", "--json"]);
  expect(first.code).toBe(0);
  expect(first.json<AgeJson>()).toMatchObject({ outcome: "ok", keyAge: { verificationPattern: initial.vp, source: "firstSeen" }, keyAgeDays: 0, rotationPolicy: { due: false } });
  const seen = JSON.parse(readFileSync(record, "utf8")) as { keyAge: { since: string } };

  // A rotate on the converged instance keeps that record.
  const adopted = await ws.run(["rotate", "--instance", "inst-1", ...initial.flags, ...SIGNER_FLAGS, "--yes", "--json"]);
  expect(adopted.code).toBe(0);
  expect(adopted.json<AgeJson>().keyAge).toMatchObject({ verificationPattern: initial.vp, source: "firstSeen", since: seen.keyAge.since });

  // The record says the key has been current for 400 days (a workstation that kept it that long).
  const stored = JSON.parse(readFileSync(record, "utf8")) as { keyAge: { since: string } };
  const since = new Date(Date.now() - 400 * DAY).toISOString();
  writeFileSync(record, JSON.stringify({ ...stored, keyAge: { ...stored.keyAge, since } }));

  const lenient = await ws.run(["status", "--instance", "inst-1", "--rotation-period-days", "500", "--json"]);
  expect(lenient.code).toBe(0);
  expect(lenient.json<AgeJson>()).toMatchObject({ outcome: "ok", keyAgeDays: 400, rotationPolicy: { periodDays: 500, due: false, dueAt: new Date(Date.parse(since) + 500 * DAY).toISOString() }, due: null });

  const due = await ws.run(["status", "--instance", "inst-1", "--rotation-period-days", "365"]);
  expect(due.code).toBe(3);
  expect(due.stdout).toContain(`KEY AGE: ${initial.vp.slice(0, 12)}… current since ${since}, 400 days (first seen by this tool: adopted or rotated outside it)`);
  expect(due.stdout).toContain("ROTATION POLICY: every 365 days: due");
  expect(due.stdout).toContain("declare the new files in --key-part (with their --key-part-password-env), and run hpcs-mk rotate");
  expect((await ws.run(["status", "--instance", "inst-1", "--rotation-period-days", "365", "--json"])).json<AgeJson>().outcome).toBe("due");

  // plan says it too, and a rotation to new key parts resets the age to the rotation's completion.
  const planned = await ws.run(["plan", "--instance", "inst-1", ...next.flags, ...SIGNER_FLAGS, "--rotation-period-days", "365"]);
  expect(planned.stdout).toContain("ROTATION POLICY: every 365 days: due");
  const rotated = await ws.run(["rotate", "--instance", "inst-1", ...next.flags, ...SIGNER_FLAGS, "--yes", "--rotation-period-days", "365", "--json"]);
  expect(rotated.code).toBe(0);
  const after = rotated.json<AgeJson>();
  expect(after).toMatchObject({ keyAge: { verificationPattern: next.vp, source: "rotation" }, keyAgeDays: 0, rotationPolicy: { due: false }, due: null });
  expect((await ws.run(["status", "--instance", "inst-1", "--rotation-period-days", "365"])).code).toBe(0);
  expect(ws.leakedSecrets()).toEqual([]);
});

test("a due rotation with unchanged key parts: rotate succeeds, changes nothing, and says what the custodians do", async () => {
  const initial = ws.keyParts("initial");
  expect((await ws.run(["sim", "init", "--instance-id", "inst-2", "--operational", "2", "--recovery", "0", "--records", "5", "--admin-password-env", ADMIN_PASSWORD_ENV, ...initial.flags.map((f) => f.replace("--key-part", "--initial-key-part"))])).code).toBe(0);
  expect((await ws.run(["rotate", "--instance", "inst-2", ...initial.flags, ...SIGNER_FLAGS, "--yes"])).code).toBe(0);
  const record = join(ws.dir, ".hpcs-mk", "inst-2.key-age.json");
  const stored = JSON.parse(readFileSync(record, "utf8")) as { keyAge: { since: string } };
  const old = { ...stored, keyAge: { ...stored.keyAge, since: new Date(Date.now() - 40 * DAY).toISOString() } };
  writeFileSync(record, JSON.stringify(old));
  const again = await ws.run(["rotate", "--instance", "inst-2", ...initial.flags, ...SIGNER_FLAGS, "--yes", "--rotation-period-days", "30"]);
  expect(again.code).toBe(0);
  expect(again.stdout).toMatch(/NOTE: a master key rotation is due since .*: the rotation policy is every 30 days, .*The key custodians each create a new key part file/);
  expect(JSON.parse(readFileSync(record, "utf8"))).toEqual(old);
});

test("--recovery-unit-key: plan shows the generation, rotate generates and rotates; with a policy it rotates only once due", async () => {
  const initial = ws.keyParts("initial");
  expect((await ws.run(["sim", "init", "--instance-id", "inst-3", "--operational", "2", "--recovery", "2", "--records", "5", "--admin-password-env", ADMIN_PASSWORD_ENV, ...initial.flags.map((f) => f.replace("--key-part", "--initial-key-part"))])).code).toBe(0);
  const both = await ws.run(["plan", "--instance", "inst-3", "--recovery-unit-key", ...initial.flags, ...SIGNER_FLAGS]);
  expect(both.code).toBe(2);
  expect(both.stderr).toContain("give either --key-part files or --recovery-unit-key (a key generated in a recovery crypto unit), not both");

  const planned = await ws.run(["plan", "--instance", "inst-3", "--recovery-unit-key", ...SIGNER_FLAGS]);
  expect(planned.code).toBe(0);
  expect(planned.stdout).toContain("→ declared a key generated in a recovery unit");
  expect(planned.stdout).toMatch(/generateNew +1, 2, 3, 4 +auto-mk-rotate \(generate and copy\)/);
  expect(planned.stdout).toContain("THEN: the generation reports the new key");

  const rotated = await ws.run(["rotate", "--instance", "inst-3", "--recovery-unit-key", ...SIGNER_FLAGS, "--yes", "--json"]);
  expect(rotated.code).toBe(0);
  const report = rotated.json<AgeJson & { desiredVp: string }>();
  expect(report.desiredVp).not.toBe(initial.vp);
  expect(report.keyAge).toMatchObject({ verificationPattern: report.desiredVp, source: "rotation" });
  expect(rotated.stderr).toMatch(/a recovery unit generated the new master key [0-9a-f]{12}… \(journaled before it is copied\)/);
  expect((await ws.run(["sim", "verify", "--instance", "inst-3"])).code).toBe(0);

  // With a policy, nothing is due yet: rotate changes nothing.
  const notDue = await ws.run(["rotate", "--instance", "inst-3", "--recovery-unit-key", "--rotation-period-days", "30", ...SIGNER_FLAGS, "--yes", "--json"]);
  expect(notDue.code).toBe(0);
  expect(notDue.json<{ desiredVp: string; steps: number }>()).toMatchObject({ desiredVp: report.desiredVp, steps: 0 });
  // Forty days later by the record, it is due: rotate generates again.
  const record = join(ws.dir, ".hpcs-mk", "inst-3.key-age.json");
  const stored = JSON.parse(readFileSync(record, "utf8")) as { keyAge: { since: string } };
  writeFileSync(record, JSON.stringify({ ...stored, keyAge: { ...stored.keyAge, since: new Date(Date.now() - 40 * DAY).toISOString() } }));
  const status = await ws.run(["status", "--instance", "inst-3", "--rotation-period-days", "30", "--recovery-unit-key"]);
  expect(status.code).toBe(3);
  expect(status.stdout).toContain("hpcs-mk rotate --recovery-unit-key");
  expect(status.stdout).not.toContain("--key-part");
  const due = await ws.run(["rotate", "--instance", "inst-3", "--recovery-unit-key", "--rotation-period-days", "30", ...SIGNER_FLAGS, "--yes", "--json"]);
  expect(due.code).toBe(0);
  expect(due.json<{ desiredVp: string }>().desiredVp).not.toBe(report.desiredVp);
  expect((await ws.run(["status", "--instance", "inst-3", "--rotation-period-days", "30"])).code).toBe(0);
  expect(ws.leakedSecrets()).toEqual([]);
});
