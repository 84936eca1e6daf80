import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { HpcsError } from "../model/errors";

/** The size cap of key material files (key parts, signature keys) and journals: far above any real one. */
export const KEY_MATERIAL_MAX_BYTES = 1024 * 1024;

const KIB = 1024;
const sizeText = (bytes: number) => (bytes >= KIB * KIB ? `${bytes / (KIB * KIB)} MiB` : `${bytes / KIB} KiB`);

function errnoDetail(cause: unknown): string {
  const code = (cause as NodeJS.ErrnoException).code;
  switch (code) {
    case "ENOENT":
      return "does not exist";
    case "EACCES":
      return "cannot be read (permission denied)";
    case "EISDIR":
      return "is a directory, not a file";
    default:
      return `cannot be read (${code ?? String(cause)})`;
  }
}

function kindOf(stat: import("node:fs").Stats): string {
  if (stat.isDirectory()) return "a directory";
  if (stat.isFIFO()) return "a named pipe";
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return "a device";
  if (stat.isSocket()) return "a socket";
  return "not a regular file";
}

/**
 * readBoundedFile — the bytes of a regular file of at most `maxBytes`. A pipe, a device or a directory is refused
 * before anything is read (opened without blocking, then checked on the open descriptor: no race with a rename),
 * and so is a file over the cap, so a hostile path can neither hang a run nor exhaust its memory. Errors name the
 * file through `wrap`.
 */
export function readBoundedFile<E extends HpcsError>(file: string, maxBytes: number, wrap: (detail: string, cause: unknown) => E): Buffer {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (cause) {
    throw wrap(errnoDetail(cause), cause);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw wrap(`is ${kindOf(stat)}; give the path of a regular file`, undefined);
    if (stat.size > maxBytes) throw wrap(`is ${stat.size} bytes, more than the ${sizeText(maxBytes)} such a file can be; is it the right file?`, undefined);
    // Read to the end whatever the size said (a file may grow, or report 0), and refuse it once it passes the cap.
    const chunks: Buffer[] = [];
    let length = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(64 * 1024, maxBytes + 1 - length));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      length += n;
      if (length > maxBytes) throw wrap(`grew past ${sizeText(maxBytes)} while it was read`, undefined);
    }
    return Buffer.concat(chunks, length);
  } catch (cause) {
    if (cause instanceof HpcsError) throw cause;
    throw wrap(errnoDetail(cause), cause);
  } finally {
    closeSync(fd);
  }
}

/** readTextFile — a small UTF-8 file (key material and journals: at most 1 MiB unless the caller says otherwise). */
export function readTextFile<E extends HpcsError>(file: string, wrap: (detail: string, cause: unknown) => E, maxBytes = KEY_MATERIAL_MAX_BYTES): string {
  return readBoundedFile(file, maxBytes, wrap).toString("utf8");
}
