import type { ShellWords } from "./shell-words";
import { z } from "zod";
import { isVp, sameVp, shortVp, type Vp } from "../model/vp";
import type { Journal, JournalBinding } from "./journal";
import type { Phase } from "./phases";

/**
 * How long the current master key has been current, as this tool's own records tell (HPCS keeps no date a tool can
 * read: Activity Tracker has the events, but not in a form this tool is given).
 * - `rotation`: a rotation by this tool to this key completed at `since` (its journal's `completedAt`);
 * - `firstSeen`: this tool first saw this key as every unit's current key at `since`: an adopted key, or one that
 *   someone rotated to by hand. Its true age is unknown, and counting from then neither rotates an adopted instance
 *   the moment it is adopted nor lets the key go unwatched: the first rotation falls due one period later.
 */
export interface KeyAge {
  readonly verificationPattern: Vp;
  readonly since: string;
  readonly source: "rotation" | "firstSeen";
}

/** A key age as stored (Pulumi state, the CLI's record file): read back through this schema, never trusted as typed. */
export const keyAgeSchema = z.object({
  verificationPattern: z.string().refine(isVp, "expected a 64-character lower-case hex verification pattern"),
  since: z.string().refine((text) => !Number.isNaN(Date.parse(text)), "expected an ISO 8601 time"),
  source: z.enum(["rotation", "firstSeen"]),
});

/** The stored key age, or undefined when there is none or it is malformed (then the key counts as first seen now). */
export function parseKeyAge(raw: unknown): KeyAge | undefined {
  const parsed = keyAgeSchema.safeParse(raw);
  return parsed.success ? (parsed.data as KeyAge) : undefined;
}

/** The declared cryptoperiod (NIST SP 800-57; AWS KMS `rotation_period_in_days`): the key is to be replaced every `periodDays`. */
export interface RotationPolicy {
  readonly periodDays: number;
}

const DAY_MS = 86_400_000;

/** The key whose age counts: every unit's current key with no rotation under way (Active), else undefined. */
export function settledKey(phase: Pick<Phase, "name" | "currentVp"> | undefined): Vp | undefined {
  return phase?.name === "Active" ? phase.currentVp : undefined;
}

/**
 * recordedKeyAge — what the records say of the current key's age, without counting a first sight: the previous record
 * while it is still about the current key (or while no single key is current: `currentVp` undefined), or our
 * rotation that reached the current key; undefined when nothing records the current key.
 */
export function recordedKeyAge(previous: KeyAge | undefined, currentVp: Vp | undefined, journal: Journal | undefined, binding: JournalBinding, now: string): KeyAge | undefined {
  if (currentVp === undefined) return previous;
  if (previous && sameVp(previous.verificationPattern, currentVp)) return previous;
  // Our rotation to this key reached it: closed at `completedAt`, or seen done now (the run failed after the last
  // promotion). A journal from the key to itself records only a selection, not a rotation.
  const rotatedHere = journal?.binding?.instanceId === binding.instanceId && journal.binding.backend === binding.backend;
  const rotatedTo = (vp: Vp) => journal !== undefined && journal.targetVp !== null && sameVp(journal.targetVp, vp) && (journal.fromVp === null || !sameVp(journal.fromVp, vp));
  if (rotatedHere && rotatedTo(currentVp)) {
    return { verificationPattern: currentVp, since: journal.completedAt ?? now, source: "rotation" };
  }
  return undefined;
}

/**
 * keyAgeAfter — the record of the current key after an observation. `currentVp` is the key every unit holds as current
 * with no rotation under way (phase Active), else undefined: while a rotation is unfinished (or the instance is split
 * or Diverged) the age stays the old key's, so a rotation that fails half-way does not reset it. A current key nothing
 * records is first seen `now`.
 */
export function keyAgeAfter(previous: KeyAge | undefined, currentVp: Vp | undefined, journal: Journal | undefined, binding: JournalBinding, now: string): KeyAge | undefined {
  const recorded = recordedKeyAge(previous, currentVp, journal, binding, now);
  if (recorded !== undefined || currentVp === undefined) return recorded;
  return { verificationPattern: currentVp, since: now, source: "firstSeen" };
}

/**
 * Where the current key stands against the policy:
 * - `none`: no policy declared;
 * - `unknownAge`: a policy, but no current key has been recorded yet (an uninitialised instance, or one never seen
 *   with every unit on one key): nothing can be due before a key is current;
 * - `notDue` / `due`: `dueAt` is `since` plus the period.
 */
export type RotationSchedule =
  | { readonly state: "none" }
  | { readonly state: "unknownAge" }
  | { readonly state: "notDue"; readonly dueAt: string; readonly age: KeyAge }
  | { readonly state: "due"; readonly dueAt: string; readonly age: KeyAge };

/** The policy a declared period (days) makes; none without one. */
export function rotationPolicy(periodDays: number | undefined): RotationPolicy | undefined {
  return periodDays === undefined ? undefined : { periodDays };
}

/** When the schedule says a rotation falls (or fell) due; null without a policy or a recorded age. */
export function dueAtOf(schedule: RotationSchedule): string | null {
  return schedule.state === "due" || schedule.state === "notDue" ? schedule.dueAt : null;
}

/** rotationSchedule — the one rule for "is a rotation due". Pure: `now` is given. */
export function rotationSchedule(age: KeyAge | undefined, policy: RotationPolicy | undefined, now: Date): RotationSchedule {
  if (policy === undefined) return { state: "none" };
  if (age === undefined) return { state: "unknownAge" };
  const due = new Date(Date.parse(age.since) + policy.periodDays * DAY_MS);
  return { state: due.getTime() <= now.getTime() ? "due" : "notDue", dueAt: due.toISOString(), age };
}

const days = (n: number) => `${n} day${n === 1 ? "" : "s"}`;

/** The key's age in whole days at `now`, for people. */
export function ageInDays(age: KeyAge, now: Date): number {
  return Math.max(0, Math.floor((now.getTime() - Date.parse(age.since)) / DAY_MS));
}

/** Where the key's age comes from, as a clause: "… has been current since T (…), N days". */
export function describeKeyAge(age: KeyAge, now: Date): string {
  const origin = age.source === "rotation" ? "when a rotation by this tool completed" : "when this tool first saw it; its earlier age is not recorded, as it was adopted or rotated outside this tool";
  return `the master key ${shortVp(age.verificationPattern)} has been current since ${age.since} (${origin}), ${days(ageInDays(age, now))}`;
}

/**
 * What the people who make the next key do when a rotation is due. With key part files the tool cannot make the new
 * parts: that is the key custodians' job (split knowledge), so it says exactly what they do. A key generated in a
 * recovery unit needs nobody: the next run generates it.
 */
export function dueAdvice(source: "keyParts" | "recoveryUnit", words: ShellWords): string {
  if (source === "recoveryUnit") return `${words.generateCommand} generates a new master key in a recovery unit and rotates to it (auto-mk-rotate)`;
  return `The key custodians each create a new key part file (hpcs-mk keypart create, or ibmcloud tke mk-add --random), declare the new files in ${words.declareKeyParts}, and run ${words.rotateCommand}`;
}

/** The drift sentence of a due rotation, ending with `advice` (dueAdvice); undefined when none is due. */
export function dueSentence(schedule: RotationSchedule, policy: RotationPolicy | undefined, now: Date, advice: string): string | undefined {
  if (schedule.state !== "due" || policy === undefined) return undefined;
  return `a master key rotation is due since ${schedule.dueAt}: the rotation policy is every ${days(policy.periodDays)}, and ${describeKeyAge(schedule.age, now)}. ${advice}`;
}
