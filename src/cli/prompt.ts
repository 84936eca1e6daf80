import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { CancelledError } from "./errors";
import type { Prompter } from "./context";

/**
 * terminalPrompter — prompts on `output` (stderr: stdout stays clean for --json) and reads answers from `input`.
 * Secrets are read with echo switched off: readline writes what it echoes through a stream muted after the
 * question. Ctrl-C cancels the command.
 */
export function terminalPrompter(input: NodeJS.ReadableStream = process.stdin, output: NodeJS.WritableStream = process.stderr): Prompter {
  const ask = (question: string, hidden: boolean) =>
    new Promise<string>((resolve, reject) => {
      let muted = false;
      const sink = new Writable({
        write(chunk, encoding, done) {
          if (!muted) output.write(chunk, encoding);
          done();
        },
      });
      const rl = createInterface({ input, output: sink, terminal: true });
      rl.on("SIGINT", () => {
        rl.close();
        output.write("\n");
        reject(new CancelledError());
      });
      rl.question(`${question} `, (answer) => {
        rl.close();
        if (hidden) output.write("\n");
        resolve(answer);
      });
      muted = hidden;
    });
  return {
    secret: (question) => ask(question, true),
    confirm: async (question) => /^(y|yes)$/i.test((await ask(question, false)).trim()),
  };
}
