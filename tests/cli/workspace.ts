import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeKeyPartSet, type KeyPartSet } from "../helpers/sim-fixture";
import { filesUnder } from "../helpers/files-under";
import { runTsChild, type ChildResult } from "../helpers/ts-child";

/**
 * A temporary directory in which tests drive `hpcs-mk` as a user would: each command is a real `node` process
 * running src/cli/main.ts (no build needed), in that directory, with secrets only in environment variables.
 * Every secret the workspace hands out is remembered, and `leakedSecrets` finds any in any output so far.
 */
export const MAIN = join(__dirname, "..", "..", "src", "cli", "main.ts");

export interface CliResult extends ChildResult {
  /** stdout parsed as the one JSON document --json promises. */
  json<T = Record<string, unknown>>(): T;
}

export interface Workspace {
  readonly dir: string;
  readonly env: Record<string, string>;
  run(args: readonly string[], options?: { env?: Record<string, string> }): Promise<CliResult>;
  /** Sets an environment variable holding a secret for the CLI to read. */
  secret(name: string, value: string): void;
  /** Key part files sealed under fresh passwords, with env vars `KP_<LABEL>_<n>` holding the passwords. */
  keyParts(label: string, parts?: number): KeyPartSet & { readonly flags: string[] };
  /** Every secret handed out (passwords, key part values) that appears in any output so far, or in any evidence file. */
  leakedSecrets(): string[];
  cleanup(): void;
}

export const ADMIN_PASSWORD_ENV = "ADMIN_PW";


export function workspace(): Workspace {
  const dir = mkdtempSync(join(tmpdir(), "hpcs-mk-cli-"));
  const env: Record<string, string> = { NO_COLOR: "1", HPCS_SIMULATOR_DIR: "", HPCS_BACKEND: "" };
  const secrets: string[] = [];
  const outputs: string[] = [];
  const ws: Workspace = {
    dir,
    env,
    async run(args, options = {}) {
      const result = await runTsChild(MAIN, args, { cwd: dir, env: { ...env, ...options.env }, timeoutMs: 60_000 });
      outputs.push(result.stdout, result.stderr);
      return {
        ...result,
        json: <T>() => {
          try {
            return JSON.parse(result.stdout) as T;
          } catch (e) {
            throw new Error(`stdout is not one JSON document (${(e as Error).message}):\n${result.stdout}\nstderr:\n${result.stderr}`);
          }
        },
      };
    },
    secret(name, value) {
      env[name] = value;
      secrets.push(value);
    },
    keyParts(label, parts = 2) {
      const set = makeKeyPartSet(dir, label, parts);
      const flags: string[] = [];
      set.refs.forEach((ref, i) => {
        const name = `KP_${label.toUpperCase()}_${i + 1}`;
        ws.secret(name, ref.password);
        flags.push("--key-part", ref.file);
      });
      set.refs.forEach((_, i) => flags.push("--key-part-password-env", `KP_${label.toUpperCase()}_${i + 1}`));
      set.values.forEach((m) => secrets.push(Buffer.from(m.value).toString("hex")));
      return { ...set, flags };
    },
    leakedSecrets: () => {
      const texts = [...outputs, ...filesUnder(join(dir, ".hpcs-mk", "evidence")).map((f) => readFileSync(f, "utf8"))];
      return secrets.filter((s) => texts.some((o) => o.includes(s) || o.toLowerCase().includes(s.toLowerCase())));
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
  ws.secret(ADMIN_PASSWORD_ENV, `admin-${Math.random().toString(36).slice(2)}`);
  return ws;
}

/** The signature key flags for the admins `sim init` wrote as 1.sigkey and 2.sigkey (one password for both). */
export const SIGNER_FLAGS = [
  "--signature-key",
  "1.sigkey",
  "--signature-key",
  "2.sigkey",
  "--signature-key-password-env",
  ADMIN_PASSWORD_ENV,
  "--signature-key-password-env",
  ADMIN_PASSWORD_ENV,
];

/** A message for failed expectations on a CLI run: the command's own output says what went wrong. */
export function explain(result: ChildResult): string {
  return `exit ${result.code ?? result.signal}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

/**
 * A fresh workspace for every test of the file: created before each test, checked for leaked secrets and removed
 * after it. The returned object forwards to the current test's workspace.
 */
export function workspacePerTest(): Workspace {
  let current: Workspace | undefined;
  beforeEach(() => (current = workspace()));
  afterEach(() => {
    const ws = current as Workspace;
    current = undefined;
    try {
      expect(ws.leakedSecrets()).toEqual([]);
    } finally {
      ws.cleanup();
    }
  });
  return new Proxy({} as Workspace, {
    get: (_, property) => {
      if (!current) throw new Error("workspacePerTest: used outside a test");
      return Reflect.get(current, property);
    },
  });
}
