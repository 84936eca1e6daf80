#!/usr/bin/env node
/**
 * The README's Pulumi demo (`npm run demo:pulumi`): the example program (examples/simulator) on the embedded simulator
 * through the real Pulumi CLI, in a fresh temporary directory with a local state backend. `pulumi up` rotates; a
 * change of key parts shows in `pulumi preview`; a rotation is killed half-way through promotion; `pulumi refresh`
 * shows the half-promoted instance as drift; `pulumi up` repairs it; `pulumi refresh --expect-no-changes` passes.
 *
 * It uses the `pulumi` on PATH when its version is in the range the package supports (3.x from the floor of the
 * package's @pulumi/pulumi peer dependency); otherwise it builds the pinned one with scripts/pulumi-cli.sh (Go
 * modules only; minutes the first time, cached after). Each step's exit code and the resource's phase are checked;
 * the demo exits 1 at the first surprise.
 */
"use strict";

const { execFileSync, spawnSync } = require("node:child_process");
const { randomBytes, randomUUID } = require("node:crypto");
const { cpSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");

const ROOT = join(__dirname, "..");
const PEER_RANGE = require(join(ROOT, "package.json")).peerDependencies["@pulumi/pulumi"];

class DemoFailure extends Error {}

/** The lowest Pulumi 3.x the package supports: the floor of its `@pulumi/pulumi` peer dependency (`^3.139.0`). */
function minimumPulumi() {
  const m = /^\^(3)\.(\d+)\.(\d+)$/.exec(PEER_RANGE);
  if (!m) throw new Error(`package.json: the @pulumi/pulumi peer dependency ${PEER_RANGE} is not of the form ^3.x.y`);
  return m.slice(1).map(Number);
}

/** Whether `pulumi version` output (`v3.248.0`) names a CLI this demo runs with: 3.x, at least the peer floor. */
function compatiblePulumi(versionText) {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(String(versionText).trim());
  if (!m) return false;
  const [major, minor, patch] = m.slice(1).map(Number);
  const [, minMinor, minPatch] = minimumPulumi();
  return major === 3 && (minor > minMinor || (minor === minMinor && patch >= minPatch));
}

/** The directory to put first on PATH (undefined: the PATH's own pulumi), and a sentence saying which CLI runs. */
function pulumiCli(env) {
  const found = spawnSync("pulumi", ["version"], { env, encoding: "utf8" });
  const version = found.status === 0 ? found.stdout.trim() : undefined;
  const floor = minimumPulumi().join(".");
  if (version !== undefined && compatiblePulumi(version)) return { bin: undefined, note: `using pulumi ${version} from PATH (this demo accepts 3.x from ${floor})` };
  const why = version === undefined ? "no pulumi on PATH" : `pulumi ${version} on PATH is outside 3.x from ${floor}`;
  if (spawnSync("go", ["version"], { env }).status !== 0) {
    throw new DemoFailure(`${why}, and no Go toolchain to build the pinned one: install the Pulumi CLI 3.x (${floor} or later), or Go 1.25 or later, and run again`);
  }
  console.log(`${why}: building the pinned Pulumi CLI from Go modules with scripts/pulumi-cli.sh (about 6 minutes and 1 GB of modules the first time; cached after)`);
  const out = execFileSync("bash", [join(ROOT, "scripts", "pulumi-cli.sh")], { env, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  const bin = out.trim().split("\n").pop();
  return { bin, note: `using the pinned pulumi built in ${bin}` };
}

function demo(work) {
  const started = Date.now();
  const instance = randomUUID();
  const project = join(work, "project");
  const secretNames = ["DEMO_ADMIN_PW", "DEMO_KP_A_1", "DEMO_KP_A_2", "DEMO_KP_B_1", "DEMO_KP_B_2"];
  const secrets = Object.fromEntries(secretNames.map((name) => [name, randomBytes(12).toString("base64url")]));
  const env = {
    ...process.env,
    ...secrets,
    PULUMI_BACKEND_URL: `file://${join(work, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: randomBytes(12).toString("base64url"),
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    NO_COLOR: "1",
  };
  delete env.HPCS_SIMULATOR_DIR;
  delete env.HPCS_BACKEND;
  mkdirSync(join(work, "state"));

  const cli = pulumiCli(env);
  if (cli.bin) env.PATH = `${cli.bin}:${env.PATH}`;
  console.log(`pulumi-hpcs-masterkey demo with the real Pulumi CLI in ${work}; ${cli.note}`);
  console.log(`(passwords are in environment variables ${secretNames.join(", ")} and the stack's passphrase in PULUMI_CONFIG_PASSPHRASE; never on a command line)`);

  const say = (text) => console.log(`\n# ${text}`);
  const check = (condition, claim) => {
    if (!condition) throw new DemoFailure(`expected: ${claim}`);
    console.log(`  ✓ ${claim}`);
  };
  /** Runs a command in the project, printed as a shell shows it; `expect` is the exit code, or "nonzero". */
  const run = (command, args, { expect = 0, input, quiet = false, shown = command } = {}) => {
    console.log(`$ ${[shown, ...args.map((a) => (/^[\w./:=@,[\]-]+$/.test(a) ? a : `"${a}"`))].join(" ")}`);
    const result = spawnSync(command, args, { cwd: project, env, encoding: "utf8", input, stdio: [input === undefined ? "ignore" : "pipe", quiet ? "pipe" : "inherit", quiet ? "pipe" : "inherit"], maxBuffer: 64 * 1024 * 1024 });
    if (result.error) throw result.error;
    const ok = expect === "nonzero" ? result.status !== 0 : result.status === expect;
    if (!ok) {
      if (quiet) process.stderr.write(`${result.stdout ?? ""}${result.stderr ?? ""}`);
      throw new DemoFailure(`${shown} ${args.join(" ")}: expected ${expect === "nonzero" ? "a failure" : `exit code ${expect}`}, got ${result.status ?? result.signal}`);
    }
    return `${result.stdout ?? ""}${result.stderr ?? ""}`;
  };
  const pulumi = (args, options = {}) => run("pulumi", [...args, "--non-interactive"], options);
  const hpcsMk = (args, options = {}) => run(join(project, "node_modules", ".bin", "hpcs-mk"), args, { ...options, shown: "npx hpcs-mk" });
  const setSecret = (path, value) => pulumi(["config", "set", "--secret", "--path", path], { input: value, quiet: true });
  /** The MasterKey's outputs as the state holds them (refresh updates these, not the stack's exports). */
  const masterKey = () => {
    const state = JSON.parse(spawnSync("pulumi", ["stack", "export"], { cwd: project, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 }).stdout);
    return state.deployment.resources.find((r) => r.type === "pulumi-nodejs:dynamic/hpcs:MasterKey").outputs;
  };
  const useKey = (label) => {
    [1, 2].forEach((n, i) => pulumi(["config", "set", "--path", `keyPartFiles[${i}]`, `${label}-${n}.json`], { quiet: true }));
    [1, 2].forEach((n, i) => setSecret(`keyPartPasswords[${i}]`, secrets[`DEMO_KP_${label.toUpperCase()}_${n}`]));
    console.log(`  (keyPartFiles = ${label}-1.json, ${label}-2.json; their passwords set as secrets)`);
  };

  say("The example program (examples/simulator) with this package installed from npm pack, as a platform team installs it.");
  cpSync(join(ROOT, "examples", "simulator"), project, { recursive: true, filter: (src) => !/node_modules|\.tgz$|\.hpcs-/.test(src) });
  execFileSync("npm", ["pack", "--silent", "--ignore-scripts", "--pack-destination", project], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  const packed = readdirSync(project).find((f) => /^pulumi-hpcs-masterkey-.*\.tgz$/.test(f));
  renameSync(join(project, packed), join(project, "pulumi-hpcs-masterkey.tgz"));
  run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--silent"]);

  say("A simulated instance (3 operational + 2 recovery units, 2 administrators, threshold 2, 500 key storage records) and two sets of key parts.");
  hpcsMk(["sim", "init", "--instance-id", instance, "--operational", "3", "--recovery", "2", "--admins", "2", "--records", "500", "--admin-password-env", "DEMO_ADMIN_PW"], { quiet: true });
  for (const label of ["a", "b"]) for (const n of [1, 2]) hpcsMk(["keypart", "create", "--out", `${label}-${n}.json`, "--description", `key ${label}, part ${n}`, "--password-env", `DEMO_KP_${label.toUpperCase()}_${n}`], { quiet: true });
  hpcsMk(["keypart", "show", "a-1.json", "a-2.json", "b-1.json", "b-2.json"]);

  say("A stack on a local state backend, configured as docs/quickstart.md shows.");
  pulumi(["stack", "init", "demo"]);
  pulumi(["config", "set", "instanceId", instance]);
  ["1.sigkey", "2.sigkey"].forEach((f, i) => pulumi(["config", "set", "--path", `signatureKeyFiles[${i}]`, f]));
  [0, 1].forEach((i) => setSecret(`signatureKeyPasswords[${i}]`, secrets.DEMO_ADMIN_PW));
  useKey("a");

  say("pulumi up: the MasterKey adopts the instance and rotates it to key a (load, commit, rewrap key storage, set immediate).");
  pulumi(["up", "--yes", "--skip-preview"]);
  const first = masterKey();
  check(first.phase === "Active", `phase Active on key a (${String(first.verificationPattern).slice(0, 12)}…)`);

  say("Declare key b: pulumi preview shows the update and the ceremony it plans, and changes nothing.");
  useKey("b");
  const preview = pulumi(["preview", "--diff"], { quiet: true });
  process.stdout.write(preview);
  check(/planned ceremony for/.test(preview) && /setImmediate/.test(preview), "the preview shows the planned ceremony (load, commit, rewrap, set immediate)");

  say("Two faults: unit 5 will not answer set immediate, and the provider's process dies right after the first promotion.");
  hpcsMk(["sim", "fault", "--instance", instance, "--kind", "unitUnavailable", "--command", "setImmediate", "--unit", "5"], { quiet: true });
  hpcsMk(["sim", "fault", "--instance", instance, "--kind", "crash", "--when", "after", "--command", "setImmediate"], { quiet: true });
  console.log("  (armed: unitUnavailable on unit 5 for setImmediate; crash after setImmediate)");

  say("pulumi up is killed half-way through promotion.");
  pulumi(["up", "--yes", "--skip-preview"], { expect: "nonzero" });

  say("pulumi refresh reads every crypto unit and shows the half-promoted instance as drift.");
  pulumi(["refresh", "--yes", "--skip-preview", "--diff"]);
  const half = masterKey();
  check(half.phase === "HalfPromoted", `phase HalfPromoted after refresh (drift: ${(half.driftReasons ?? []).join("; ") || "none"})`);

  say("pulumi up repairs it as IBM's troubleshooting page prescribes (cryptounit-rm the promoted units, cryptounit-mk-setimm the rest).");
  pulumi(["up", "--yes", "--skip-preview"]);
  const repaired = masterKey();
  check(repaired.phase === "Active" && repaired.verificationPattern !== first.verificationPattern, `phase Active on key b (${String(repaired.verificationPattern).slice(0, 12)}…)`);

  say("Converged: pulumi refresh --expect-no-changes passes, and every key storage record decrypts under key b.");
  pulumi(["refresh", "--yes", "--expect-no-changes"]);
  hpcsMk(["sim", "verify", "--instance", instance]);

  console.log(`\n(${((Date.now() - started) / 1000).toFixed(1)} s)`);
  console.log("demo:pulumi: pulumi up rotated, a killed up left the instance half-promoted, refresh showed it, up repaired it, refresh --expect-no-changes passed");
}

if (require.main === module) {
  const work = mkdtempSync(join(tmpdir(), "hpcs-mk-demo-pulumi-"));
  try {
    demo(work);
    rmSync(work, { recursive: true, force: true });
  } catch (error) {
    if (!(error instanceof DemoFailure)) throw error;
    console.error(`\ndemo:pulumi FAILED: ${error.message}\n(the demo directory is kept for inspection: ${work})`);
    process.exitCode = 1;
  }
}

module.exports = { compatiblePulumi, minimumPulumi };
