import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { converse, MASK, type Exchange } from "../../src/backends/tke-cli/conversation";
import { spawnPty } from "../../src/backends/tke-cli/pty";

/**
 * The conversation with a real child through a real pseudo-terminal: a shell script stands in for the plug-in, so each
 * test can print exactly the prompt it is about. What the driver answers, refuses, masks and hears is checked from
 * what the child itself received.
 */
describe("a conversation with the plug-in through a pseudo-terminal", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "hpcs-conversation-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A fake `ibmcloud`: a shell script whose body is `script`. Whatever it reads it writes to `received`. */
  function fakeCli(script: string): string {
    const file = join(dir, "ibmcloud");
    writeFileSync(file, `#!/bin/sh\n${script}\n`);
    chmodSync(file, 0o755);
    return file;
  }
  const received = () => join(dir, "received");
  const talk = (ibmcloud: string, exchange: Partial<Exchange>, secrets: string[] = []) =>
    converse(
      { args: ["tke", "test"], expects: [], answer: () => undefined, ...exchange },
      { spawn: spawnPty, ibmcloud, env: { PATH: process.env.PATH ?? "" }, secrets: () => secrets },
    );

  test("answers a prompt of the table the command expects, with echo off, and reports the exit status", async () => {
    const cli = fakeCli(`printf 'Enter a list of CRYPTO UNIT NUM to add, separated by spaces:\\n> '; read x; echo "$x" > '${received()}'; echo OK; exit 3`);
    const result = await talk(cli, { expects: ["addUnits"], answer: () => ({ text: "1 2", secret: false }) });
    expect(readFileSync(received(), "utf8")).toBe("1 2\n");
    expect(result.exitCode).toBe(3);
    expect(result.output).toBe("Enter a list of CRYPTO UNIT NUM to add, separated by spaces:\n> 1 2\nOK");
    expect(result.stoppedAt).toBeUndefined();
  });

  test("stops at a prompt it does not know, with SIGHUP, and never answers it (not even y)", async () => {
    const cli = fakeCli(`printf 'Do you want to delete all key storage?\\nAnswer [y/N]:\\n> '; read x; echo "$x" > '${received()}'`);
    const result = await talk(cli, { expects: ["setimmConfirm", "rotatePrecheckConfirm"], answer: () => ({ text: "y", secret: false }) });
    expect(result.stoppedAt).toEqual(["Do you want to delete all key storage?", "Answer [y/N]:"]);
    expect(existsSync(received())).toBe(false);
  });

  test("stops at a known prompt the command does not expect", async () => {
    const cli = fakeCli(`printf 'Warning!  Any key storage associated with the targeted service instance must be prepared to accept the new master key value before running this command.  Otherwise, key storage may become unusable.\\nDo you want to continue?\\nAnswer [y/N]:\\n> '; read x; echo "$x" > '${received()}'`);
    const result = await talk(cli, { expects: ["signerPassword"], answer: () => ({ text: "y", secret: false }) });
    expect(result.stoppedAt).toEqual(expect.arrayContaining(["Do you want to continue?"]));
    expect(existsSync(received())).toBe(false);
  });

  test("a one-line [y/N]> question (the CLI's update check) is a prompt too, and unknown", async () => {
    const cli = fakeCli(`printf 'New version 2.0.0 is available.\\nDo you want to update? [y/N]> '; read x; echo "$x" > '${received()}'`);
    const result = await talk(cli, {});
    expect(result.stoppedAt).toEqual(["New version 2.0.0 is available.", "Do you want to update? [y/N]"]);
  });

  test("masks secret answers and any secret the child prints, in the output and the transcript", async () => {
    const cli = fakeCli(`printf 'Enter the password for key file 1\\n> '; read x; echo "the password was $x"`);
    const result = await talk(cli, { expects: ["keyFilePassword"], answer: () => ({ text: "s3cret-pw", secret: true }) }, ["s3cret-pw"]);
    expect(result.output).toBe(`Enter the password for key file 1\n> ${MASK}\nthe password was ${MASK}`);
    expect(result.transcript.text).not.toContain("s3cret-pw");
    expect(result.transcript.command).toBe("ibmcloud tke test");
  });

  test("hands each line over as it arrives, before the command ends (the rotate's marker is acted on at once)", async () => {
    const cli = fakeCli(`echo 'KMS CRK rewrap successful, waiting on cryptounit-mk-setimm.'; sleep 0.5; echo late`);
    const heard: { line: string; at: number }[] = [];
    const started = Date.now();
    const result = await talk(cli, { onLine: (line) => heard.push({ line, at: Date.now() - started }) });
    const marker = heard.find((h) => h.line.startsWith("KMS CRK"));
    expect(marker?.at).toBeLessThan(400);
    expect(result.output).toContain("late");
  });

  test("keeps the whole output of a fast child that writes a lot and exits at once (the sentinel, not the exit, ends it)", async () => {
    const cli = fakeCli(`i=0; while [ $i -lt 400 ]; do echo "line $i of the output with some width to it"; i=$((i+1)); done`);
    const result = await talk(cli, {});
    expect(result.output.split("\n").filter((l) => l.startsWith("line "))).toHaveLength(400);
    expect(result.exitCode).toBe(0);
  });
});
