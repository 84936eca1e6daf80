import { z } from "zod";
import { isVp, sameVp, type Vp } from "../model/vp";
import { ACTION_KINDS, type Action } from "./decision";

/**
 * The rotation journal: what this tool did and proved during one ceremony (one target key). Stored in Pulumi
 * outputs (`rotation`) and in the CLI's journal file, so it must stay plain JSON: `null`, never `undefined`.
 *
 * The journal is a hint, never the only evidence: a process killed outright saves nothing, so every decision
 * must also be safe from the registers alone. It is what lets `plan` prove a rewrap finished when the backend
 * cannot report it (`rewrapCompletedFor`, written before any promotion).
 */
export const JOURNAL_SCHEMA_VERSION = 1;

const vp = z.string().refine(isVp, "expected a 64-character lower-case hex verification pattern");

export const journalStepSchema = z.object({
  action: z.enum(ACTION_KINDS),
  units: z.array(z.string()),
  vp,
  outcome: z.enum(["started", "ok", "failed"]),
  at: z.string(),
  message: z.string().nullable(),
});
export type JournalStep = z.infer<typeof journalStepSchema>;

const journalV1 = z.object({
  schemaVersion: z.literal(1),
  rotationId: z.string().min(1),
  /** null when the instance was Uninitialized: the ceremony is a first-time initialisation. */
  fromVp: vp.nullable(),
  targetVp: vp,
  startedAt: z.string(),
  completedAt: z.string().nullable(),
  /** Set, durably, once key storage is proven to be entirely under `targetVp`; promotion only follows it. */
  rewrapCompletedFor: vp.nullable(),
  steps: z.array(journalStepSchema),
});
export type Journal = z.infer<typeof journalV1>;

/**
 * Readers by schema version. Each older version gets an upgrade to the current shape here, so state written by
 * an older release still reads; a newer version is refused rather than misread.
 */
const READERS: Readonly<Record<number, (raw: unknown) => Journal>> = {
  1: (raw) => journalV1.parse(raw),
};

export class JournalFormatError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "JournalFormatError";
  }
}

/** parseJournal — reads a journal from state or a file; null/undefined mean no ceremony has been journaled. */
export function parseJournal(raw: unknown): Journal | undefined {
  if (raw === null || raw === undefined) return undefined;
  const version = typeof raw === "object" ? (raw as { schemaVersion?: unknown }).schemaVersion : undefined;
  if (typeof version !== "number") throw new JournalFormatError("the rotation journal has no numeric schemaVersion; it was not written by pulumi-hpcs-masterkey");
  const reader = READERS[version];
  if (!reader) {
    throw new JournalFormatError(
      `the rotation journal has schemaVersion ${version}, newer than this release understands (${JOURNAL_SCHEMA_VERSION}); upgrade pulumi-hpcs-masterkey before resuming`,
    );
  }
  try {
    return reader(raw);
  } catch (cause) {
    throw new JournalFormatError(`the rotation journal (schemaVersion ${version}) is malformed: ${(cause as Error).message}`, { cause });
  }
}

export interface StepContext {
  readonly now: string;
  /** A fresh rotation id, used only when the action starts a new ceremony. */
  readonly newRotationId: () => string;
  /** The instance's common current key before the step (undefined when Uninitialized). */
  readonly currentVp: Vp | undefined;
}

/** beginStep — the journal with `action` recorded as started; starts a new ceremony when the target changes. */
export function beginStep(journal: Journal | undefined, action: Action, ctx: StepContext): Journal {
  const base: Journal =
    journal && sameVp(journal.targetVp, action.vp)
      ? journal
      : {
          schemaVersion: JOURNAL_SCHEMA_VERSION,
          rotationId: ctx.newRotationId(),
          fromVp: ctx.currentVp ?? null,
          targetVp: action.vp,
          startedAt: ctx.now,
          completedAt: null,
          rewrapCompletedFor: null,
          steps: [],
        };
  const step: JournalStep = { action: action.kind, units: [...action.units], vp: action.vp, outcome: "started", at: ctx.now, message: null };
  return { ...base, steps: [...base.steps, step] };
}

/** endStep — records the outcome of the last started step; a successful rewrap or recordRewrap proves the rewrap. */
export function endStep(journal: Journal, outcome: "ok" | "failed", now: string, message?: string): Journal {
  const last = journal.steps[journal.steps.length - 1];
  if (!last || last.outcome !== "started") return journal;
  const proved = outcome === "ok" && (last.action === "rewrap" || last.action === "recordRewrap");
  return {
    ...journal,
    rewrapCompletedFor: proved ? last.vp : journal.rewrapCompletedFor,
    steps: [...journal.steps.slice(0, -1), { ...last, outcome, at: now, message: message ?? null }],
  };
}

/** completeJournal — marks the ceremony to `vp` complete once the instance is Active on it. */
export function completeJournal(journal: Journal | undefined, vp: Vp, now: string): Journal | undefined {
  if (!journal || !sameVp(journal.targetVp, vp) || journal.completedAt !== null) return journal;
  return { ...journal, completedAt: now };
}

/** Whether this journal shows that a rewrap to `vp` was attempted or proven: after that, never clear `vp`. */
export function journalShowsRewrap(journal: Journal | undefined, vp: Vp): boolean {
  if (!journal) return false;
  if (journal.rewrapCompletedFor !== null && sameVp(journal.rewrapCompletedFor, vp)) return true;
  return journal.steps.some((s) => s.action === "rewrap" && sameVp(s.vp, vp));
}
