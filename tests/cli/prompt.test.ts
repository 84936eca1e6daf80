import { PassThrough, Writable } from "node:stream";
import { terminalPrompter } from "../../src/cli/prompt";

/** The terminal prompter: secrets are read without echo, questions go to the prompt stream, Ctrl-C cancels. */

function terminal() {
  const input = new PassThrough();
  let shown = "";
  const output = new Writable({
    write(chunk, _encoding, done) {
      shown += chunk.toString();
      done();
    },
  });
  return { input, output, shown: () => shown };
}

test("a secret is read without being echoed; the question is shown", async () => {
  const t = terminal();
  const answer = terminalPrompter(t.input, t.output).secret("Enter the password for key file 1:");
  t.input.write("hunter2-not-echoed\r");
  await expect(answer).resolves.toBe("hunter2-not-echoed");
  expect(t.shown()).toContain("Enter the password for key file 1:");
  expect(t.shown()).not.toContain("hunter2");
});

test("confirm is true only for y or yes", async () => {
  for (const [typed, want] of [["y", true], ["YES", true], ["", false], ["n", false], ["sure", false]] as const) {
    const t = terminal();
    const answer = terminalPrompter(t.input, t.output).confirm("Do you want to continue?\nAnswer [y/N]:");
    t.input.write(`${typed}\r`);
    await expect(answer).resolves.toBe(want);
    expect(t.shown()).toContain("Answer [y/N]:");
  }
});

test("Ctrl-C at a prompt cancels the command, saying nothing was changed", async () => {
  const t = terminal();
  const answer = terminalPrompter(t.input, t.output).secret("Enter a password to protect the key part:");
  t.input.write("\u0003");
  await expect(answer).rejects.toThrow("cancelled; nothing was changed");
});
