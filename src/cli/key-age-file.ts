import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../files/atomic-file";
import { readTextFile } from "../files/read-file";
import type { JournalBinding } from "../engine/journal";
import { keyAgeSchema, type KeyAge } from "../engine/rotation-policy";
import { InputError } from "../model/errors";

/**
 * The CLI's record of when the current key became current (rotation-policy.ts), beside the journal file, as the
 * provider keeps it in stack state: written by `rotate`, read by `status` and `plan`. It is this workstation's record,
 * so it belongs with the journal on durable storage.
 */
export function defaultKeyAgeFile(cwd: string, instanceId: string): string {
  return join(cwd, ".hpcs-mk", `${instanceId}.key-age.json`);
}

const recordSchema = z.object({
  schemaVersion: z.literal(1),
  binding: z.object({ instanceId: z.string().min(1), backend: z.string().min(1) }),
  keyAge: keyAgeSchema,
});

/** readKeyAgeFile — the recorded age for this instance and service; undefined when none, or recorded for another. */
export function readKeyAgeFile(file: string, binding: JournalBinding): KeyAge | undefined {
  let missing = false;
  let text: string;
  try {
    text = readTextFile(file, (detail, cause) => {
      missing = (cause as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
      return new InputError(`key age record ${file} ${detail}`, "keyAge", { cause });
    });
  } catch (error) {
    if (missing) return undefined;
    throw error;
  }
  let parsed: z.infer<typeof recordSchema>;
  try {
    parsed = recordSchema.parse(JSON.parse(text));
  } catch (cause) {
    throw new InputError(`key age record ${file} is malformed (${(cause as Error).message.split("\n")[0]}); move it aside: the key then counts as first seen at the next rotate`, "keyAge", { cause });
  }
  const sameService = parsed.binding.instanceId === binding.instanceId && parsed.binding.backend === binding.backend;
  return sameService ? (parsed.keyAge as KeyAge) : undefined;
}

/** writeKeyAgeFile — replaces the record atomically. */
export function writeKeyAgeFile(file: string, binding: JournalBinding, keyAge: KeyAge): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileAtomic(file, `${JSON.stringify({ schemaVersion: 1, binding, keyAge }, null, 2)}\n`);
}
