#!/usr/bin/env node
/**
 * The README demo (`npm run demo`): a narrated terminal session of the real hpcs-mk CLI against the embedded
 * simulator, in a fresh temporary directory. It creates key parts and a simulated instance with 1,000 key storage
 * records, rotates the master key, then rotates again with a crash armed half-way through promotion, and shows that
 * `rotate` repairs the half-promoted instance and every record is still readable.
 *
 * Each step's exit code and the phase `status --json` reports are checked; the demo exits 1 at the first surprise.
 * `--from-source` runs src/ through the test suite's TypeScript hook instead of dist/ (no build needed).
 */
"use strict";

const { spawnSync } = require("node:child_process");
const { randomBytes, randomUUID } = require("node:crypto");
const { mkdtempSync, rmSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");

const ROOT = join(__dirname, "..");
const FROM_SOURCE = process.argv.includes("--from-source");
const ENTRY = FROM_SOURCE ? ["-r", join(ROOT, "tests", "helpers", "register-ts.js"), join(ROOT, "src", "cli", "main.ts")] : [join(ROOT, "dist", "cli", "main.js")];

const RECORDS = 1000;
const started = Date.now();
const work = mkdtempSync(join(tmpdir(), "hpcs-mk-demo-"));
const instance = randomUUID();

/** Every secret lives in an environment variable for the CLI to read; none is ever on a command line or printed. */
const secretNames = ["DEMO_ADMIN_PW", "DEMO_KP_INITIAL_1", "DEMO_KP_INITIAL_2", "DEMO_KP_NEW_1", "DEMO_KP_NEW_2", "DEMO_KP_THIRD_1", "DEMO_KP_THIRD_2"];
const secrets = Object.fromEntries(secretNames.map((name) => [name, randomBytes(12).toString("base64url")]));
const env = { ...process.env, ...secrets };
delete env.HPCS_SIMULATOR_DIR;
delete env.HPCS_BACKEND;

class DemoFailure extends Error {}

function say(text) {
  console.log(`\n# ${text}`);
}

/** Prints a command line as a shell session would show it, wrapped between flags when it is long. */
function show(args) {
  const quoted = args.map((a) => (/^[\w./:=@-]+$/.test(a) ? a : `"${a}"`));
  const groups = [];
  for (const a of quoted) {
    if (a.startsWith("--") || groups.length === 0) groups.push(a);
    else groups[groups.length - 1] += ` ${a}`;
  }
  const lines = [`$ hpcs-mk`];
  for (const g of groups) {
    if (lines[lines.length - 1].length + g.length + 1 > 100) lines.push(`   `);
    lines[lines.length - 1] += ` ${g}`;
  }
  console.log(lines.join(" \\\n"));
}

/**
 * Runs the CLI in the demo directory. `expect` is the exit code, or "SIGKILL" for a process the simulator kills.
 * Output goes to the terminal unless `capture` (then stdout is returned, for checks that print their own line).
 */
function hpcsMk(args, { expect = 0, capture = false } = {}) {
  if (!capture) show(args);
  const result = spawnSync(process.execPath, [...ENTRY, ...args], { cwd: work, env, stdio: capture ? ["ignore", "pipe", "pipe"] : "inherit", encoding: "utf8" });
  if (result.error) throw result.error;
  const got = result.signal ?? result.status;
  if (got !== expect) {
    if (capture) process.stderr.write(`${result.stdout ?? ""}${result.stderr ?? ""}`);
    throw new DemoFailure(`hpcs-mk ${args.join(" ")}: expected ${typeof expect === "number" ? `exit code ${expect}` : expect}, got ${typeof got === "number" ? `exit code ${got}` : got}`);
  }
  return result.stdout;
}

function json(args) {
  return JSON.parse(hpcsMk([...args, "--json"], { capture: true }));
}

function check(condition, claim) {
  if (!condition) throw new DemoFailure(`expected: ${claim}`);
  console.log(`  ✓ ${claim}`);
}

function status() {
  return json(["status", "--instance", instance]);
}

const unitsWithRole = (report, role) => report.units.filter((u) => u.role === role).map((u) => u.num);

function credentials(label) {
  return [
    "--instance", instance,
    "--key-part", `${label}-1.json`, "--key-part", `${label}-2.json`,
    "--key-part-password-env", `DEMO_KP_${label.toUpperCase()}_1`, "--key-part-password-env", `DEMO_KP_${label.toUpperCase()}_2`,
    "--signature-key", "1.sigkey", "--signature-key", "2.sigkey",
    "--signature-key-password-env", "DEMO_ADMIN_PW", "--signature-key-password-env", "DEMO_ADMIN_PW",
  ];
}

function createKeyParts(label, what) {
  for (const n of [1, 2]) {
    hpcsMk(["keypart", "create", "--out", `${label}-${n}.json`, "--description", `${what}, part ${n}`, "--password-env", `DEMO_KP_${label.toUpperCase()}_${n}`]);
  }
}

function demo() {
  console.log(`hpcs-mk demo in ${work} (passwords are in environment variables ${secretNames.join(", ")}; never on a command line)`);

  say("Two key parts for the initial master key, two for the next one (TKE: mk-add --random).");
  createKeyParts("initial", "initial key");
  createKeyParts("new", "new key");
  hpcsMk(["keypart", "show", "initial-1.json", "initial-2.json", "new-1.json", "new-2.json"]);

  say(`A simulated instance: 3 operational + 2 recovery crypto units, 2 administrators, thresholds 2/2, ${RECORDS} key storage records.`);
  hpcsMk(["sim", "init", "--instance-id", instance, "--operational", "3", "--recovery", "2", "--admins", "2", "--signature-threshold", "2", "--revocation-threshold", "2",
    "--records", String(RECORDS), "--admin-password-env", "DEMO_ADMIN_PW",
    "--initial-key-part", "initial-1.json", "--initial-key-part", "initial-2.json",
    "--initial-key-part-password-env", "DEMO_KP_INITIAL_1", "--initial-key-part-password-env", "DEMO_KP_INITIAL_2"]);
  hpcsMk(["status", "--instance", instance]);
  const initial = status();
  check(initial.phase.name === "Active", "phase Active on the initial key");

  say("Rotate to the new key parts: select, load, commit, rewrap key storage, set immediate.");
  hpcsMk(["rotate", ...credentials("new"), "--yes"]);
  const rotated = status();
  check(rotated.phase.name === "Active" && rotated.phase.currentVp !== initial.phase.currentVp, `phase Active on a new key (${rotated.phase.currentVp.slice(0, 12)}…)`);

  say("A third key, and two faults: recovery unit 5 will not answer set immediate, and the process dies right after the first promotion.");
  createKeyParts("third", "third key");
  hpcsMk(["sim", "fault", "--instance", instance, "--kind", "unitUnavailable", "--command", "setImmediate", "--unit", "5"]);
  hpcsMk(["sim", "fault", "--instance", instance, "--kind", "crash", "--when", "after", "--command", "setImmediate"]);

  say("This rotate is killed (SIGKILL) half-way through promotion.");
  hpcsMk(["rotate", ...credentials("third"), "--yes"], { expect: "SIGKILL" });
  console.log("  (the process was killed by SIGKILL)");
  hpcsMk(["status", "--instance", instance]);
  const half = status();
  const promoted = unitsWithRole(half, "promoted");
  const lagging = unitsWithRole(half, "lagging");
  check(half.phase.name === "HalfPromoted" && promoted.length > 0 && lagging.length > 0, `phase HalfPromoted: promoted units ${promoted.join(", ")}, lagging units ${lagging.join(", ")}`);

  say("What rotate will do about it (nothing changes yet).");
  hpcsMk(["plan", ...credentials("third")]);
  const planned = json(["plan", ...credentials("third")]);
  const actions = planned.steps.map((s) => s.action);
  check(actions[0] === "deselect" && actions.includes("setImmediate") && !actions.some((a) => ["loadNew", "clearNew", "rewrap"].includes(a)), `plan: ${actions.join(", ")} (never load, clear or rewrap)`);

  say("Run rotate again: it repairs the instance (cryptounit-rm the promoted units, cryptounit-mk-setimm the rest).");
  hpcsMk(["rotate", ...credentials("third"), "--yes"]);
  hpcsMk(["status", "--instance", instance]);
  const repaired = status();
  check(repaired.phase.name === "Active" && repaired.phase.currentVp === planned.desiredVp, `phase Active on the third key (${planned.desiredVp.slice(0, 12)}…)`);

  say("Every key storage record decrypts under the new master key.");
  hpcsMk(["sim", "verify", "--instance", instance]);
  const verified = json(["sim", "verify", "--instance", instance]);
  check(verified.records === RECORDS && verified.byVp.length === 1 && verified.byVp[0].vp === planned.desiredVp, `${RECORDS} records, all under the third key`);

  say("The evidence auditors read: one hash-linked record per run, the killed run and its repair in one ceremony's file.");
  hpcsMk(["evidence", "list"]);
  const ceremonies = json(["evidence", "list"]).ceremonies;
  const repairedCeremony = ceremonies.find((c) => c.runs.length === 2);
  check(ceremonies.length === 2 && ceremonies.every((c) => c.broken === null) && repairedCeremony !== undefined && repairedCeremony.runs[1].outcome === "done", "2 ceremonies, every link verifies; the third key's has the killed run and the repair");
  hpcsMk(["evidence", "verify", repairedCeremony.ceremony]);

  console.log(`\n(${((Date.now() - started) / 1000).toFixed(1)} s)`);
  console.log(`demo: rotated, survived a crash half-way through promotion (${promoted.length} of ${half.units.length} units promoted), repaired, ${RECORDS} records verified`);
}

try {
  demo();
  rmSync(work, { recursive: true, force: true });
} catch (error) {
  if (!(error instanceof DemoFailure)) throw error;
  console.error(`\ndemo FAILED: ${error.message}\n(the demo directory is kept for inspection: ${work})`);
  process.exitCode = 1;
}
