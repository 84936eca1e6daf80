import { readFileSync } from "node:fs";
import { HpcsError } from "../model/errors";

/** Reads a small text file, turning "not found" and friends into an error that names the file. */
export function readTextFile<E extends HpcsError>(file: string, wrap: (detail: string, cause: unknown) => E): string {
  try {
    return readFileSync(file, "utf8");
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const detail = code === "ENOENT" ? "does not exist" : code === "EACCES" ? "cannot be read (permission denied)" : code === "EISDIR" ? "is a directory, not a file" : `cannot be read (${code ?? String(cause)})`;
    throw wrap(detail, cause);
  }
}
