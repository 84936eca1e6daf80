import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { writeFileAtomic } from "../files/atomic-file";
import { parseJournal, type Journal } from "../engine/journal";
import { InputError } from "../model/errors";

/**
 * The CLI keeps the rotation journal in a file, as the provider keeps it in stack state: written (atomically) after
 * every step, read by the next `rotate` or `plan` so an interrupted rotation resumes where it stopped.
 */
export function defaultJournalFile(cwd: string, instanceId: string): string {
  return join(cwd, ".hpcs-mk", `${instanceId}.journal.json`);
}

/** readJournalFile — the journal in `file`, or undefined when there is none yet. */
export function readJournalFile(file: string): Journal | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new InputError(`journal file ${file} cannot be read (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, "journal", { cause });
  }
  try {
    return parseJournal(JSON.parse(text));
  } catch (cause) {
    throw new InputError(
      `journal file ${file}: ${(cause as Error).message}. The registers are the evidence that matters: move the file aside and run again to continue from them alone`,
      "journal",
      { cause },
    );
  }
}

/** writeJournalFile — replaces the journal atomically: after a crash the file holds the old or the new one, whole. */
export function writeJournalFile(file: string, journal: Journal): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileAtomic(file, `${JSON.stringify(journal, null, 2)}\n`);
}
