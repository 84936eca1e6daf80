import { existsSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { parseJournal } from "../../src/engine/journal";
import { ADMIN_PASSWORD_ENV, explain, SIGNER_FLAGS, workspacePerTest } from "./workspace";

/** sim init → status → plan → rotate → sim verify, the way an operator runs them, in real processes. */

const ws = workspacePerTest();

interface StatusJson {
  schemaVersion: number;
  phase: { name: string; currentVp: string | null; pendingVp: string | null; reasons: unknown[] };
  units: { num: number; id: string; type: string; selected: boolean; role: string; current: { status: string; vp: string }; new: { status: string; vp: string } }[];
  rewrap: { state: string };
}

test("an initialised instance rotates to new key parts, the journal file records it, and every record stays readable", async () => {
  const initial = ws.keyParts("initial");
  const next = ws.keyParts("next");
  const init = await ws.run([
    "sim", "init", "--instance-id", "inst-1", "--operational", "3", "--recovery", "2", "--records", "40", "--admin-password-env", ADMIN_PASSWORD_ENV,
    ...initial.flags.map((f) => f.replace("--key-part", "--initial-key-part")),
  ]);
  expect(init.code).toBe(0);
  expect(init.stdout).toContain("SERVICE INSTANCE: inst-1");
  expect(init.stdout).toContain(initial.vp);
  expect(readFileSync(join(ws.dir, "1.sigkey"), "utf8")).toMatch(/"keyType":"p521ec"/);

  const before = await ws.run(["status", "--instance", "inst-1", "--json"]);
  expect(before.code).toBe(0);
  const s0 = before.json<StatusJson>();
  expect(s0).toMatchObject({ schemaVersion: 1, command: "status", outcome: "ok", phase: { name: "Active", currentVp: initial.vp } });
  expect(s0.units.map((u) => [u.num, u.type, u.selected])).toEqual([
    [1, "operational", false], [2, "operational", false], [3, "operational", false], [4, "recovery", false], [5, "recovery", false],
  ]);

  const planned = await ws.run(["plan", "--instance", "inst-1", ...next.flags, ...SIGNER_FLAGS]);
  expect(planned.code).toBe(0);
  expect(planned.stdout).toMatch(/1 +Active +select +1, 2, 3, 4, 5 +cryptounit-add/);
  expect(planned.stdout).toMatch(/5 +Rewrapped +setImmediate +1, 2, 3, 4, 5 +cryptounit-mk-setimm/);
  expect(planned.stdout).toContain("Nothing was changed.");

  const rotated = await ws.run(["rotate", "--instance", "inst-1", ...next.flags, ...SIGNER_FLAGS]);
  expect(rotated.code).toBe(0);
  expect(rotated.stdout).toContain("(5 steps this run; journal .hpcs-mk/inst-1.journal.json)");
  expect(rotated.stdout).toContain("Master key rotation successful");
  expect(rotated.stdout).toContain(`every crypto unit of inst-1 holds ${next.vp} as its current master key`);
  expect(rotated.stderr).toContain("rewrap ok");
  expect(rotated.stderr).toContain("KMS CRK rewrap successful, waiting on cryptounit-mk-setimm.");
  // Units in CRYPTO UNIT NUM order, as ibmcloud tke cryptounits lists them.
  expect(rotated.stderr).toContain("setImmediate on #1, #2, #3, #4, #5: promote");
  expect(rotated.stderr).toContain("select on #1, #2, #3, #4, #5: select");

  const journalFile = join(ws.dir, ".hpcs-mk", "inst-1.journal.json");
  const journal = parseJournal(JSON.parse(readFileSync(journalFile, "utf8")));
  expect(journal).toMatchObject({ targetVp: next.vp, fromVp: initial.vp, rewrapProof: expect.objectContaining({ vp: next.vp }) });
  expect(journal?.completedAt).not.toBeNull();
  expect(journal?.steps.map((s) => [s.action, s.outcome])).toEqual([
    ["select", "ok"], ["loadNew", "ok"], ["commitNew", "ok"], ["rewrap", "ok"], ["setImmediate", "ok"],
  ]);

  const after = (await ws.run(["status", "--instance", "inst-1", "--json"])).json<StatusJson>();
  expect(after.phase).toEqual({ name: "Active", currentVp: next.vp, pendingVp: null, reasons: [] });
  expect(after.units.every((u) => u.selected && u.new.status === "Empty" && u.current.vp === next.vp)).toBe(true);

  const verified = await ws.run(["sim", "verify", "--json"]);
  expect(verified.code).toBe(0);
  expect(verified.json()).toMatchObject({ outcome: "ok", records: 40, byVp: [{ vp: next.vp, records: 40, current: [1, 2, 3, 4, 5], new: [] }], problems: [] });

  const again = await ws.run(["rotate", "--instance", "inst-1", ...next.flags, ...SIGNER_FLAGS, "--json"]);
  expect(again.code).toBe(0);
  expect(again.json()).toMatchObject({ schemaVersion: 1, command: "rotate", outcome: "ok", phase: "Active", steps: 0, rotatedThisRun: false, refusal: null, error: null });
});

test("an uninitialised instance gets its first master key from rotate", async () => {
  const first = ws.keyParts("first", 3);
  expect((await ws.run(["sim", "init", "--instance-id", "fresh", "--uninitialized", "--admins", "1", "--admin-password-env", ADMIN_PASSWORD_ENV])).code).toBe(0);
  expect((await ws.run(["status", "--instance", "fresh", "--json"])).json<StatusJson>().phase.name).toBe("Uninitialized");
  const signer = ["--signature-key", "1.sigkey", "--signature-key-password-env", ADMIN_PASSWORD_ENV];
  const rotated = await ws.run(["rotate", "--instance", "fresh", ...first.flags, ...signer, "--journal", "journals/fresh.json"]);
  expect(rotated.code).toBe(0);
  expect(existsSync(join(ws.dir, "journals", "fresh.json"))).toBe(true);
  expect((await ws.run(["status", "--instance", "fresh", "--json"])).json<StatusJson>().phase).toMatchObject({ name: "Active", currentVp: first.vp });
});

test("--json prints exactly one JSON document on stdout for every command, progress stays on stderr", async () => {
  const next = ws.keyParts("next");
  const commands: string[][] = [
    ["sim", "init", "--instance-id", "j", "--records", "5", "--admin-password-env", ADMIN_PASSWORD_ENV],
    ["status", "--instance", "j"],
    ["plan", "--instance", "j", ...next.flags, ...SIGNER_FLAGS],
    ["rotate", "--instance", "j", ...next.flags, ...SIGNER_FLAGS],
    ["sim", "show"],
    ["sim", "fault", "--list"],
    ["sim", "verify"],
    ["keypart", "show", next.refs[0].file],
  ];
  for (const args of commands) {
    const result = await ws.run([...args, "--json"]);
    expect({ args, code: result.code }).toEqual({ args, code: 0 });
    const doc = result.json<{ schemaVersion: number; command: string; outcome: string }>();
    expect({ schemaVersion: doc.schemaVersion, command: doc.command, outcome: doc.outcome }).toEqual({ schemaVersion: 1, command: args.slice(0, args[0] === "sim" || args[0] === "keypart" ? 2 : 1).join(" "), outcome: "ok" });
    expect(result.stdout.trim().startsWith("{") && result.stdout.trim().endsWith("}")).toBe(true);
  }
  const rotateRun = await ws.run(["rotate", "--instance", "j", ...next.flags, ...SIGNER_FLAGS, "--json"]);
  expect(rotateRun.stderr).toContain("phase Active");
  expect(() => JSON.parse(rotateRun.stdout)).not.toThrow();
});

test("a refused rotation exits 1 with the code, the message and the manual TKE steps", async () => {
  const next = ws.keyParts("next");
  expect((await ws.run(["sim", "init", "--instance-id", "r", "--admins", "2", "--records", "3", "--admin-password-env", ADMIN_PASSWORD_ENV])).code).toBe(0);
  // Threshold 2 and only one signer: the engine refuses before it changes anything.
  const oneSigner = ["--signature-key", "1.sigkey", "--signature-key-password-env", ADMIN_PASSWORD_ENV];
  const result = await ws.run(["rotate", "--instance", "r", ...next.flags, ...oneSigner]);
  expect(result.code).toBe(1);
  expect(result.stdout).toMatch(/^FAILED\nrefused \(PrecheckFailed\): /);
  expect(result.stdout).toContain("Manual steps (TKE CLI):\n  ibmcloud tke cryptounit-admins");
  // No step was taken, so no journal was written: the footer does not point at one.
  expect(result.stdout).toContain("(0 steps this run; no journal: nothing to resume)");
  const json = await ws.run(["rotate", "--instance", "r", ...next.flags, ...oneSigner, "--json"]);
  expect(json.code).toBe(1);
  expect(json.json()).toMatchObject({ outcome: "refused", steps: 0, refusal: { code: "PrecheckFailed" }, error: null, journalKept: false });
  const status = (await ws.run(["status", "--instance", "r", "--json"])).json<StatusJson>();
  expect(status.phase.name).toBe("Active");
  expect(status.units.every((u) => !u.selected && u.new.status === "Empty")).toBe(true);
  expect(explain(result)).not.toContain("bug");
});

test("declaring the key that is already current says so and changes nothing, not even the selection", async () => {
  const initial = ws.keyParts("initial");
  expect((await ws.run(["sim", "init", "--instance-id", "same", "--records", "5", "--admin-password-env", ADMIN_PASSWORD_ENV, ...initial.flags.map((f) => f.replace("--key-part", "--initial-key-part"))])).code).toBe(0);
  const before = (await ws.run(["status", "--instance", "same", "--json"])).json<StatusJson>();
  expect(before.units.every((u) => !u.selected)).toBe(true);

  const planned = await ws.run(["plan", "--instance", "same", ...initial.flags, ...SIGNER_FLAGS]);
  expect(planned.code).toBe(0);
  expect(planned.stdout).toContain(`Nothing to do: the declared key ${initial.vp.slice(0, 12)}… is already the current master key of every unit; nothing would change.`);
  expect(planned.stdout).not.toContain("select");

  const rotated = await ws.run(["rotate", "--instance", "same", ...initial.flags, ...SIGNER_FLAGS]);
  expect(rotated.code).toBe(0);
  expect(rotated.stdout).toContain(`The declared key is already the current master key of every crypto unit of same (${initial.vp}): nothing to do, nothing was changed.`);
  expect(rotated.stdout).toContain("(0 steps this run; no journal: nothing to resume)");
  expect(rotated.stdout).not.toContain("rotation successful");
  const json = await ws.run(["rotate", "--instance", "same", ...initial.flags, ...SIGNER_FLAGS, "--json"]);
  expect(json.json()).toMatchObject({ outcome: "ok", steps: 0, rotatedThisRun: false, journalKept: false });

  const after = (await ws.run(["status", "--instance", "same", "--json"])).json<StatusJson>();
  expect(after.units).toEqual(before.units);
  expect(existsSync(join(ws.dir, ".hpcs-mk", "same.journal.json"))).toBe(false);
});

test("a signature key whose administrator is not installed is named with its SKI, beside the installed administrators and what each command needs", async () => {
  const next = ws.keyParts("next");
  expect((await ws.run(["sim", "init", "--instance-id", "elsewhere", "--admins", "1", "--admin-password-env", ADMIN_PASSWORD_ENV])).code).toBe(0);
  renameSync(join(ws.dir, "1.sigkey"), join(ws.dir, "stranger.sigkey"));
  const stranger = JSON.parse(readFileSync(join(ws.dir, "stranger.sigkey"), "utf8")) as { ski: string };
  expect((await ws.run(["sim", "init", "--instance-id", "sig", "--admins", "2", "--records", "3", "--admin-password-env", ADMIN_PASSWORD_ENV])).code).toBe(0);
  const admins = ["1.sigkey", "2.sigkey"].map((f) => (JSON.parse(readFileSync(join(ws.dir, f), "utf8")) as { ski: string }).ski);
  const signers = ["--signature-key", "1.sigkey", "--signature-key", "stranger.sigkey", "--signature-key-password-env", ADMIN_PASSWORD_ENV, "--signature-key-password-env", ADMIN_PASSWORD_ENV];
  const result = await ws.run(["rotate", "--instance", "sig", ...next.flags, ...signers]);
  expect(result.code).toBe(1);
  expect(result.stdout).toContain(
    "Signatures count only from administrators installed in every unit: cryptounit-mk-load needs 1 signature, and cryptounit-mk-commit needs 2 signatures (the signature threshold); " +
      `the signature keys provided give 1; not an administrator installed in every unit: stranger.sigkey (SKI ${stranger.ski}). ` +
      `Installed administrators: ADMIN1 (SKI ${admins[0]}); ADMIN2 (SKI ${admins[1]})`,
  );
  // The CLI's own vocabulary: its flag, not the provider's input name.
  expect(result.stdout).toContain("give the signature key files of installed administrators in --signature-key (with --signature-key-password-env), enough to meet the signature threshold, then run hpcs-mk rotate again");
  expect(result.stdout).not.toContain("signatureKeys");
});
