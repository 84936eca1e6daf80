import { spawn, type IPty } from "@lydell/node-pty";

/**
 * A minimal expect, as a platform team's own automation would drive IBM's CLI (pexpect-style): start a command in a
 * pseudo-terminal, wait for a text, type a line. It knows nothing of this package's driver or emulator: the texts it
 * waits for are written in the tests, from IBM's documentation.
 */
export class Expect {
  private readonly pty: IPty;
  private output = "";
  private consumed = 0;
  private exit: Promise<number>;

  constructor(file: string, args: readonly string[], env: Record<string, string>) {
    this.pty = spawn(file, [...args], { name: "dumb", cols: 200, rows: 50, env });
    this.pty.onData((data) => (this.output += data.replace(/\r\n/g, "\n")));
    this.exit = new Promise((resolve) => this.pty.onExit(({ exitCode }) => resolve(exitCode)));
  }

  /** Waits until `text` appears after what earlier expects consumed; fails with the output after `timeoutMs`. */
  async expect(text: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.output.indexOf(text, this.consumed);
      if (at >= 0) {
        this.consumed = at + text.length;
        return;
      }
      if (Date.now() > deadline) {
        this.pty.kill();
        throw new Error(`expected "${text}", the CLI printed:\n${this.output.slice(this.consumed)}`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  sendLine(text: string): void {
    this.pty.write(`${text}\r`);
  }

  /** The exit status, once the command has ended; all its output is then in `transcript`. */
  async ended(): Promise<number> {
    return this.exit;
  }

  get transcript(): string {
    return this.output;
  }
}
