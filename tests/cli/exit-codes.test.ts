import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { UnknownInstanceError } from "../../src/engine/port/errors";
import type { Prompter } from "../../src/cli/context";
import { classifyFailure, UsageError } from "../../src/cli/errors";
import { main, type Io } from "../../src/cli/main";
import { InputError, InvariantViolation, KeyPartFileError } from "../../src/model/errors";

/** Exit codes are decided in main.ts only: 0 ok, 1 refused or failed, 2 usage; bugs ask for a report. */

const rows: { name: string; reason: string; error: unknown; want: ReturnType<typeof classifyFailure> }[] = [
  { name: "UsageError", reason: "a flag is missing or a prompt cannot be answered", error: new UsageError("add --yes"), want: "usage" },
  { name: "InputError", reason: "bad input is the user's to fix", error: new InputError("bad", "field"), want: "expected" },
  { name: "KeyPartFileError", reason: "a wrong password is expected", error: new KeyPartFileError("kp.json", "wrongPassword", "the password is wrong"), want: "expected" },
  { name: "UnknownInstanceError", reason: "a typo in the instance id", error: new UnknownInstanceError("x", "hint"), want: "expected" },
  { name: "file error", reason: "the OS refused a file operation", error: Object.assign(new Error("EACCES: permission denied, open 'x'"), { code: "EACCES", syscall: "open" }), want: "expected" },
  { name: "InvariantViolation", reason: "a safety invariant broke: our bug, although an HpcsError", error: new InvariantViolation(1, "lost a record"), want: "bug" },
  { name: "TypeError", reason: "anything else is a bug", error: new TypeError("x is undefined"), want: "bug" },
  { name: "a thrown string", reason: "not even an Error", error: "boom", want: "bug" },
];

test.each(rows)("classifyFailure, $name: $reason", ({ error, want }) => {
  expect(classifyFailure(error)).toBe(want);
});

function captureIo(prompter: Prompter, cwd: string): Io & { out: () => string; err: () => string } {
  let out = "";
  let err = "";
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _e, done) {
        append(chunk.toString());
        done();
      },
    });
  return {
    stdout: sink((s) => (out += s)),
    stderr: sink((s) => (err += s)),
    context: { env: { NO_COLOR: "1" }, cwd, interactive: true, prompter, progress: (line) => (err += `${line}\n`), untilInterrupted: () => new Promise(() => undefined) },
    out: () => out,
    err: () => err,
  };
}

describe("main", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "hpcs-mk-main-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test("an unexpected error prints the please-report text and exits 1; with --json stdout still holds one document", async () => {
    const broken: Prompter = {
      secret: async () => {
        throw new TypeError("cannot read properties of undefined");
      },
      confirm: async () => false,
    };
    const io = captureIo(broken, dir);
    expect(await main(["keypart", "create", "--out", join(dir, "k.json"), "--json"], io)).toBe(1);
    expect(io.err()).toContain("hpcs-mk: unexpected error: cannot read properties of undefined\nthis is a bug in hpcs-mk, please report it");
    expect(JSON.parse(io.out())).toEqual({ schemaVersion: 1, command: "keypart create", outcome: "failed", error: { kind: "bug", name: "TypeError", message: "cannot read properties of undefined" } });
  });

  test("help goes to stdout with exit 0; a usage error goes to stderr with exit 2", async () => {
    const io = captureIo({ secret: async () => "", confirm: async () => false }, dir);
    expect(await main(["status", "--help"], io)).toBe(0);
    expect(io.out()).toContain("hpcs-mk status — ");
    expect(await main(["status"], io)).toBe(2);
    expect(io.err()).toBe('hpcs-mk: status needs --instance ID\nUsage: hpcs-mk status --instance ID [flags]\nRun "hpcs-mk status --help" for its flags and examples.\n');
  });

  test("two passwords that do not match: nothing is written, exit 1", async () => {
    const answers = ["first-password", "second-password"];
    const io = captureIo({ secret: async () => answers.shift() ?? "", confirm: async () => false }, dir);
    expect(await main(["keypart", "create", "--out", join(dir, "k.json")], io)).toBe(1);
    expect(io.err()).toContain("the two passwords entered for key part file");
    expect(io.err() + io.out()).not.toMatch(/first-password|second-password/);
    expect(existsSync(join(dir, "k.json"))).toBe(false);
  });
});
