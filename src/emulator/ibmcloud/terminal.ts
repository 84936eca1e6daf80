import { readSync, writeSync } from "node:fs";
import { isatty } from "node:tty";

/**
 * The terminal I/O of the IBM Cloud CLI SDK's prompts (research/real-backends.md §1.1), as the emulator reproduces it:
 * - a prompt is its message, a new line, then `> `;
 * - input is read one byte at a time up to a new line, so answers written ahead on a pipe are taken line by line;
 * - on a terminal, hidden input (passwords) is read with echo off; on a pipe it is read as a plain line;
 * - on a pipe, a non-hidden answer is echoed to standard output after the prompt (on a terminal, the terminal echoes);
 * - end of input before a new line is the SDK's "Could not read from input: EOF".
 */
export class InputEndedError extends Error {
  constructor() {
    super("Could not read from input: EOF");
  }
}

export function write(text: string): void {
  try {
    writeSync(1, text);
  } catch (error) {
    // The reader went away (a pipe closed): nobody sees the rest, as with the real CLI.
    if ((error as NodeJS.ErrnoException).code === "EPIPE") process.exit(1);
    throw error;
  }
}

export function line(text = ""): void {
  write(`${text}\n`);
}

function readLine(): string {
  const byte = Buffer.alloc(1);
  const bytes: number[] = [];
  for (;;) {
    let n: number;
    try {
      n = readSync(0, byte, 0, 1, null);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EAGAIN") continue;
      throw error;
    }
    if (n === 0) throw new InputEndedError();
    // Ctrl-C with echo off in raw mode: the SDK's handler restores the terminal and exits with 2.
    if (byte[0] === 0x03) {
      restoreTerminal();
      process.exit(2);
    }
    if (byte[0] === 0x0a || byte[0] === 0x0d) break;
    bytes.push(byte[0]);
  }
  return Buffer.from(bytes).toString("utf8").trim();
}

const stdinIsTerminal = () => isatty(0);

let raw = false;
function restoreTerminal(): void {
  if (raw) (process.stdin as unknown as { setRawMode(mode: boolean): void }).setRawMode(false);
  raw = false;
}

/** ask — prints the prompt (the message, a new line, `> `) and returns the answer. `hidden`: a password, never echoed. */
export function ask(message: string, options: { hidden?: boolean } = {}): string {
  return answerTo(`${message}\n> `, options);
}

/** answerTo — prints `prompt` exactly as given and returns the answer, as `ask` does. */
export function answerTo(prompt: string, options: { hidden?: boolean } = {}): string {
  write(prompt);
  if (options.hidden && stdinIsTerminal()) {
    (process.stdin as unknown as { setRawMode(mode: boolean): void }).setRawMode(true);
    raw = true;
    try {
      return readLine();
    } finally {
      restoreTerminal();
      write("\n");
    }
  }
  const answer = readLine();
  if (options.hidden) write("\n");
  else if (!stdinIsTerminal()) write(`${answer}\n`);
  return answer;
}

/** confirm — a `[y/N]` question: y or yes (any case) is yes; anything else, and an empty answer, is no. */
export function confirm(question: string, answerLine: string): boolean {
  line(question);
  const answer = ask(answerLine).toLowerCase();
  return answer === "y" || answer === "yes";
}
