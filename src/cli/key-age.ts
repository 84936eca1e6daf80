import type { Journal, JournalBinding } from "../engine/journal";
import type { Phase } from "../engine/phases";
import { ageInDays, dueAdvice, dueAtOf, dueSentence, keyAgeAfter, recordedKeyAge, rotationPolicy, rotationSchedule, settledKey, type KeyAge } from "../engine/rotation-policy";
import { CLI_WORDS } from "./shell-words";
import { dateNow } from "../engine/clock";
import { displayPath } from "./config";
import type { CommandContext } from "./context";
import { defaultKeyAgeFile, readKeyAgeFile, writeKeyAgeFile } from "./key-age-file";


/** The key's age and the policy as `status`, `plan` and `rotate` report them (`--json`: stable fields). */
export interface KeyAgeReport {
  /** Null when nothing records the current key (no rotate on this workstation saw it yet) or no key is current. */
  readonly keyAge: KeyAge | null;
  /** Whole days since `keyAge.since`. */
  readonly keyAgeDays: number | null;
  readonly keyAgeFile: string;
  /** Null without `--rotation-period-days`. */
  readonly rotationPolicy: { readonly periodDays: number; readonly dueAt: string | null; readonly due: boolean } | null;
  /** What the key custodians do, when a rotation is due. */
  readonly due: string | null;
}

export interface KeyAgeInput {
  readonly instance: string;
  readonly binding: JournalBinding;
  /** The phase last seen; undefined when the instance could not be observed. */
  readonly phase: Phase | undefined;
  readonly journal: Journal | undefined;
  readonly periodDays: number | undefined;
  /** `rotate` and `status` record what they saw (a first sight included); `plan` only reads. */
  readonly record: boolean;
  /** Where the next key comes from, for what a due rotation asks: key parts (the default) or a recovery unit. */
  readonly source?: "keyParts" | "recoveryUnit";
}

/** keyAgeReport — reads (and for `rotate`, updates) the key age record, and judges it against the policy. */
export function keyAgeReport(input: KeyAgeInput, ctx: CommandContext): KeyAgeReport {
  const file = displayPath(ctx.cwd, defaultKeyAgeFile(ctx.cwd, input.instance));
  const now = dateNow(ctx.now);
  const previous = readKeyAgeFile(file, input.binding);
  const keyAge = (input.record ? keyAgeAfter : recordedKeyAge)(previous, settledKey(input.phase), input.journal, input.binding, now.toISOString());
  if (input.record && keyAge !== undefined && keyAge !== previous) writeKeyAgeFile(file, input.binding, keyAge);
  const policy = rotationPolicy(input.periodDays);
  const schedule = rotationSchedule(keyAge, policy, now);
  return {
    keyAge: keyAge ?? null,
    keyAgeDays: keyAge ? ageInDays(keyAge, now) : null,
    keyAgeFile: file,
    rotationPolicy: policy ? { periodDays: policy.periodDays, dueAt: dueAtOf(schedule), due: schedule.state === "due" } : null,
    due: dueSentence(schedule, policy, now, dueAdvice(input.source ?? "keyParts", CLI_WORDS)) ?? null,
  };
}
