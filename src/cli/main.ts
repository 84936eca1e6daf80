#!/usr/bin/env node
import { parseCommandLine, type CommandSpec, type Flags, type GlobalOptions, type OptionsOf, type ParseResult } from "./argv";
import { keypartCreate, keypartShow } from "./commands/keypart";
import { plan } from "./commands/plan";
import { rotate } from "./commands/rotate";
import { faultSpecProblem, simFault, simIbmcloud, simShow, simTkeApi, simVerify, type SimFaultOptions } from "./commands/sim";
import { simInit } from "./commands/sim-init";
import { status } from "./commands/status";
import { tkeDoctor } from "./commands/tke-doctor";
import type { CommandContext } from "./context";
import { pairingProblem } from "./credentials";
import { classifyFailure, UsageError } from "./errors";
import { BIN, helpFor, usageHint } from "./help";
import { terminalPrompter } from "./prompt";
import { renderKeypartCreate, renderKeypartShow } from "./render/keypart";
import { renderPlan } from "./render/plan";
import { renderRotate } from "./render/rotate";
import { renderEvidenceList, renderEvidenceShow, renderEvidenceVerify } from "./render/evidence";
import { evidenceList, evidenceShow, evidenceVerify } from "./commands/evidence";
import { toolIdentity } from "../files/tool";
import { renderSimFault, renderSimIbmcloud, renderSimInit, renderSimShow, renderSimTkeApi, renderSimVerify } from "./render/sim";
import { renderStatus } from "./render/status";
import { renderTkeDoctor } from "./render/tke-doctor";
import { styleFor, type Style } from "./render/style";
import { EXIT_CODES, jsonDocument, type Report } from "./report";
import { ATTESTATION_FORMAT, parseAttestation } from "../engine/attestation";
import { printable } from "../format/printable";
import { parseVp } from "../model/vp";
import { count } from "../format/words";

/**
 * hpcs-mk — the companion CLI. This file only registers the commands (flags, help, examples), parses argv, and maps
 * results to exit codes: 0 ok, 1 refused or failed, 2 usage, 3 a rotation due (`status --rotation-period-days`). It is
 * the only place that calls process.exit.
 */

interface RegisteredCommand extends CommandSpec {
  run(options: Record<string, unknown>, ctx: CommandContext): Promise<Report>;
  render(report: Report, style: Style): string;
}

type Options<F extends Flags> = OptionsOf<F> & GlobalOptions & Readonly<Record<string, unknown>>;

function command<F extends Flags, R extends Report>(
  spec: CommandSpec & { flags: F; run(options: Options<F>, ctx: CommandContext): Promise<R>; render(report: R, style: Style): string },
): RegisteredCommand {
  return spec as unknown as RegisteredCommand;
}

const instanceFlag = { kind: "string", value: "ID", help: "the service instance id (GUID)", required: true } as const;
const rotationPeriodFlag = {
  kind: "int",
  value: "DAYS",
  min: 1,
  max: 3650,
  help: "the rotation policy: a rotation falls due this many days after the key became current (as .hpcs-mk/<instance-id>.key-age.json records it)",
} as const;
const evidenceDirFlag = { kind: "string", value: "DIR", help: "where the evidence of every ceremony is kept (default .hpcs-mk/evidence, or HPCS_EVIDENCE_DIR)" } as const;
const simInstanceFlag = { kind: "string", value: "ID", help: "the simulated instance (default: the only one in the simulator directory)" } as const;

/** The credential flags `plan` and `rotate` share. Passwords pair with files by position. */
const ceremonyFlags = {
  instance: instanceFlag,
  keyPart: { kind: "strings", value: "FILE", help: "a key part file of the master key to converge to (2 or 3)" },
  keyPartPasswordEnv: { kind: "strings", value: "VAR", help: "the environment variable holding the password of the --key-part in the same position (else: prompt)" },
  signatureKey: { kind: "strings", value: "FILE", help: "an administrator signature key file (N.sigkey); enough to meet the signature threshold" },
  signatureKeyPasswordEnv: { kind: "strings", value: "VAR", help: "the environment variable holding the password of the --signature-key in the same position (else: prompt)" },
  journal: { kind: "string", value: "FILE", help: "the rotation journal (default .hpcs-mk/<instance-id>.journal.json)" },
  attestRewrapComplete: {
    kind: "string",
    value: "VP:CODE",
    help: 'attest that key storage is entirely under VP (you saw "KMS CRK rewrap successful, waiting on cryptounit-mk-setimm." for it), for the situation CODE names, as a RewrapNotProven refusal prints it; recorded in the journal',
  },
  rotationPeriodDays: rotationPeriodFlag,
  recoveryUnitKey: {
    kind: "boolean",
    help: "generate the new master key in a recovery crypto unit (auto-mk-rotate) instead of loading --key-part files; with --rotation-period-days only once a rotation is due",
  },
  expectedVp: {
    kind: "string",
    value: "VP",
    help: "the verification pattern the key parts make: checked against them where hpcs-mk opens them; where the backend opens the files itself, the key they make until a load reports it",
  },
} as const;

function ceremonyProblem(o: Readonly<Record<string, unknown>>): string | undefined {
  const parts = o.keyPart as string[];
  const signers = o.signatureKey as string[];
  if (o.recoveryUnitKey === true && parts.length > 0) return "give either --key-part files or --recovery-unit-key (a key generated in a recovery crypto unit), not both";
  if (o.recoveryUnitKey !== true && (parts.length < 2 || parts.length > 3)) return `give 2 or 3 --key-part files (the master key is made of 2 or 3 parts), or --recovery-unit-key, not ${count(parts.length, "key part file")}`;
  if (signers.length === 0) return "give at least one --signature-key file (an installed administrator's N.sigkey)";
  if (typeof o.attestRewrapComplete === "string" && parseAttestation(o.attestRewrapComplete) === undefined) {
    return `--attest-rewrap-complete: ${ATTESTATION_FORMAT}`;
  }
  if (typeof o.expectedVp === "string" && parseVp(o.expectedVp) === undefined) {
    return "--expected-vp: expected a 64-character hex verification pattern, as ibmcloud tke cryptounit-mk or hpcs-mk keypart show prints it";
  }
  return (
    pairingProblem(parts, o.keyPartPasswordEnv as string[], "--key-part", "--key-part-password-env") ??
    pairingProblem(signers, o.signatureKeyPasswordEnv as string[], "--signature-key", "--signature-key-password-env")
  );
}

const CEREMONY_DETAILS = [
  "Passwords come from the environment variables the -password-env flags name (paired by position), else from",
  "a prompt without echo. They are never read from argv and never printed.",
];

const CEREMONY_EXAMPLE = `--instance $ID --key-part kp1.json --key-part kp2.json --key-part-password-env KP1_PW --key-part-password-env KP2_PW --signature-key 1.sigkey --signature-key 2.sigkey --signature-key-password-env ADMIN_PW --signature-key-password-env ADMIN_PW`;

export const COMMANDS: readonly RegisteredCommand[] = [
  command({
    name: "keypart create",
    summary: "create a password-protected master key part file",
    tke: "mk-add --random / --value",
    details: ["A new file only: an existing file is never overwritten. The value is random unless --value or --value-env is given."],
    flags: {
      out: { kind: "string", value: "FILE", help: "the key part file to create", required: true },
      description: { kind: "string", value: "TEXT", help: "shown by keypart show (default: the file name)" },
      random: { kind: "boolean", help: "generate a random 32-byte value (the default)" },
      value: { kind: "boolean", help: "enter the value (64 hex characters) at a prompt without echo" },
      valueEnv: { kind: "string", value: "VAR", help: "read the value (64 hex characters) from this environment variable" },
      passwordEnv: { kind: "string", value: "VAR", help: "the environment variable holding the file's password (else: prompt twice without echo)" },
    },
    validate: (o) => ([o.random, o.value, o.valueEnv !== undefined].filter(Boolean).length > 1 ? "give only one of --random, --value and --value-env" : undefined),
    examples: [`KP_PW=… ${BIN} keypart create --out kp1.json --description "first part" --password-env KP_PW`, `${BIN} keypart create --out kp2.json --value`],
    run: (o, ctx) => keypartCreate(o, ctx),
    render: renderKeypartCreate,
  }),
  command({
    name: "keypart show",
    summary: "list key part files and their verification patterns",
    tke: "mks",
    flags: {},
    positionals: { key: "files", value: "FILE", min: 1, help: "key part files to list" },
    examples: [`${BIN} keypart show kp1.json kp2.json`],
    run: async (o) => keypartShow({ ...o, files: o.files as string[] }),
    render: renderKeypartShow,
  }),
  command({
    name: "sim init",
    summary: "create a simulated instance, admin signature keys and key storage",
    tke: "auto-init, simulated",
    details: [
      "Stands for provisioning plus sigkey-add, cryptounit-admin-add, cryptounit-thrhld-set and auto-init (or",
      "cryptounit-mk-load, -commit and -setimm with the initial key parts).",
      "Administrator signature keys are written as N.sigkey (the TKE format) into --key-dir, numbered after the files",
      "already there. Without --initial-key-part the instance gets a random master key (as auto-init makes); with",
      "--uninitialized its current registers stay Empty.",
    ],
    flags: {
      instanceId: { kind: "string", value: "ID", help: "the instance id (default: a random GUID)" },
      operational: { kind: "int", value: "N", choices: [2, 3], help: "operational crypto units: 2 or 3 (default 2)" },
      recovery: { kind: "int", value: "N", choices: [0, 2], help: "recovery crypto units: 0 or 2 (default 2)" },
      failover: { kind: "int", value: "N", choices: [0, 2, 3], help: "failover crypto units: 0, 2 or 3 (default 0)" },
      records: { kind: "int", value: "N", min: 0, max: 10_000_000, help: "key storage records under the initial key (default 100)" },
      admins: { kind: "int", value: "N", min: 0, max: 8, help: "administrators installed in every unit (default 2)" },
      signatureThreshold: { kind: "int", value: "N", min: 0, max: 8, help: "signature threshold (default min(2, admins); 0 = imprint mode)" },
      revocationThreshold: { kind: "int", value: "N", min: 0, max: 8, help: "revocation threshold (default as the signature threshold)" },
      adminPasswordEnv: { kind: "strings", value: "VAR", help: "the environment variable with the sigkey password: once for all, or once per admin (else: prompt)" },
      keyDir: { kind: "string", value: "DIR", help: "where to write N.sigkey files (default: the simulator directory's parent)" },
      initialKeyPart: { kind: "strings", value: "FILE", help: "a key part file of the initial master key (2 or 3)" },
      initialKeyPartPasswordEnv: { kind: "strings", value: "VAR", help: "the environment variable holding the password of the --initial-key-part in the same position" },
      uninitialized: { kind: "boolean", help: "leave the current master key registers Empty (no key storage)" },
    },
    validate: (o) => {
      const parts = o.initialKeyPart as string[];
      const envs = o.adminPasswordEnv as string[];
      const admins = (o.admins as number | undefined) ?? 2;
      if (o.uninitialized && parts.length > 0) return "--uninitialized and --initial-key-part contradict each other";
      if (o.uninitialized && (o.records as number | undefined)) return "--records needs a master key to wrap them under; drop --uninitialized";
      if (parts.length === 1 || parts.length > 3) return `give 2 or 3 --initial-key-part files (the master key is made of 2 or 3 parts), not ${parts.length}`;
      if (!o.uninitialized && admins === 0) return "an instance with a master key needs administrators (--admins 1 or more); add --uninitialized for one in imprint mode";
      if (envs.length > 1 && envs.length !== admins) return `give one --admin-password-env for every administrator, or exactly one per administrator (${admins}), not ${envs.length}`;
      return pairingProblem(parts, o.initialKeyPartPasswordEnv as string[], "--initial-key-part", "--initial-key-part-password-env");
    },
    examples: [
      `ADMIN_PW=… ${BIN} sim init --operational 3 --recovery 2 --records 1000 --admin-password-env ADMIN_PW`,
      `${BIN} sim init --initial-key-part kp1.json --initial-key-part kp2.json --initial-key-part-password-env KP1_PW --initial-key-part-password-env KP2_PW --admin-password-env ADMIN_PW`,
    ],
    run: (o, ctx) => simInit(o, ctx),
    render: renderSimInit,
  }),
  command({
    name: "sim show",
    summary: "show a simulated instance: counters, key storage, faults, lease",
    tke: "none, simulator only",
    flags: { instance: simInstanceFlag },
    examples: [`${BIN} sim show`, `${BIN} sim show --instance $ID --json`],
    run: (o, ctx) => simShow(o, ctx),
    render: renderSimShow,
  }),
  command({
    name: "sim fault",
    summary: "arm, list or clear faults in a simulated instance",
    tke: "none, simulator only",
    details: [
      "A crash is a real SIGKILL of the process that meets it. --when applies to crash and fail; --after-records to",
      "crashMidRewrap only; --promoted to crashInRotate only (the combined rotate of HPCS_SIMULATOR_ROTATION=combined).",
      "--unit takes a CRYPTO UNIT NUM or an HSM id. The first --skip matches pass; the next --times matches fire.",
    ],
    flags: {
      instance: simInstanceFlag,
      kind: { kind: "string", value: "KIND", help: "crash | fail | transient | lostResponse | authExpired | unitUnavailable | crashMidRewrap | crashInRotate | lostMarker | unexpectedPrompt" },
      when: { kind: "string", value: "WHEN", help: "before | after the call acts (crash, fail)" },
      command: { kind: "string", value: "C", help: "the backend command it matches, e.g. setImmediate (default: any)" },
      unit: { kind: "string", value: "UNIT", help: "only calls on this unit (NUM or HSM id)" },
      skip: { kind: "int", value: "N", min: 0, help: "matches to let pass first (default 0)" },
      times: { kind: "int", value: "N", min: 1, help: "matches that fire (default 1)" },
      afterRecords: { kind: "int", value: "N", min: 0, help: "crashMidRewrap: records rewrapped before the crash" },
      promoted: { kind: "int", value: "N", min: 0, help: "crashInRotate: units the rotate promotes after its marker before the crash" },
      clear: { kind: "boolean", help: "disarm every fault" },
      list: { kind: "boolean", help: "list the armed faults" },
    },
    validate: (o) => faultSpecProblem(o as unknown as SimFaultOptions),
    examples: [`${BIN} sim fault --kind crash --when after --command setImmediate`, `${BIN} sim fault --kind crashMidRewrap --after-records 500`, `${BIN} sim fault --list`, `${BIN} sim fault --clear`],
    run: (o, ctx) => simFault(o as unknown as SimFaultOptions, ctx),
    render: renderSimFault,
  }),
  command({
    name: "sim verify",
    summary: "decrypt every key storage record of a simulated instance",
    tke: "none, simulator only",
    flags: { instance: simInstanceFlag },
    examples: [`${BIN} sim verify`],
    run: (o, ctx) => simVerify(o, ctx),
    render: renderSimVerify,
  }),
  command({
    name: "sim ibmcloud",
    summary: "write an emulated IBM Cloud CLI (with the tke plug-in) over the simulator directory",
    tke: "none: ibmcloud and its tke plug-in, emulated",
    details: [
      "DIR gets an ibmcloud executable bound to the simulator directory and an IBMCLOUD_HOME with the tke plug-in.",
      "Point the TKE CLI backend at it (the printed HPCS_* variables) to rehearse a real-instance run, or run it by hand",
      "to rehearse IBM's runbook. Faults armed with sim fault fire inside the emulated plug-in (a crash kills it).",
    ],
    flags: { out: { kind: "string", value: "DIR", help: "where to write the emulated CLI", required: true } },
    examples: [`${BIN} sim ibmcloud --out .ibmcloud-emulator`],
    run: (o, ctx) => simIbmcloud(o, ctx),
    render: renderSimIbmcloud,
  }),
  command({
    name: "sim tke-api",
    summary: "serve the simulator directory as IBM's TKE HTTP API (and IAM) on 127.0.0.1 until interrupted",
    tke: "none: the TKE HTTP API behind the TKE tools, emulated",
    details: [
      "Each crypto module signs its answers with its own OA key, chained to a test root written to tke-api/test-roots.json",
      "in the simulator directory. Point a stack at it with the printed hpcs:tkeApiTestEndpoint and hpcs:tkeApiTestRootsFile",
      "(stack config only) to rehearse the tke-api backend; with sim ibmcloud as well, tke-api+cli. Ctrl-C stops it.",
    ],
    flags: { port: { kind: "int", value: "PORT", help: "the port to listen on (default: any free one)", min: 0, max: 65535 } },
    examples: [`${BIN} sim tke-api --port 8443`],
    run: (o, ctx) => simTkeApi(o, ctx),
    render: renderSimTkeApi,
  }),
  command({
    name: "tke doctor",
    summary: "check a real TKE CLI setup, item by item, changing nothing",
    tke: "plugin show tke, login, cryptounits, cryptounit-add, cryptounit-compare (in a private workspace)",
    details: [
      "Reads the settings the TKE CLI backend uses (HPCS_IBMCLOUD, IBMCLOUD_API_KEY, HPCS_REGION, HPCS_RESOURCE_GROUP,",
      "IBMCLOUD_HOME, CLOUDTKEFILES) and checks each: the executable, the plug-in and its version, the login and target,",
      "the instance's units and registers, and whether the signature keys in CLOUDTKEFILES are installed administrators.",
      "Units are selected only in the driver's own private workspace; no master key command is sent. Exits 1 on a FAIL.",
    ],
    flags: { instance: instanceFlag },
    examples: [`HPCS_REGION=us-south HPCS_RESOURCE_GROUP=default IBMCLOUD_API_KEY=… ${BIN} tke doctor --instance $ID`],
    run: (o, ctx) => tkeDoctor(o, ctx),
    render: renderTkeDoctor,
  }),
  command({
    name: "status",
    summary: "every crypto unit's registers and configuration, and the phase",
    tke: "cryptounits, cryptounit-mk, cryptounit-compare",
    details: [
      "Changes nothing on the instance: exits 0 in any phase, Diverged included (every reason is listed); 1 only if the instance cannot be read.",
      "With --rotation-period-days it also judges the current key's age (recorded in .hpcs-mk/ by rotate, and by status",
      "the first time it sees a key) and exits 3 when a rotation is due, so a scheduled job can fail on an overdue key.",
      "With --recovery-unit-key the advice for a due rotation is to generate the key in a recovery unit.",
    ],
    flags: {
      instance: instanceFlag,
      rotationPeriodDays: rotationPeriodFlag,
      recoveryUnitKey: { kind: "boolean", help: "the instance's keys are generated in a recovery crypto unit (auto-mk-rotate): a due rotation says so" },
    },
    examples: [`${BIN} status --instance $ID`, `${BIN} status --instance $ID --rotation-period-days 365 --json`],
    run: (o, ctx) => status(o, ctx),
    render: renderStatus,
  }),
  command({
    name: "plan",
    summary: "show step by step what rotate would do, without doing it",
    tke: "none: a dry run of the rotate ceremony",
    details: [...CEREMONY_DETAILS, "Exits 1 when the ceremony would end in a refusal."],
    flags: ceremonyFlags,
    validate: ceremonyProblem,
    examples: [`${BIN} plan ${CEREMONY_EXAMPLE}`],
    run: (o, ctx) => plan(o, ctx),
    render: renderPlan,
  }),
  command({
    name: "rotate",
    summary: "rotate to the given key parts; resume or repair a stopped rotation",
    tke: "cryptounit-mk-load, -commit, -rotate, -setimm (+ cryptounit-add/-rm)",
    details: [
      ...CEREMONY_DETAILS,
      "The journal is written after every step; after any interruption run the same command again to resume.",
      "On a terminal it shows the plan and asks before changing anything, unless --yes.",
      "Every run appends its evidence (what it saw, each step, the outcome) to the ceremony's file: hpcs-mk evidence.",
    ],
    flags: {
      ...ceremonyFlags,
      yes: { kind: "boolean", help: "do not ask for confirmation" },
      evidenceDir: evidenceDirFlag,
      signEvidence: { kind: "boolean", help: "sign this run's evidence record with the first --signature-key (its administrator vouches for it)" },
    },
    validate: ceremonyProblem,
    examples: [`${BIN} rotate ${CEREMONY_EXAMPLE} --yes`],
    run: (o, ctx) => rotate(o, ctx),
    render: renderRotate,
  }),
  command({
    name: "evidence list",
    summary: "every ceremony's evidence record, newest first, each verified",
    tke: "none (hpcs-mk's own record)",
    details: ["Exits 1 if any file does not verify."],
    flags: { evidenceDir: evidenceDirFlag, instance: { kind: "string", value: "ID", help: "only this instance's ceremonies" } },
    examples: [`${BIN} evidence list`],
    run: async (o, ctx) => evidenceList(o, ctx),
    render: renderEvidenceList,
  }),
  command({
    name: "evidence show",
    summary: "one ceremony's record as Markdown for a change ticket (--json: every entry)",
    tke: "none (hpcs-mk's own record)",
    details: ["CEREMONY is an evidence file, or a ceremony id as evidence list prints it. Exits 1 if the file does not verify."],
    flags: { evidenceDir: evidenceDirFlag, instance: { kind: "string", value: "ID", help: "the instance, where two have a ceremony of that id" } },
    positionals: { key: "targets", value: "CEREMONY", min: 1, help: "the evidence file or ceremony id" },
    examples: [`${BIN} evidence show rot-mab1cdef-0123456789 > ceremony.md`],
    run: async (o, ctx) => evidenceShow((o.targets as string[])[0], o, ctx),
    render: renderEvidenceShow,
  }),
  command({
    name: "evidence verify",
    summary: "check every link of a ceremony's record; name the first entry that does not verify",
    tke: "none (hpcs-mk's own record)",
    details: ["Each entry holds the SHA-256 of the one before it and of itself: a changed, removed, inserted or reordered byte breaks a link.", "Exits 0 when every link verifies, 1 otherwise."],
    flags: { evidenceDir: evidenceDirFlag, instance: { kind: "string", value: "ID", help: "the instance, where two have a ceremony of that id" } },
    positionals: { key: "targets", value: "CEREMONY", min: 1, help: "the evidence file or ceremony id" },
    examples: [`${BIN} evidence verify .hpcs-mk/evidence/<instance-id>/<ceremony>.evidence.jsonl`],
    run: async (o, ctx) => evidenceVerify((o.targets as string[])[0], o, ctx),
    render: renderEvidenceVerify,
  }),
];

/** parseArgv — argv (after `node main.js`) to the command and its options object, help, version, or a usage error. Pure. */
export function parseArgv(argv: readonly string[]): ParseResult {
  return parseCommandLine(COMMANDS, argv);
}

export interface Io {
  readonly stdout: NodeJS.WritableStream & { readonly isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { readonly isTTY?: boolean };
  readonly context: CommandContext;
}

function version(): string {
  const tool = toolIdentity();
  return `${BIN} ${tool.version} (${tool.name})`;
}

const BUG_TEXT = `this is a bug in ${BIN}, please report it to the maintainers of pulumi-hpcs-masterkey with this output and the command you ran (leave out passwords)`;

/** Prints a failure and returns its exit code: 2 for usage, 1 otherwise. With --json, stdout still gets one document. */
function fail(io: Io, error: unknown, commandName: string | undefined, json: boolean): number {
  const kind = classifyFailure(error);
  const e = error instanceof Error ? error : new Error(String(error));
  if (kind === "usage") io.stderr.write(`${BIN}: ${e.message}\n${usageHint(COMMANDS, (e as { topic?: string }).topic ?? commandName)}\n`);
  else if (kind === "expected") io.stderr.write(`${styleFor(io.stderr, io.context.env).bad("FAILED")}\n${e.message}\n`);
  else io.stderr.write(`${BIN}: unexpected error: ${e.message}\n${BUG_TEXT}\n${e.stack ?? ""}\n`);
  if (json) io.stdout.write(`${jsonDocument({ command: commandName ?? null, outcome: kind === "usage" ? "usage" : "failed", error: { kind, name: e.name, message: e.message } })}\n`);
  return kind === "usage" ? 2 : 1;
}

/** main — runs one command line and returns the exit code. Never exits the process itself. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const parsed = parseArgv(argv);
  const json = argv.includes("--json");
  switch (parsed.kind) {
    case "help":
      io.stdout.write(`${helpFor(COMMANDS, parsed.topic)}\n`);
      return 0;
    case "version":
      io.stdout.write(`${version()}\n`);
      return 0;
    case "usage":
      return fail(io, new UsageError(parsed.message, parsed.topic), parsed.topic, json);
  }
  const spec = COMMANDS.find((c) => c.name === parsed.command) as RegisteredCommand;
  try {
    const report = await spec.run(parsed.options, io.context);
    io.stdout.write(`${parsed.options.json ? jsonDocument(report) : spec.render(report, styleFor(io.stdout, io.context.env))}\n`);
    return EXIT_CODES[report.outcome];
  } catch (error) {
    return fail(io, error, spec.name, parsed.options.json === true);
  }
}

function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    context: {
      env: process.env,
      cwd: process.cwd(),
      interactive: process.stdin.isTTY === true,
      prompter: terminalPrompter(process.stdin, process.stderr),
      // Progress carries names from files and the service (administrators, descriptions): never raw control characters.
      progress: (line) => process.stderr.write(`${line.split("\n").map(printable).join("\n")}\n`),
      untilInterrupted: () => new Promise((resolve) => ["SIGINT", "SIGTERM"].forEach((signal) => process.once(signal, () => resolve()))),
    },
  };
}

if (require.main === module) {
  void main(process.argv.slice(2), processIo()).then((code) => process.exit(code));
}
