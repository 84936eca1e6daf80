import { randomBytes } from "node:crypto";
import { outputLines } from "./parse";
import { recognise, type PromptId, type PromptText } from "./prompts";

/**
 * One `ibmcloud` command driven through a pseudo-terminal, as its prompts need (research/real-backends.md §1, §7):
 * - the child starts with echo already off (`stty -echo` before exec), so no answer can be echoed back into the output;
 * - a prompt is output that ends in `> ` and waits: its last lines are looked up in the prompt table, and answered only
 *   when the table knows them and the command expects them; anything else stops the command (SIGHUP), unanswered;
 * - the command's end is a sentinel line the wrapper prints after it, followed by a pause, so no tail of the output is
 *   lost (node-pty can drop output that arrives as a process exits);
 * - every answer that is a secret is masked in the transcript, and any secret that appears in the output anyway is too.
 */

/** An answer to a prompt; `secret` ones are never written anywhere but to the child's terminal. */
export interface Answer {
  readonly text: string;
  readonly secret: boolean;
}

export interface Exchange {
  /** The `ibmcloud` arguments, e.g. `["tke", "cryptounit-mk-load"]`: never a secret. */
  readonly args: readonly string[];
  /** The prompts this command may ask; a known prompt it should not ask stops it too. */
  readonly expects: readonly PromptId[];
  /** The answer to a recognised prompt; undefined stops the command (the driver cannot answer it). */
  answer(prompt: PromptText, match: readonly RegExpExecArray[]): Answer | undefined;
  /** Each complete output line as it arrives (the rotate's marker is acted on at once). */
  onLine?(line: string): void;
  readonly signal?: AbortSignal;
}

export interface Transcript {
  readonly command: string;
  readonly startedAt: string;
  readonly endedAt: string;
  /** The exit status of `ibmcloud`; undefined when it did not report one (the command was stopped, or output was lost). */
  readonly exitCode: number | undefined;
  /** Output and answers in order, colours removed, secrets masked. */
  readonly text: string;
}

export interface ExchangeResult {
  /** The output, colours and carriage returns removed (secrets masked). */
  readonly output: string;
  readonly exitCode: number | undefined;
  /** Set when the command was stopped at a prompt it was not answered: the prompt's lines. */
  readonly stoppedAt?: readonly string[];
  readonly transcript: Transcript;
}

/** The terminal a command runs in: node-pty in production, or anything that behaves like it in tests. */
export interface Terminal {
  onData(listener: (data: string) => void): void;
  onExit(listener: (exit: { exitCode: number; signal?: number }) => void): void;
  write(data: string): void;
  kill(signal?: string): void;
}

export type SpawnTerminal = (file: string, args: readonly string[], env: Record<string, string>) => Terminal;

export const MASK = "********";

/** The wrapper: echo off, run, print the sentinel with the status, wait a moment so the sentinel is never lost. */
function wrapperArgs(ibmcloud: string, args: readonly string[], sentinel: string): string[] {
  return ["-c", `stty -echo 2>/dev/null; "$@"; printf '\\n${sentinel}%s__\\n' "$?"; sleep 0.3`, "hpcs-tke", ibmcloud, ...args];
}

export interface ConverseOptions {
  readonly spawn: SpawnTerminal;
  readonly ibmcloud: string;
  readonly env: Record<string, string>;
  /** Secret values that must never appear in a transcript (passwords, key part values). */
  readonly secrets: () => readonly string[];
}

/** converse — runs one `ibmcloud` command to its end, answering what it may answer, stopping at anything else. */
export function converse(exchange: Exchange, options: ConverseOptions): Promise<ExchangeResult> {
  const sentinel = `__HPCS_TKE_${randomBytes(6).toString("hex")}_RC=`;
  const startedAt = new Date().toISOString();
  const mask = (text: string) => options.secrets().reduce((out, secret) => (secret.length >= 4 ? out.split(secret).join(MASK) : out), text);
  return new Promise((resolve) => {
    const terminal = options.spawn("/bin/sh", wrapperArgs(options.ibmcloud, exchange.args, sentinel), options.env);
    // What a person would have seen: the output, each answer after its prompt (masked when secret) and a new line.
    let seen = "";
    let promptStart = 0;
    let linesSeen = 0;
    let exitCode: number | undefined;
    let stoppedAt: string[] | undefined;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      exchange.signal?.removeEventListener("abort", abort);
      const text = mask(outputLines(seen.split(sentinel)[0]).join("\n")).trimEnd();
      resolve({
        output: text,
        exitCode,
        ...(stoppedAt ? { stoppedAt } : {}),
        transcript: { command: `ibmcloud ${exchange.args.join(" ")}`, startedAt, endedAt: new Date().toISOString(), exitCode, text },
      });
    };
    const stop = (lines: string[]) => {
      stoppedAt = lines;
      terminal.kill("SIGHUP");
    };
    const abort = () => terminal.kill("SIGHUP");
    exchange.signal?.addEventListener("abort", abort, { once: true });
    const deliverLines = () => {
      const lines = outputLines(seen);
      // Complete lines, as they come: the marker must be acted on before the command goes on.
      for (; linesSeen < lines.length - 1; linesSeen++) exchange.onLine?.(lines[linesSeen]);
    };
    terminal.onData((data) => {
      if (finished) return;
      seen += data;
      deliverLines();
      const sentinelAt = seen.indexOf(sentinel);
      if (sentinelAt >= 0) {
        const status = new RegExp(`${sentinel}(\\d+)__`).exec(seen.slice(sentinelAt));
        if (!status) return;
        // Everything before the sentinel has arrived: the wrapper is only pausing so that nothing is lost. Done.
        exitCode = Number(status[1]);
        finish();
        terminal.kill("SIGHUP");
        return;
      }
      if (stoppedAt || !/> $/.test(seen)) return;
      // A prompt: the lines before `> ` (a `[y/N]> ` on one line keeps its text).
      const pending = outputLines(seen.slice(promptStart));
      const last = pending[pending.length - 1].replace(/\s*> $/, "");
      const promptLines = [...pending.slice(0, -1), ...(last.length > 0 ? [last] : [])].filter((l) => l.trim().length > 0);
      const known = recognise(promptLines);
      const answer = known && exchange.expects.includes(known.prompt.id) ? exchange.answer(known.prompt, known.match) : undefined;
      if (!answer) return stop(promptLines.slice(-3));
      seen += `${answer.secret ? MASK : answer.text}\n`;
      promptStart = seen.length;
      deliverLines();
      terminal.write(`${answer.text}\r`);
    });
    terminal.onExit(() => setImmediate(finish));
  });
}
