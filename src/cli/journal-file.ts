import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { writeFileAtomic } from "../files/atomic-file";
import { readTextFile } from "../files/read-file";
import { parseJournal, type Journal } from "../engine/journal";
import { InputError } from "../model/errors";

/**
 * The CLI keeps the rotation journal in a file, as the provider keeps it in stack state: written (atomically) after
 * every step, read by the next `rotate` or `plan` so an interrupted rotation resumes where it stopped.
 */
export function defaultJournalFile(cwd: string, instanceId: string): string {
  return join(cwd, ".hpcs-mk", `${instanceId}.journal.json`);
}

const MOVE_ASIDE = "The registers are the evidence that matters: move the file aside and run again to continue from them alone";

/** readJournalFile — the journal in `file`, or undefined when there is none yet. */
export function readJournalFile(file: string): Journal | undefined {
  let missing = false;
  let text: string;
  try {
    text = readTextFile(file, (detail, cause) => {
      missing = (cause as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
      return new InputError(`journal file ${file} ${detail}`, "journal", { cause });
    });
  } catch (error) {
    if (missing) return undefined;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new InputError(`journal file ${file}: is not JSON. ${MOVE_ASIDE}`, "journal", { cause });
  }
  try {
    return parseJournal(json);
  } catch (cause) {
    throw new InputError(`journal file ${file}: ${(cause as Error).message}. ${MOVE_ASIDE}`, "journal", { cause });
  }
}

/** writeJournalFile — replaces the journal atomically: after a crash the file holds the old or the new one, whole. */
export function writeJournalFile(file: string, journal: Journal): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileAtomic(file, `${JSON.stringify(journal, null, 2)}\n`);
}
