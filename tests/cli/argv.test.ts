import { kebab } from "../../src/cli/argv";
import { commandHelp, helpFor } from "../../src/cli/help";
import { COMMANDS, parseArgv } from "../../src/cli/main";

/** Argument parsing apart from the commands: argv → the options object each command receives (or help/usage). */

const globals = { simDir: undefined, json: false };
const ceremony = { keyPart: ["a.json", "b.json"], keyPartPasswordEnv: ["A", "B"], signatureKey: ["1.sigkey"], signatureKeyPasswordEnv: [], journal: undefined, recoveryUnitKey: false };
const ceremonyArgs = ["--key-part", "a.json", "--key-part", "b.json", "--key-part-password-env", "A", "--key-part-password-env", "B", "--signature-key", "1.sigkey"];

interface RunRow {
  readonly name: string;
  readonly reason: string;
  readonly argv: readonly string[];
  readonly want: { command: string; options: Record<string, unknown> };
}

const runRows: RunRow[] = [
  {
    name: "status",
    reason: "the instance flag and --json land in the options object",
    argv: ["status", "--instance", "x", "--json"],
    want: { command: "status", options: { ...globals, instance: "x", json: true, recoveryUnitKey: false } },
  },
  {
    name: "global flags first",
    reason: "--sim-dir and --json may come before the command words",
    argv: ["--sim-dir", "sims/one", "--json", "status", "--instance", "x"],
    want: { command: "status", options: { simDir: "sims/one", json: true, instance: "x", recoveryUnitKey: false } },
  },
  {
    name: "flag=value",
    reason: "the --flag=value spelling works, also for values that start with a dash",
    argv: ["status", "--instance=-odd-id"],
    want: { command: "status", options: { ...globals, instance: "-odd-id", recoveryUnitKey: false } },
  },
  {
    name: "rotate",
    reason: "repeatable flags keep their order, so passwords pair with files by position",
    argv: ["rotate", "--instance", "x", ...ceremonyArgs, "--yes"],
    want: { command: "rotate", options: { ...globals, ...ceremony, instance: "x", yes: true, signEvidence: false } },
  },
  {
    name: "plan with a journal",
    reason: "plan takes the same credential flags as rotate, and no --yes",
    argv: ["plan", "--instance", "x", ...ceremonyArgs, "--journal", "j.json"],
    want: { command: "plan", options: { ...globals, ...ceremony, instance: "x", journal: "j.json" } },
  },
  {
    name: "keypart create",
    reason: "the value is random unless asked otherwise; booleans default to false",
    argv: ["keypart", "create", "--out", "kp.json", "--password-env", "PW"],
    want: { command: "keypart create", options: { ...globals, out: "kp.json", passwordEnv: "PW", description: undefined, random: false, value: false, valueEnv: undefined } },
  },
  {
    name: "keypart show",
    reason: "files are positional",
    argv: ["keypart", "show", "a.json", "b.json"],
    want: { command: "keypart show", options: { ...globals, files: ["a.json", "b.json"] } },
  },
  {
    name: "sim init",
    reason: "numbers are parsed and checked against their allowed values",
    argv: ["sim", "init", "--operational", "3", "--recovery", "0", "--records", "1000", "--admins", "3", "--admin-password-env", "PW"],
    want: {
      command: "sim init",
      options: {
        ...globals,
        operational: 3,
        recovery: 0,
        records: 1000,
        admins: 3,
        adminPasswordEnv: ["PW"],
        failover: undefined,
        instanceId: undefined,
        signatureThreshold: undefined,
        revocationThreshold: undefined,
        keyDir: undefined,
        initialKeyPart: [],
        initialKeyPartPasswordEnv: [],
        uninitialized: false,
      },
    },
  },
  {
    name: "sim fault",
    reason: "a fault's flags become its spec fields; --unit stays text (a NUM or an HSM id)",
    argv: ["sim", "fault", "--kind", "crash", "--when", "after", "--command", "setImmediate", "--unit", "2", "--times", "2"],
    want: {
      command: "sim fault",
      options: { ...globals, instance: undefined, kind: "crash", when: "after", command: "setImmediate", unit: "2", skip: undefined, times: 2, afterRecords: undefined, clear: false, list: false },
    },
  },
  {
    name: "sim fault --list",
    reason: "listing needs no fault flags",
    argv: ["sim", "fault", "--list", "--instance", "i"],
    want: { command: "sim fault", options: { ...globals, instance: "i", list: true, clear: false, kind: undefined } },
  },
];

test.each(runRows)("$name: $reason", ({ argv, want }) => {
  const parsed = parseArgv(argv);
  expect(parsed.kind).toBe("run");
  expect(parsed).toMatchObject({ kind: "run", command: want.command });
  expect((parsed as { options: Record<string, unknown> }).options).toEqual(want.options);
});

interface UsageRow {
  readonly name: string;
  readonly reason: string;
  readonly argv: readonly string[];
  readonly message: string | RegExp;
}

const usageRows: UsageRow[] = [
  { name: "no command", reason: "bare hpcs-mk is a usage error", argv: [], message: "no command given" },
  { name: "unknown command", reason: "a typo is named back", argv: ["rotat", "--instance", "x"], message: 'unknown command "rotat"' },
  { name: "unknown subcommand", reason: "a group word alone or with a wrong subcommand", argv: ["sim", "start"], message: 'unknown command "sim start"' },
  { name: "group alone", reason: "sim needs a subcommand", argv: ["sim"], message: "sim needs a subcommand" },
  { name: "missing required flag", reason: "status needs the instance", argv: ["status"], message: "status needs --instance ID" },
  { name: "flag without value", reason: "the value placeholder is shown", argv: ["status", "--instance"], message: /--instance needs a value \(--instance ID\)/ },
  { name: "unknown flag", reason: "a flag of another command", argv: ["status", "--instance", "x", "--yes"], message: "unknown flag --yes" },
  { name: "repeated single flag", reason: "the last one silently winning would surprise", argv: ["status", "--instance", "a", "--instance", "b"], message: "--instance was given 2 times; give it once" },
  { name: "not a number", reason: "numbers are checked", argv: ["sim", "init", "--records", "many"], message: '--records expects a whole number, not "many"' },
  { name: "not an allowed shape", reason: "HPCS has 2 or 3 operational units", argv: ["sim", "init", "--operational", "4"], message: "--operational must be 2 or 3, not 4" },
  { name: "positional where none", reason: "stray words are refused", argv: ["status", "--instance", "x", "extra"], message: 'unexpected argument "extra"' },
  {
    name: "key part value on argv",
    reason: "a hex value typed after --value is refused without being echoed",
    argv: ["keypart", "create", "--out", "k.json", "--value", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"],
    message: "unexpected argument (a long hex string, not shown)",
  },
  { name: "two value sources", reason: "random and a given value exclude each other", argv: ["keypart", "create", "--out", "k.json", "--random", "--value"], message: "give only one of --random, --value and --value-env" },
  { name: "boolean with a value", reason: "--yes=1 is a typo for --yes", argv: ["rotate", "--yes=1"], message: "--yes takes no value" },
  { name: "one key part", reason: "a master key needs 2 or 3 parts", argv: ["plan", "--instance", "x", "--key-part", "a.json", "--signature-key", "1.sigkey"], message: /give 2 or 3 --key-part files/ },
  { name: "no signer", reason: "every ceremony needs a signature key", argv: ["rotate", "--instance", "x", "--key-part", "a", "--key-part", "b"], message: /at least one --signature-key/ },
  {
    name: "too many password variables",
    reason: "passwords pair with files by position",
    argv: ["plan", "--instance", "x", "--key-part", "a", "--key-part", "b", "--key-part-password-env", "A", "--key-part-password-env", "B", "--key-part-password-env", "C", "--signature-key", "s"],
    message: /3 --key-part-password-env flags for 2 --key-part files/,
  },
  { name: "uninitialized with key parts", reason: "contradictory sim init flags", argv: ["sim", "init", "--uninitialized", "--initial-key-part", "a", "--initial-key-part", "b"], message: "--uninitialized and --initial-key-part contradict each other" },
  { name: "admin passwords", reason: "one variable for all, or one per admin", argv: ["sim", "init", "--admins", "3", "--admin-password-env", "A", "--admin-password-env", "B"], message: /exactly one per administrator \(3\), not 2/ },
  { name: "fault without kind", reason: "arming needs a kind", argv: ["sim", "fault", "--when", "after"], message: /sim fault needs --kind/ },
  { name: "unknown fault kind", reason: "the kinds come from the fault schema", argv: ["sim", "fault", "--kind", "meteor"], message: /--kind must be one of crash, fail, transient/ },
  { name: "crash without when", reason: "a crash happens before or after the call acts", argv: ["sim", "fault", "--kind", "crash"], message: "--kind crash needs --when (before or after)" },
  { name: "when on a 500", reason: "a transient error always happens before the call acts", argv: ["sim", "fault", "--kind", "transient", "--when", "after"], message: "--when does not apply to --kind transient" },
  { name: "after-records on a crash", reason: "only crashMidRewrap counts records", argv: ["sim", "fault", "--kind", "crash", "--when", "after", "--after-records", "3"], message: "--after-records does not apply to --kind crash" },
  { name: "bad command for lostResponse", reason: "a lost response only matters for a mutating call", argv: ["sim", "fault", "--kind", "lostResponse", "--command", "queryUnit"], message: /--command for --kind lostResponse must be one of select, deselect/ },
  { name: "list and clear", reason: "one action at a time", argv: ["sim", "fault", "--list", "--clear"], message: "--clear and --list cannot be combined" },
];

test.each(usageRows)("usage error, $name: $reason", ({ argv, message }) => {
  const parsed = parseArgv(argv);
  expect(parsed.kind).toBe("usage");
  const text = (parsed as { message: string }).message;
  if (typeof message === "string") expect(text).toBe(message);
  else expect(text).toMatch(message);
});

test("--help on any command, the top level and a group asks for that help, even with other errors on the line", () => {
  expect(parseArgv(["--help"])).toEqual({ kind: "help", topic: undefined });
  expect(parseArgv(["help"])).toEqual({ kind: "help", topic: undefined });
  expect(parseArgv(["help", "sim", "fault"])).toEqual({ kind: "help", topic: "sim fault" });
  expect(parseArgv(["sim", "--help"])).toEqual({ kind: "help", topic: "sim" });
  expect(parseArgv(["rotate", "-h", "--no-such-flag"])).toEqual({ kind: "help", topic: "rotate" });
  for (const c of COMMANDS) expect(parseArgv([...c.name.split(" "), "--help"])).toEqual({ kind: "help", topic: c.name });
});

test("--version at the top level", () => {
  expect(parseArgv(["--version"])).toEqual({ kind: "version" });
});

test("every command's help names its TKE equivalent, its flags and an example", () => {
  for (const c of COMMANDS) {
    const help = commandHelp(c);
    expect(help).toContain(`TKE equivalent: ${c.tke}`);
    for (const flag of Object.keys(c.flags)) expect(help).toContain(`--${kebab(flag)}`);
    expect(help).toMatch(/Examples:\n {2}\$ .*hpcs-mk /);
  }
  expect(helpFor(COMMANDS, undefined)).toContain("Exit codes: 0 ok, 1 refused or failed, 2 usage error.");
});
