import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { appendDurably, writeFileAtomic, writeNewFile } from "../../src/files/atomic-file";

/**
 * A small filesystem to fill up: a 64 KiB tmpfs, which needs root to mount. Where it cannot be mounted the test says
 * so and is skipped; CI runs as root.
 */
function mountSmallFilesystem(): { dir: string; unmount(): void } | { skip: string } {
  const dir = mkdtempSync(join(tmpdir(), "hpcs-fullfs-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir], { stdio: "pipe" });
    return {
      dir,
      unmount: () => {
        execFileSync("umount", [dir], { stdio: "pipe" });
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    return { skip: `cannot mount a small tmpfs here (${(error as Error).message.split("\n")[0]}); run as root to test writes on a full filesystem` };
  }
}

describe("writing files on a full filesystem", () => {
  const fs = mountSmallFilesystem();
  const run = "skip" in fs ? test.skip : test;
  if ("skip" in fs) console.warn(`SKIPPED: ${fs.skip}`);
  afterAll(() => ("unmount" in fs ? fs.unmount() : undefined));
  const dir = () => ("dir" in fs ? fs.dir : "");

  run("an atomic replacement that does not fit fails with ENOSPC and leaves the old content and no temporary file", () => {
    const file = join(dir(), "instance.json");
    writeFileAtomic(file, "old content\n");
    const big = "x".repeat(200 * 1024);
    expect(() => writeFileAtomic(file, big)).toThrow(expect.objectContaining({ code: "ENOSPC" }));
    expect(readFileSync(file, "utf8")).toBe("old content\n");
    expect(readdirSync(dir())).toEqual(["instance.json"]);
  });

  run("an atomic replacement that fits only part-way (a short write) is never renamed over the target", () => {
    const file = join(dir(), "journal.json");
    writeFileAtomic(file, "{}\n");
    // Leave less room than the new content needs, so the first write is short rather than refused outright.
    writeFileSync(join(dir(), "filler"), "f".repeat(40 * 1024));
    expect(() => writeFileAtomic(file, "y".repeat(30 * 1024))).toThrow(expect.objectContaining({ code: "ENOSPC" }));
    expect(readFileSync(file, "utf8")).toBe("{}\n");
    expect(readdirSync(dir()).filter((n) => n.startsWith("journal"))).toEqual(["journal.json"]);
    rmSync(join(dir(), "filler"));
  });

  run("an append that fits only part-way is cut back: the file never ends in half a record", () => {
    const file = join(dir(), "ceremony.evidence.jsonl");
    appendDurably(file, "first\n");
    writeFileSync(join(dir(), "filler"), "f".repeat(40 * 1024));
    expect(() => appendDurably(file, `${"z".repeat(30 * 1024)}\n`)).toThrow(expect.objectContaining({ code: "ENOSPC" }));
    expect(readFileSync(file, "utf8")).toBe("first\n");
    rmSync(join(dir(), "filler"));
    appendDurably(file, "second\n");
    expect(readFileSync(file, "utf8")).toBe("first\nsecond\n");
  });

  run("a new file that does not fit is removed, never left truncated", () => {
    const file = join(dir(), "kp1.json");
    expect(() => writeNewFile(file, "k".repeat(200 * 1024))).toThrow(expect.objectContaining({ code: "ENOSPC" }));
    expect(existsSync(file)).toBe(false);
  });
});

describe("writing files", () => {
  const root = mkdtempSync(join(tmpdir(), "hpcs-files-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test("an atomic write replaces the file, and a check before the rename that throws leaves it as it was", () => {
    const file = join(root, "state.json");
    writeFileAtomic(file, "one");
    expect(() => writeFileAtomic(file, "two", { beforeRename: () => { throw new Error("fenced"); } })).toThrow("fenced");
    expect(readFileSync(file, "utf8")).toBe("one");
    expect(readdirSync(root)).toEqual(["state.json"]);
  });

  test("a new file is never written over an existing one", () => {
    mkdirSync(join(root, "new"));
    const file = join(root, "new", "kp.json");
    writeNewFile(file, "first");
    expect(() => writeNewFile(file, "second")).toThrow(expect.objectContaining({ code: "EEXIST" }));
    expect(readFileSync(file, "utf8")).toBe("first");
  });
});
