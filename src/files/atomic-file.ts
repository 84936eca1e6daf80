import { randomBytes } from "node:crypto";
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";

export interface AtomicWriteOptions {
  /**
   * Called after the new content is durable in the temporary file and immediately before the rename: throwing here
   * leaves the target as it was (the simulator's fencing check).
   */
  readonly beforeRename?: () => void;
}

/** Writes every byte of `data` to `fd` (a short write on a full disk is an error, never a truncated file). */
function writeAll(fd: number, data: Buffer, file: string, base = 0): void {
  for (let offset = 0; offset < data.length; ) {
    const written = writeSync(fd, data, offset, data.length - offset);
    if (written <= 0) throw Object.assign(new Error(`ENOSPC: no space left on device, write ${file}`), { code: "ENOSPC" });
    offset += written;
  }
  fsyncSync(fd);
  const size = fstatSync(fd).size;
  if (size !== base + data.length) throw Object.assign(new Error(`EIO: ${file} holds ${size} bytes after writing ${data.length}`), { code: "EIO" });
}

/**
 * appendDurably — adds every byte of `data` to the end of `file` (created if missing), durable on disk; on any error
 * (a full disk among them) the file is cut back to what it held before, so it never ends in half a record.
 */
export function appendDurably(file: string, data: string): void {
  const created = !existsSync(file);
  const fd = openSync(file, "a", 0o600);
  const before = fstatSync(fd).size;
  try {
    writeAll(fd, Buffer.from(data, "utf8"), file, before);
  } catch (e) {
    ftruncateSync(fd, before);
    throw e;
  } finally {
    closeSync(fd);
  }
  if (created) fsyncDirectory(dirname(file));
}

/**
 * writeFileAtomic — a reader sees the old content or the new, never a mix, and after a crash the file holds one of
 * the two: write a temporary file beside the target, every byte of it, fsync it, check its size, rename it over the
 * target, fsync the directory. On any error (a full disk among them) the target is untouched and the temporary file
 * removed.
 */
export function writeFileAtomic(file: string, data: string, options: AtomicWriteOptions = {}): void {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    const fd = openSync(temp, "wx", 0o600);
    try {
      writeAll(fd, Buffer.from(data, "utf8"), temp);
    } finally {
      closeSync(fd);
    }
    options.beforeRename?.();
    renameSync(temp, file);
  } catch (e) {
    rmSync(temp, { force: true });
    throw e;
  }
  fsyncDirectory(dirname(file));
}

/**
 * writeNewFile — creates `file`, which must not exist (EEXIST otherwise), with every byte of `data` durable on disk,
 * directory entry included. For files that are the only copy of a secret (a key part): never overwritten, never
 * left truncated (a failed write removes what it created).
 */
export function writeNewFile(file: string, data: string): void {
  const fd = openSync(file, "wx", 0o600);
  try {
    writeAll(fd, Buffer.from(data, "utf8"), file);
  } catch (e) {
    closeSync(fd);
    rmSync(file, { force: true });
    throw e;
  }
  closeSync(fd);
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
