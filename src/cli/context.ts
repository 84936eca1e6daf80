/**
 * What a command may use besides its options: the environment, the working directory, a way to ask the person at
 * the terminal, and a line sink for progress. Injected, so commands never touch `process` directly.
 */
export interface Prompter {
  /** Reads one line without echoing it (passwords, key part values). */
  secret(question: string): Promise<string>;
  /** Asks a yes/no question; true only for "y" or "yes". */
  confirm(question: string): Promise<boolean>;
}

export interface CommandContext {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Whether prompts can be answered: stdin is a terminal. Commands that would prompt otherwise need a flag instead. */
  readonly interactive: boolean;
  readonly prompter: Prompter;
  /** Progress and notes for people: one line each, on stderr, so stdout stays one document with --json. */
  readonly progress: (line: string) => void;
  /** Resolves when the person interrupts the command (Ctrl-C, SIGTERM): what a command that serves until then awaits. */
  readonly untilInterrupted: () => Promise<void>;
  /** The time now, for the key's age and the rotation policy; the system clock when absent (tests inject one). */
  readonly now?: () => Date;
}
