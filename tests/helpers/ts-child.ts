import { spawn } from "node:child_process";
import { join } from "node:path";

/** What a finished child process left behind. */
export interface ChildResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

const REGISTER = join(__dirname, "register-ts.js");

/**
 * runTsChild — runs a TypeScript file in a real `node` process (not Jest's sandbox), for tests of multi-process
 * safety, real crashes (SIGKILL) and anything Jest's module system would distort. Resolves when the child exits.
 */
export function runTsChild(script: string, args: readonly string[] = [], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-r", REGISTER, script, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...options.env }, cwd: options.cwd });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
