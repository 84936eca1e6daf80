import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openSimulator } from "../../src/backends/simulator";
import { openSigners } from "../../src/files/signature-keys";
import { sealEntry, verifyEvidence } from "../../src/model/evidence";
import { filesUnder } from "../helpers/files-under";
import { ADMIN_PASSWORD_ENV, SIGNER_FLAGS, workspacePerTest, type Workspace } from "./workspace";

/**
 * The evidence of every ceremony, as an auditor gets it from `hpcs-mk`: one record per run, hash-linked in the
 * ceremony's file, rendered as Markdown, and verified. (The workspace checks every evidence file for every secret.)
 */
const ws = workspacePerTest();

interface Entry {
  seq: number;
  run: string;
  at: string;
  hash: string;
  event: { type: string; [key: string]: unknown };
}
interface Shown {
  outcome: string;
  file: string;
  ceremony: string;
  runs: { run: string; outcome: string | null; steps: number; lastHash: string }[];
  broken: { line: number; reason: string } | null;
  records: Entry[];
}
interface Listed {
  ceremonies: { ceremony: string; file: string; runs: { outcome: string | null }[]; broken: unknown }[];
}

async function init(w: Workspace, id: string, records = 10): Promise<void> {
  const result = await w.run(["sim", "init", "--instance-id", id, "--operational", "2", "--recovery", "2", "--records", String(records), "--admin-password-env", ADMIN_PASSWORD_ENV]);
  expect(result.code).toBe(0);
}

const evidenceFiles = () => filesUnder(join(ws.dir, ".hpcs-mk", "evidence"));

test("a rotation's record: who, which key, what each step saw and did (TKE command, Activity Tracker event), and the outcome; show renders it, verify checks it", async () => {
  const next = ws.keyParts("next");
  await init(ws, "ev");
  const rotated = await ws.run(["rotate", "--instance", "ev", ...next.flags, ...SIGNER_FLAGS, "--yes", "--json"]);
  expect(rotated.code).toBe(0);
  const report = rotated.json<{ evidence: { file: string; id: string; hash: string; problem: null } }>();
  expect(evidenceFiles()).toHaveLength(1);
  expect(report.evidence.problem).toBeNull();

  const shown = (await ws.run(["evidence", "show", report.evidence.file, "--json"])).json<Shown>();
  expect(shown).toMatchObject({ outcome: "ok", broken: null, runs: [{ outcome: "done", lastHash: report.evidence.hash }] });
  expect(report.evidence.id).toBe(`${shown.ceremony}/${shown.runs[0].run}`);
  const events = shown.records.map((e) => e.event);
  const run = events[0] as { type: string; instanceId: string; declared: { vp: string; keyPartSha256s: string[] }; signerSkis: string[]; shell: string };
  expect(run).toMatchObject({ type: "run", instanceId: "ev", shell: "hpcs-mk", declared: { source: "keyParts", vp: next.vp } });
  expect(run.declared.keyPartSha256s).toHaveLength(2);
  expect(run.signerSkis).toHaveLength(2);
  const steps = events.filter((e) => e.type === "step");
  expect(steps.map((s) => s.action)).toEqual(expect.arrayContaining(["loadNew", "commitNew", "setImmediate"]));
  expect(steps.find((s) => s.action === "loadNew")).toMatchObject({ tkeCommand: "cryptounit-mk-load", activityTracker: ["hs-crypto.tke-cryptounit-master-key-register.add"], vp: next.vp });
  expect(steps.find((s) => s.action === "setImmediate")).toMatchObject({ activityTracker: ["hs-crypto.tke-cryptounit-master-key-register.activate"] });
  // Every step follows the observation that decided it, and each has its end.
  events.forEach((e, i) => e.type === "step" && expect(events[i - 1].type).toBe("observed"));
  expect(events.filter((e) => e.type === "stepDone")).toHaveLength(steps.length);
  expect(events.at(-1)).toMatchObject({ type: "outcome", outcome: "done", vp: next.vp, steps: steps.length });

  const markdown = await ws.run(["evidence", "show", shown.ceremony]);
  expect(markdown.code).toBe(0);
  expect(markdown.stdout).toContain(`# Key ceremony \`${shown.ceremony}\``);
  expect(markdown.stdout).toContain("verifies (");
  expect(markdown.stdout).toContain("`ibmcloud tke cryptounit-mk-commit`; Activity Tracker: `hs-crypto.tke-cryptounit-master-key-register.commit`");
  expect(markdown.stdout).toMatch(/\*\*Outcome\*\*: done, current key `[0-9a-f]{64}`/);

  const verified = await ws.run(["evidence", "verify", shown.ceremony]);
  expect(verified.code).toBe(0);
  expect(verified.stdout).toContain(`verifies (${shown.records.length} entries, every link intact)`);
});

test("a rotate killed half-way and the run that repairs it: two records in one ceremony's file, linked, the first without an outcome", async () => {
  const next = ws.keyParts("next");
  await init(ws, "kr", 30);
  expect((await ws.run(["sim", "fault", "--kind", "unitUnavailable", "--command", "setImmediate", "--unit", "4"])).code).toBe(0);
  expect((await ws.run(["sim", "fault", "--kind", "crash", "--when", "after", "--command", "setImmediate"])).code).toBe(0);
  const killed = await ws.run(["rotate", "--instance", "kr", ...next.flags, ...SIGNER_FLAGS, "--yes"]);
  expect(killed.signal).toBe("SIGKILL");
  // What the killed run wrote verifies as it stands.
  expect(evidenceFiles()).toHaveLength(1);
  const [file] = evidenceFiles();
  expect((await ws.run(["evidence", "verify", file])).code).toBe(0);

  // A record that does not verify is never appended to: the run stops before anything changes.
  const original = readFileSync(file);
  writeFileSync(file, original.toString("utf8").replace('"type":"run"', '"type":"run" '));
  const refused = await ws.run(["rotate", "--instance", "kr", ...next.flags, ...SIGNER_FLAGS, "--yes"]);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain(`does not verify at line 1 (entry 0: its content does not match its hash: the entry was changed); nothing was changed`);
  expect((await ws.run(["status", "--instance", "kr"])).stdout).toContain("PHASE: HalfPromoted");
  writeFileSync(file, original);

  const repaired = await ws.run(["rotate", "--instance", "kr", ...next.flags, ...SIGNER_FLAGS, "--yes"]);
  expect(repaired.code).toBe(0);
  expect(evidenceFiles()).toEqual([file]);
  const shown = (await ws.run(["evidence", "show", file, "--json"])).json<Shown>();
  expect(shown.broken).toBeNull();
  expect(shown.runs.map((r) => r.outcome)).toEqual([null, "done"]);
  const second = shown.records.find((e) => e.run === shown.runs[1].run) as Entry;
  expect(second.event.type).toBe("run");
  expect(shown.records[second.seq - 1].run).toBe(shown.runs[0].run);
  expect(shown.records.filter((e) => e.run === shown.runs[1].run && e.event.type === "step").map((e) => e.event.action)).toEqual(expect.arrayContaining(["deselect", "setImmediate"]));

  const listed = (await ws.run(["evidence", "list", "--json"])).json<Listed>();
  expect(listed.ceremonies).toHaveLength(1);
  expect(listed.ceremonies[0]).toMatchObject({ ceremony: shown.ceremony, broken: null });
});

test("a refusal is recorded with its code, its reasons and the manual steps", async () => {
  const next = ws.keyParts("next");
  await init(ws, "rf");
  expect((await ws.run(["sim", "fault", "--kind", "crashMidRewrap", "--after-records", "4"])).code).toBe(0);
  expect((await ws.run(["rotate", "--instance", "rf", ...next.flags, ...SIGNER_FLAGS, "--yes"])).signal).toBe("SIGKILL");
  const operator = await openSimulator({ dir: join(ws.dir, ".hpcs-sim"), instanceId: "rf" });
  const signers = openSigners(["1.sigkey", "2.sigkey"].map((file) => ({ file: join(ws.dir, file), password: ws.env[ADMIN_PASSWORD_ENV] })));
  const [unit1] = await operator.listUnits();
  await operator.setImmediate({ units: [unit1.id], expectedVp: next.vp }, signers);

  const refused = await ws.run(["rotate", "--instance", "rf", ...next.flags, ...SIGNER_FLAGS, "--yes"]);
  expect(refused.code).toBe(1);
  const shown = (await ws.run(["evidence", "show", evidenceFiles()[0], "--json"])).json<Shown>();
  const last = shown.records.filter((e) => e.run === shown.runs.at(-1)?.run).map((e) => e.event);
  expect(last.map((e) => e.type)).toEqual(["run", "observed", "refused", "outcome"]);
  expect(last[2]).toMatchObject({ code: "PromotedBeforeRewrap", manualSteps: expect.arrayContaining([expect.stringContaining("ibmcloud tke")]) });
  expect(last[3]).toMatchObject({ outcome: "refused", steps: 0 });
  expect((await ws.run(["evidence", "show", evidenceFiles()[0]])).stdout).toContain("**Refused (PromotedBeforeRewrap)**");
});

test("every byte changed in a record is found by verify, which names its entry; a new ceremony never appends to a broken file", async () => {
  const next = ws.keyParts("next");
  await init(ws, "tm");
  expect((await ws.run(["rotate", "--instance", "tm", ...next.flags, ...SIGNER_FLAGS, "--yes"])).code).toBe(0);
  const [file] = evidenceFiles();
  const original = readFileSync(file);
  const lineOf = (at: number) => original.subarray(0, at).toString("utf8").split("\n").length;
  const misses: number[] = [];
  for (let at = 0; at < original.length; at++) {
    const tampered = Buffer.from(original);
    tampered[at] ^= 0x01;
    if (verifyEvidence(tampered.toString("utf8")).broken?.line !== lineOf(at)) misses.push(at);
  }
  expect(misses).toEqual([]);

  // Through the command: a changed byte, a removed entry, a cut-off last line.
  const lines = original.toString("utf8").split("\n").slice(0, -1);
  const tampered = Buffer.from(original);
  tampered[lines[0].length + 1 + lines[1].length - 5] ^= 0x01;
  writeFileSync(file, tampered);
  const changed = await ws.run(["evidence", "verify", file]);
  expect({ code: changed.code, out: changed.stdout }).toEqual({ code: 1, out: expect.stringContaining("line 2, entry 1: its content does not match its hash") });
  writeFileSync(file, [...lines.slice(0, 2), ...lines.slice(3), ""].join("\n"));
  expect((await ws.run(["evidence", "verify", file])).stdout).toContain("line 3, entry 2: it says it is entry 3");
  writeFileSync(file, original.subarray(0, original.length - 1));
  expect((await ws.run(["evidence", "verify", file])).stdout).toContain("the last line has no newline");

  // The next ceremony has a file of its own: the broken one stays as it was.
  const broken = readFileSync(file);
  const other = ws.keyParts("other");
  expect((await ws.run(["rotate", "--instance", "tm", ...other.flags, ...SIGNER_FLAGS, "--yes"])).code).toBe(0);
  expect(readFileSync(file)).toEqual(broken);
  expect(evidenceFiles()).toHaveLength(2);
  const listed = await ws.run(["evidence", "list"]);
  expect(listed.code).toBe(1);
  expect(listed.stdout).toMatch(/BROKEN rot-/);
  expect(listed.stdout).toMatch(/OK rot-/);
});

test("with --sign-evidence an administrator signs each run's record; a re-hashed forgery fails on the signature", async () => {
  const next = ws.keyParts("next");
  await init(ws, "sg");
  expect((await ws.run(["rotate", "--instance", "sg", ...next.flags, ...SIGNER_FLAGS, "--yes", "--sign-evidence"])).code).toBe(0);
  const [file] = evidenceFiles();
  const shown = (await ws.run(["evidence", "show", file, "--json"])).json<Shown>();
  const signature = shown.records.at(-1) as Entry;
  expect(signature.event).toMatchObject({ type: "signature", signs: shown.records.at(-2)?.hash });
  const verified = await ws.run(["evidence", "verify", file]);
  expect(verified.code).toBe(0);
  expect(verified.stdout).toContain(`Signed at entry ${signature.seq} by SKI ${signature.event.ski as string}: the signature verifies.`);

  // Someone rewrites the outcome and recomputes every hash: the links hold, the administrator's signature does not.
  const lines = readFileSync(file, "utf8").split("\n").slice(0, -1);
  let prev = "0".repeat(64);
  const forged = lines.map((line) => {
    const entry = JSON.parse(line).entry as Entry & { prev: string };
    if (entry.event.type === "outcome") entry.event.message = "forged";
    if (entry.event.type === "signature") entry.event.signs = prev;
    entry.prev = prev;
    const { line: sealed, hash } = sealEntry(entry as unknown as Parameters<typeof sealEntry>[0]);
    prev = hash;
    return sealed;
  });
  writeFileSync(file, `${forged.join("\n")}\n`);
  const refused = await ws.run(["evidence", "verify", file]);
  expect(refused.code).toBe(1);
  expect(refused.stdout).toContain(`line ${signature.seq + 1}, entry ${signature.seq}: its signature does not verify`);
});
