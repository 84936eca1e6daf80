import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { randomBytes } from "node:crypto";

/**
 * writeFileAtomic — a reader sees the old content or the new, never a mix, and after a crash the file holds one of
 * the two: write a temporary file beside the target, fsync it, rename it over the target, fsync the directory.
 */
export function writeFileAtomic(file: string, data: string): void {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    const fd = openSync(temp, "w", 0o600);
    try {
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (e) {
    rmSync(temp, { force: true });
    throw e;
  }
  fsyncDirectory(dirname(file));
}

/** Makes a rename durable. Some file systems refuse to fsync a directory; the rename is still atomic there. */
export function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // Best effort: durability of the directory entry, not atomicity, is what is lost.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
