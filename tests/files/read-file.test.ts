import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readKeyPartFile } from "../../src/files/key-parts";
import { openSigners } from "../../src/files/signature-keys";
import { readJournalFile } from "../../src/cli/journal-file";
import { readTextFile } from "../../src/files/read-file";
import { KeyPartFileError, SignatureKeyFileError } from "../../src/model/errors";

/**
 * Every file we read (key parts, signature keys, journals, simulator state) must be a regular file under a size cap:
 * a named pipe would hang the run (even SIGTERM), a device or a huge file would exhaust its memory.
 */
describe("reading files that are not what they should be", () => {
  const root = mkdtempSync(join(tmpdir(), "hpcs-read-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const fifo = join(root, "pipe");
  execFileSync("mkfifo", [fifo]);
  const huge = join(root, "huge.json");
  writeFileSync(huge, "");
  truncateSync(huge, 2 * 1024 * 1024);

  test.each([
    { name: "a named pipe", file: fifo, detail: "is a named pipe; give the path of a regular file" },
    { name: "a device", file: "/dev/zero", detail: "is a device; give the path of a regular file" },
    { name: "a directory", file: root, detail: "is a directory; give the path of a regular file" },
    { name: "a 2 MiB file", file: huge, detail: "is 2097152 bytes, more than the 1 MiB such a file can be; is it the right file?" },
  ])("a key part path that is $name is refused at once, naming the file", ({ file, detail }) => {
    const started = Date.now();
    expect(() => readKeyPartFile(file)).toThrow(new KeyPartFileError(file, "unreadable", detail));
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  test("so is a signature key path, and a journal path", () => {
    expect(() => openSigners([{ file: fifo, password: "x" }])).toThrow(new SignatureKeyFileError(fifo, "unreadable", "is a named pipe; give the path of a regular file"));
    expect(() => readJournalFile(huge)).toThrow(`journal file ${huge} is 2097152 bytes, more than the 1 MiB such a file can be; is it the right file?`);
  });

  test("a journal file that does not exist is no journal", () => {
    expect(readJournalFile(join(root, "missing.json"))).toBeUndefined();
  });
});

describe("reading a file whose reported size is not its length", () => {
  const run = process.platform === "linux" ? test : test.skip;
  run("a file that reports 0 bytes (as /proc files do) is read to its end, not cut short", () => {
    const text = readTextFile("/proc/self/status", (detail) => new KeyPartFileError("/proc/self/status", "unreadable", detail));
    expect(text.split("\n")[0]).toMatch(/^Name:\s/);
    expect(text).toContain("\nPid:\t");
  });
});
