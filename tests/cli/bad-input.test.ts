import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ADMIN_PASSWORD_ENV, SIGNER_FLAGS, workspace, type Workspace } from "./workspace";

/**
 * Bad input, as users produce it: each case gets its exit code (2 usage, 1 failed) and a message that names the
 * file, flag or instance, and none is reported as a bug. Nothing secret is echoed.
 */

let ws: Workspace;
let next: ReturnType<Workspace["keyParts"]>;

beforeAll(async () => {
  ws = workspace();
  next = ws.keyParts("next");
  const init = await ws.run(["sim", "init", "--instance-id", "bad", "--records", "3", "--admin-password-env", ADMIN_PASSWORD_ENV]);
  expect(init.code).toBe(0);
});
afterAll(() => {
  expect(ws.leakedSecrets()).toEqual([]);
  ws.cleanup();
});

interface Row {
  readonly name: string;
  readonly reason: string;
  readonly args: () => string[];
  readonly env?: Record<string, string>;
  readonly code: 1 | 2;
  readonly stderr: RegExp;
}

const rows: Row[] = [
  { name: "unknown command", reason: "exit 2 and the command list", args: () => ["rotat"], code: 2, stderr: /unknown command "rotat"\n[\s\S]*Commands:\n {2}keypart create/ },
  { name: "no command", reason: "exit 2 and the command list", args: () => [], code: 2, stderr: /no command given[\s\S]*Usage: hpcs-mk <command> \[flags\]/ },
  { name: "malformed number", reason: "exit 2 and the command's synopsis", args: () => ["sim", "init", "--records", "-5"], code: 2, stderr: /--records needs a value[\s\S]*Usage: hpcs-mk sim init \[flags\]/ },
  { name: "missing required flag", reason: "exit 2", args: () => ["status"], code: 2, stderr: /status needs --instance ID/ },
  { name: "unknown instance", reason: "status fails (exit 1) naming the instances the simulator holds", args: () => ["status", "--instance", "nope"], code: 1, stderr: /service instance nope was not found\. The simulator directory .* holds: bad\./ },
  { name: "unknown instance in plan", reason: "checked before any password is asked for", args: () => ["plan", "--instance", "nope", ...next.flags, ...SIGNER_FLAGS], code: 1, stderr: /service instance nope was not found/ },
  {
    name: "missing key part file",
    reason: "the file is named",
    args: () => ["plan", "--instance", "bad", "--key-part", "gone.json", ...next.flags.slice(2), ...SIGNER_FLAGS],
    code: 1,
    stderr: /key part file gone\.json: does not exist/,
  },
  {
    name: "missing signature key file",
    reason: "the file is named",
    args: () => ["plan", "--instance", "bad", ...next.flags, "--signature-key", "9.sigkey", "--signature-key-password-env", ADMIN_PASSWORD_ENV],
    code: 1,
    stderr: /signature key file 9\.sigkey: does not exist/,
  },
  {
    name: "the same signature key twice",
    reason: "the CLI's flag and both files are named, never the provider's input",
    args: () => ["plan", "--instance", "bad", ...next.flags, "--signature-key", "1.sigkey", "--signature-key", "1.sigkey", "--signature-key-password-env", ADMIN_PASSWORD_ENV, "--signature-key-password-env", ADMIN_PASSWORD_ENV],
    code: 1,
    stderr: /^--signature-key: 1\.sigkey holds the same signature key as 1\.sigkey \(Signature keys are not unique\); give each administrator's key once$/m,
  },
  {
    name: "wrong key part password",
    reason: "the file is named, the password is not shown",
    args: () => ["rotate", "--instance", "bad", ...next.flags, ...SIGNER_FLAGS],
    env: { KP_NEXT_1: "wrong-password-123" },
    code: 1,
    stderr: /key part file .*next-part1\.json: the password is wrong/,
  },
  {
    name: "wrong signature key password",
    reason: "TKE says the same: the password is wrong",
    args: () => ["rotate", "--instance", "bad", ...next.flags, ...SIGNER_FLAGS],
    env: { [ADMIN_PASSWORD_ENV]: "wrong-admin-pw-456" },
    code: 1,
    stderr: /signature key file 1\.sigkey: the password is wrong/,
  },
  {
    name: "no password and no terminal",
    reason: "exit 2 naming the flag to add",
    args: () => ["plan", "--instance", "bad", "--key-part", next.refs[0].file, "--key-part", next.refs[1].file, ...SIGNER_FLAGS],
    code: 2,
    stderr: /no secret for key part file .*next-part1\.json: stdin is not a terminal, so it cannot be prompted for; add --key-part-password-env VAR/,
  },
  {
    name: "password variable not set",
    reason: "exit 2 naming the variable",
    args: () => ["plan", "--instance", "bad", ...next.flags, "--signature-key", "1.sigkey", "--signature-key-password-env", "NOT_SET_ANYWHERE"],
    code: 2,
    stderr: /--signature-key-password-env names NOT_SET_ANYWHERE, but that environment variable is not set/,
  },
  {
    name: "not a key part file",
    reason: "a sigkey given as a key part",
    args: () => ["plan", "--instance", "bad", "--key-part", "1.sigkey", "--key-part", next.refs[1].file, "--key-part-password-env", ADMIN_PASSWORD_ENV, ...SIGNER_FLAGS],
    code: 1,
    stderr: /key part file 1\.sigkey: is an administrator signature key file \(N\.sigkey\), not a key part: give the key part files the master key is made of/,
  },
  {
    name: "damaged journal",
    reason: "the journal file is named, with the way out",
    args: () => ["plan", "--instance", "bad", ...next.flags, ...SIGNER_FLAGS, "--journal", "broken.json"],
    code: 1,
    stderr: /journal file broken\.json: .*move the file aside and run again/,
  },
  { name: "several instances", reason: "sim show needs --instance when the directory holds more than one", args: () => ["sim", "show", "--sim-dir", "two"], code: 2, stderr: /holds 2 instances \(a, b\); add --instance ID/ },
  { name: "empty simulator", reason: "sim verify says how to create one", args: () => ["sim", "verify", "--sim-dir", "empty"], code: 1, stderr: /holds no instances; create one with "hpcs-mk sim init"/ },
  { name: "unknown unit", reason: "sim fault --unit takes a NUM or an HSM id", args: () => ["sim", "fault", "--kind", "transient", "--unit", "9"], code: 1, stderr: /--unit 9 is neither a CRYPTO UNIT NUM \(1–4\) nor an HSM id of instance bad/ },
  {
    name: "key part file created in a missing directory",
    reason: "one sentence naming the flag, the file and the directory, asked before any password prompt",
    args: () => ["keypart", "create", "--out", "nodir/x.json", "--password-env", "KP_NEXT_1"],
    code: 1,
    stderr: /^FAILED\n--out nodir\/x\.json: the directory nodir does not exist; create it first, or give a path in an existing directory\n$/,
  },
  {
    name: "a key part file given as a signature key",
    reason: "says what the file is and which file is wanted, not a schema dump",
    args: () => ["plan", "--instance", "bad", ...next.flags, "--signature-key", next.refs[0].file, "--signature-key-password-env", ADMIN_PASSWORD_ENV],
    code: 1,
    stderr: /signature key file .*next-part1\.json: is a master key part file \(hpcs-mk keypart create\), not a signature key: give an installed administrator's signature key file \(N\.sigkey\)\n$/,
  },
  {
    name: "--sim-dir pointing at a file",
    reason: "says it is a file, never suggests sim init on it",
    args: () => ["status", "--instance", "bad", "--sim-dir", "1.sigkey"],
    code: 1,
    stderr: /The simulator directory .*1\.sigkey is a file, not a directory: point --sim-dir \(or HPCS_SIMULATOR_DIR\) at the directory hpcs-mk sim init created \(default \.hpcs-sim\)\.\n$/,
  },
  { name: "bad instance shape", reason: "sim init options the simulator refuses", args: () => ["sim", "init", "--operational", "2", "--failover", "3", "--admin-password-env", ADMIN_PASSWORD_ENV, "--key-dir", "shape-keys"], code: 1, stderr: /failover units \(3\) cannot exceed operational units \(2\)/ },
];

beforeAll(async () => {
  writeFileSync(join(ws.dir, "broken.json"), "{ not json");
  mkdirSync(join(ws.dir, "empty"));
  for (const id of ["a", "b"]) {
    expect((await ws.run(["sim", "init", "--sim-dir", "two", "--instance-id", id, "--admin-password-env", ADMIN_PASSWORD_ENV, "--key-dir", "two-keys"])).code).toBe(0);
  }
});

test.each(rows)("$name: $reason", async ({ args, env, code, stderr }) => {
  const result = await ws.run(args(), { env });
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code, stderr: expect.stringMatching(stderr) });
  expect(result.stderr).not.toContain("this is a bug");
  if (code === 1) expect(result.stderr.startsWith("FAILED\n")).toBe(true);
});

test("with --json, a failure still prints exactly one JSON document on stdout", async () => {
  const usage = await ws.run(["status", "--json"]);
  expect(usage.code).toBe(2);
  expect(usage.json()).toEqual({ schemaVersion: 1, command: "status", outcome: "usage", error: { kind: "usage", name: "UsageError", message: "status needs --instance ID" } });
  const failed = await ws.run(["status", "--instance", "nope", "--json"]);
  expect(failed.code).toBe(1);
  expect(failed.json()).toMatchObject({ schemaVersion: 1, command: "status", outcome: "failed", error: { kind: "expected", name: "UnknownInstanceError" } });
});

test("a failed sim init leaves no signature key files behind", async () => {
  const result = await ws.run(["sim", "init", "--instance-id", "bad", "--admin-password-env", ADMIN_PASSWORD_ENV, "--key-dir", "dup-keys"]);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain("service instance bad already exists");
  expect(existsSync(join(ws.dir, "dup-keys", "1.sigkey"))).toBe(false);
});
