import { z } from "zod";
import { describeIssue } from "../model/json-text";
import { isVp, sameVp, shortVp, vpIdentity, type Vp } from "../model/vp";
import { ACTION_KINDS, rewrapsKeyStorage, type Action } from "./decision";

/**
 * The rotation journal: what this tool did and proved during one ceremony (one rotation from `fromVp` to
 * `targetVp` on one instance). Stored in Pulumi outputs (`rotation`) and in the CLI's journal file, so it must stay
 * plain JSON: `null`, never `undefined`.
 *
 * The journal is a hint, never the only evidence: a process killed outright saves nothing, so every decision must
 * also be safe from the registers alone. It is evidence only while it is bound (`journalMismatch` finds nothing):
 * written for this instance through this service, for the rotation the registers show, and not yet closed. It may then make the
 * engine more careful, and it may carry the one proof a backend that cannot report key storage needs before any
 * promotion (`rewrapProof`).
 */
export const JOURNAL_SCHEMA_VERSION = 4;

const vp = z.string().refine(isVp, "expected a 64-character lower-case hex verification pattern");
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "expected a SHA-256 as 64 lower-case hex characters");

/** `vp` is null only for a load of key part files whose key was not known yet and that did not report it. */
const stepV2 = z.object({
  action: z.enum(ACTION_KINDS),
  units: z.array(z.string()),
  vp,
  outcome: z.enum(["started", "ok", "failed"]),
  at: z.string(),
  message: z.string().nullable(),
});
export const journalStepSchema = stepV2.extend({ vp: vp.nullable() });
export type JournalStep = z.infer<typeof journalStepSchema>;

/**
 * Where a ceremony ran: the instance, and the service that holds it (`Backend.identity`). A journal copied from
 * another instance, or written against a simulator for an id that also names a real instance, is not evidence here.
 */
export interface JournalBinding {
  readonly instanceId: string;
  readonly backend: string;
}

/** The binding of a backend object: its instance and its identity. */
export function journalBinding(backend: { readonly instanceId: string; readonly identity: string }): JournalBinding {
  return { instanceId: backend.instanceId, backend: backend.identity };
}

/**
 * How the journal learnt that key storage is entirely under `vp`:
 * - `backend`: the backend reported the rewrap complete (recorded before any promotion);
 * - `rewrap`: our own rewrap (or combined rotate) call returned success;
 * - `marker`: our own combined rotate printed "KMS CRK rewrap successful, waiting on cryptounit-mk-setimm.", journaled
 *   the moment it was seen, before the command went on to promote;
 * - `attestation`: an operator attested it for this situation, naming `vp` (`--attest-rewrap-complete`,
 *   `attestRewrapComplete`).
 */
export const REWRAP_PROOF_SOURCES = ["backend", "rewrap", "marker", "attestation"] as const;
export type RewrapProofSource = (typeof REWRAP_PROOF_SOURCES)[number];

const journalV2 = z.object({
  schemaVersion: z.literal(2),
  rotationId: z.string().min(1),
  binding: z.object({ instanceId: z.string().min(1), backend: z.string().min(1) }).nullable(),
  fromVp: vp.nullable(),
  targetVp: vp,
  startedAt: z.string(),
  completedAt: z.string().nullable(),
  rewrapProof: z.object({ vp, source: z.enum(REWRAP_PROOF_SOURCES), at: z.string() }).nullable(),
  steps: z.array(stepV2),
});

const journalV3 = z.object({
  schemaVersion: z.literal(3),
  rotationId: z.string().min(1),
  /** null only for a journal an earlier release wrote (schema version 1): readable, never evidence. */
  binding: z.object({ instanceId: z.string().min(1), backend: z.string().min(1) }).nullable(),
  /** null when the instance was Uninitialized: the ceremony is a first-time initialisation. */
  fromVp: vp.nullable(),
  /**
   * The ceremony's key. Null only while its first step, a load of key part files only the backend can open (opaque),
   * has not reported the key they make: such a journal describes nothing but that load.
   */
  targetVp: vp.nullable(),
  startedAt: z.string(),
  /** Set when the instance was seen Active on `targetVp`: a closed journal is never evidence again. */
  completedAt: z.string().nullable(),
  /** Set, durably, once key storage is proven to be entirely under `vp`; promotion only follows it. */
  rewrapProof: z.object({ vp, source: z.enum(REWRAP_PROOF_SOURCES), at: z.string() }).nullable(),
  /**
   * Key part files only the backend can open that this ceremony loaded: their SHA-256s (sorted), and the VP a load of
   * them reported (`madeVp`, null until one did; the current key when the load was refused as making it). What the files
   * make is a fact about the files, so it stays true when the journal closes: `journalLearnedVp`.
   */
  keyParts: z.object({ ids: z.array(sha256).min(1), madeVp: vp.nullable(), at: z.string().nullable() }).nullable(),
  steps: z.array(journalStepSchema),
});

const journalV4 = journalV3.extend({
  schemaVersion: z.literal(4),
  /**
   * A key this ceremony generated in a recovery unit (`auto-mk-rotate`): its VP (`madeVp`, null until the generation
   * reported it; journaled before it was copied anywhere) and when "Delaying 30 seconds to allow server to discover
   * new master key values" was seen (`delayingAt`): from then on a rewrap to it may have started, and the key is never
   * replaced (IBM: only cryptounit-mk-rotate may resume).
   */
  generated: z
    .object({
      madeVp: vp.nullable(),
      at: z.string().nullable(),
      delayingAt: z.string().nullable(),
      /**
       * When auto-mk-rotate printed "KMS CRK rewrap successful, waiting on cryptounit-mk-setimm" while its key was not
       * known (IBM's CLI prints no VP): the proof, bound to the key when the registers name it (bindUnreportedGeneration).
       * Absent in journals written before it existed.
       */
      markerAt: z.string().nullable().optional(),
    })
    .nullable(),
});
export type Journal = z.infer<typeof journalV4>;

const journalV1 = z.object({
  schemaVersion: z.literal(1),
  rotationId: z.string().min(1),
  fromVp: vp.nullable(),
  targetVp: vp,
  startedAt: z.string(),
  completedAt: z.string().nullable(),
  rewrapCompletedFor: vp.nullable(),
  steps: z.array(journalStepSchema),
});

/**
 * Readers by schema version. Each older version is upgraded to the current shape here, so state written by an
 * older release still reads; a newer version is refused rather than misread. Version 1 carried no binding: it reads
 * as unbound (shown, kept until the next step replaces it, never evidence), and its unbound proof is dropped.
 */
const READERS: Readonly<Record<number, (raw: unknown) => Journal>> = {
  1: (raw) => {
    const { rewrapCompletedFor: _dropped, ...v1 } = journalV1.parse(raw);
    return { ...v1, schemaVersion: JOURNAL_SCHEMA_VERSION, binding: null, rewrapProof: null, keyParts: null, generated: null };
  },
  2: (raw) => ({ ...journalV2.parse(raw), schemaVersion: JOURNAL_SCHEMA_VERSION, keyParts: null, generated: null }),
  3: (raw) => ({ ...journalV3.parse(raw), schemaVersion: JOURNAL_SCHEMA_VERSION, generated: null }),
  4: (raw) => journalV4.parse(raw),
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
      `the rotation journal has schemaVersion ${version}, which this release does not read (it reads 1 to ${JOURNAL_SCHEMA_VERSION}); upgrade pulumi-hpcs-masterkey before resuming`,
    );
  }
  try {
    return reader(raw);
  } catch (cause) {
    const detail = cause instanceof z.ZodError ? describeIssue(cause) : String(cause);
    throw new JournalFormatError(`the rotation journal (schemaVersion ${version}) is malformed: ${detail}`, { cause });
  }
}

/** One unit's keys as observed: its current key and its pending (new register) key, each undefined when Empty. */
export interface ObservedUnit {
  readonly id: string;
  readonly current: Vp | undefined;
  readonly pending: Vp | undefined;
}

/** The rotation the registers show, as a journal is checked against it. */
export interface ObservedRotation {
  /** The key every unit (every lagging unit, when half-promoted) has as current; undefined when Empty. */
  readonly currentVp: Vp | undefined;
  /** The pending key: the rotation's target; undefined for a load of key part files whose key is not known yet. */
  readonly targetVp: Vp | undefined;
  /** Every unit's keys now: whether a promotion the journal records still stands, whether its proof still can. */
  readonly units: readonly ObservedUnit[];
}

const sameOrBothNone = (a: Vp | null, b: Vp | undefined) => (a === null ? b === undefined : b !== undefined && sameVp(a, b));
const describeKey = (vp: Vp | null | undefined) => (vp ? shortVp(vp) : "no key");

/**
 * Why a journal does not describe the rotation in progress on this instance, or undefined when it does: written by
 * this release for this instance and service, still open, for the same target, from the key the units still have as
 * current (or already on the target: the rotation has reached it), and recording no promotion the registers
 * contradict. The one rule for "is this journal about this rotation", for evidence and for continuing a journal.
 */
export function journalMismatch(journal: Journal, binding: JournalBinding, rotation: ObservedRotation): string | undefined {
  if (journal.binding === null) return "it was written by an earlier release, which did not record the instance";
  if (journal.binding.instanceId !== binding.instanceId) return `it was written for instance ${journal.binding.instanceId}`;
  if (journal.binding.backend !== binding.backend) return `it was written through ${journal.binding.backend}, not ${binding.backend}`;
  const target = journal.targetVp;
  if (journal.completedAt !== null) return `its rotation to ${describeKey(target)} completed at ${journal.completedAt}`;
  const fromMismatch = `it records a rotation from ${describeKey(journal.fromVp)}, but the units' current key is ${describeKey(rotation.currentVp)}`;
  // A journal whose load never reported its key describes that load only, and only such a load continues it.
  if (target === null || rotation.targetVp === undefined) {
    if (target === null && rotation.targetVp === undefined) return sameOrBothNone(journal.fromVp, rotation.currentVp) ? undefined : fromMismatch;
    return target === null ? `it records only a load or a generation that did not report the key it made` : `it records a rotation to ${shortVp(target)}, not a load or a generation whose key is not known yet`;
  }
  if (!sameVp(target, rotation.targetVp)) return `it records a rotation to ${shortVp(target)}, not to ${shortVp(rotation.targetVp)}`;
  const reachedTarget = rotation.currentVp !== undefined && sameVp(rotation.currentVp, rotation.targetVp);
  if (!reachedTarget && !sameOrBothNone(journal.fromVp, rotation.currentVp)) return fromMismatch;
  const currentOf = (id: string) => rotation.units.find((u) => u.id === id)?.current;
  const undone = journal.steps.find((s) => s.action === "setImmediate" && s.outcome === "ok" && s.units.some((u) => !sameOrBothNone(target, currentOf(u))));
  if (undone) return `it records set immediate on ${undone.units.join(", ")}, which the registers no longer show`;
  return proofOverturned(journal, rotation);
}

/**
 * Why the journal's rewrap proof can no longer stand, or undefined. A proof is about the key storage of one ceremony;
 * anything since that could have moved key storage off the proven key voids it: a unit that holds the key in neither
 * register (it was promoted past, cleared, or the instance went back to another key by hand), or the key loaded or
 * committed again after the proof (a later ceremony to the same key, which has its own rewrap to do).
 * What it cannot see: an operator who by hand rotated away and then loaded and committed the same key again on every
 * unit between two runs leaves registers that look the same (docs/safety.md, "What is left to the operator").
 */
function proofOverturned(journal: Journal, rotation: ObservedRotation): string | undefined {
  const proof = journal.rewrapProof;
  if (proof === null) return undefined;
  const holds = (u: ObservedUnit) => [u.current, u.pending].some((k) => k !== undefined && sameVp(k, proof.vp));
  const without = rotation.units.filter((u) => !holds(u));
  if (without.length > 0) {
    return `its proof that key storage is under ${shortVp(proof.vp)} no longer stands: ${without.map((u) => u.id).join(", ")} hold${without.length === 1 ? "s" : ""} that key in neither register`;
  }
  const lastStep = (proves: (s: JournalStep) => boolean) => journal.steps.reduce((last, s, i) => (s.vp !== null && sameVp(s.vp, proof.vp) && proves(s) ? i : last), -1);
  const loaded = lastStep((s) => putsKey(s.action) || s.action === "commitNew");
  // The marker is journaled while its rotate step is still open; every other proof comes from a step that succeeded.
  const proven = lastStep((s) => (rewrapsKeyStorage(s.action) || s.action === "recordRewrap") && (s.outcome === "ok" || (endsWithMarker(s.action) && proof.source === "marker")));
  if (loaded > proven) {
    return `its proof that key storage is under ${shortVp(proof.vp)} came before ${shortVp(proof.vp)} was loaded again, for a later ceremony`;
  }
  return undefined;
}

export interface StepContext {
  readonly now: string;
  /** A fresh rotation id, used only when the action starts a new ceremony. */
  readonly newRotationId: () => string;
  readonly binding: JournalBinding;
  /** The registers before the step: `currentVp` becomes a new ceremony's `fromVp`. */
  readonly observed: Omit<ObservedRotation, "targetVp">;
}

/** The steps that put a key into new registers: a load, a generation in a recovery unit, and its copies. */
const putsKey = (action: string) => action === "loadNew" || action === "generateNew" || action === "copyNew" || action === "autoRotate";

/** The steps that print the marker while they still run: cryptounit-mk-rotate and auto-mk-rotate. */
const endsWithMarker = (action: string) => action === "rotate" || action === "autoRotate";

/** The steps that generate a key: its VP is reported by the step, not known before it. */
/** Whether an action generates a new key (in a recovery unit). */
export const generates = (action: string): boolean => action === "generateNew" || action === "autoRotate";

/** The key part files a load names (opaque key parts), as the journal keeps them: sorted. */
const keyPartIdsOf = (action: Action): string[] | undefined => (action.kind === "loadNew" && action.keyPartIds ? [...action.keyPartIds].sort() : undefined);

/** beginStep — the journal with `action` recorded as started; starts a new ceremony unless the journal describes this one. */
export function beginStep(journal: Journal | undefined, action: Action, ctx: StepContext): Journal {
  const continues = journal !== undefined && journalMismatch(journal, ctx.binding, { ...ctx.observed, targetVp: action.vp }) === undefined;
  const ids = keyPartIdsOf(action);
  const base: Journal = continues
    ? journal
    : {
        schemaVersion: JOURNAL_SCHEMA_VERSION,
        rotationId: ctx.newRotationId(),
        binding: { instanceId: ctx.binding.instanceId, backend: ctx.binding.backend },
        fromVp: ctx.observed.currentVp ?? null,
        targetVp: action.vp ?? null,
        startedAt: ctx.now,
        completedAt: null,
        rewrapProof: null,
        keyParts: null,
        generated: null,
        steps: [],
      };
  const keyParts = base.keyParts ?? (ids ? { ids, madeVp: null, at: null } : null);
  // A generation starts afresh each time (IBM's re-run makes another key); what an earlier one made no longer counts.
  const generated = generates(action.kind) ? { madeVp: null, at: null, delayingAt: null } : base.generated;
  const step: JournalStep = { action: action.kind, units: [...action.units], vp: action.vp ?? null, outcome: "started", at: ctx.now, message: null };
  return { ...base, keyParts, generated, steps: [...base.steps, step] };
}

/** What a step's end adds to the journal besides its outcome. */
export interface StepEnd {
  readonly message?: string;
  /**
   * The key a load of opaque key part files reported: the key it loaded, or the current key when it was refused as
   * making that one (SameKeyError). Becomes the step's key, the ceremony's key if it had none, and what the files make.
   */
  readonly madeVp?: Vp;
}

/** What a successful step proves about key storage: our rewrap (or auto-mk-rotate) returned, or a recorded proof. */
function proofOf(action: Action): RewrapProofSource | undefined {
  if (rewrapsKeyStorage(action.kind)) return "rewrap";
  if (action.kind === "recordRewrap") return action.evidence;
  return undefined;
}

/** endStep — records the outcome of `action`, the last started step; a successful rewrap or recordRewrap is the proof. */
export function endStep(journal: Journal, action: Action, outcome: "ok" | "failed", now: string, end: StepEnd = {}): Journal {
  const last = journal.steps[journal.steps.length - 1];
  if (!last || last.outcome !== "started" || last.action !== action.kind) return journal;
  const source = outcome === "ok" ? proofOf(action) : undefined;
  const made = end.madeVp;
  const proven = action.vp ?? made;
  const generated = journal.generated && made !== undefined && generates(action.kind) ? { ...journal.generated, madeVp: made, at: journal.generated.at ?? now } : journal.generated;
  return {
    ...journal,
    targetVp: journal.targetVp ?? made ?? null,
    keyParts: made !== undefined && journal.keyParts && action.kind === "loadNew" ? { ...journal.keyParts, madeVp: made, at: now } : journal.keyParts,
    generated,
    rewrapProof: source && proven !== undefined ? { vp: proven, source, at: now } : journal.rewrapProof,
    steps: [...journal.steps.slice(0, -1), { ...last, vp: made ?? last.vp, outcome, at: now, message: end.message ?? null }],
  };
}

/**
 * recordMarker — our combined rotate to `vp` printed its marker: key storage is entirely under `vp`. Recorded on the
 * rotate step this journal has open; a journal whose open step is not that rotate is returned unchanged.
 */
export function recordMarker(journal: Journal, vp: Vp, now: string): Journal {
  const last = journal.steps[journal.steps.length - 1];
  if (!last || !endsWithMarker(last.action) || last.outcome !== "started" || last.vp === null || !sameVp(last.vp, vp) || journal.targetVp === null || !sameVp(journal.targetVp, vp)) return journal;
  return { ...journal, rewrapProof: { vp, source: "marker", at: now } };
}

/** The generation this journal has open (a generateNew or autoRotate step started and not ended), if any. */
function openGeneration(journal: Journal): JournalStep | undefined {
  const last = journal.steps[journal.steps.length - 1];
  return last && generates(last.action) && last.outcome === "started" && journal.generated ? last : undefined;
}

/**
 * recordGenerated — the generation under way reported its key, before copying it anywhere: it becomes the ceremony's
 * key and the step's. A journal with no generation open is returned unchanged.
 */
export function recordGenerated(journal: Journal, vp: Vp, now: string): Journal {
  const open = openGeneration(journal);
  if (!open || !journal.generated) return journal;
  return {
    ...journal,
    targetVp: vp,
    generated: { ...journal.generated, madeVp: vp, at: now },
    steps: [...journal.steps.slice(0, -1), { ...open, vp }],
  };
}

/**
 * recordDelaying — auto-mk-rotate printed "Delaying 30 seconds to allow server to discover new master key values":
 * every new register holds the generated key, committed, and the rewrap to it may start at any moment.
 */
export function recordDelaying(journal: Journal, now: string): Journal {
  if (!openGeneration(journal) || !journal.generated) return journal;
  return { ...journal, generated: { ...journal.generated, delayingAt: now } };
}

/**
 * recordUnboundMarker — auto-mk-rotate printed its marker while the key it generated is not known (IBM's CLI prints no
 * VP): when that is kept, to be bound to the key the registers name (bindUnreportedGeneration). A journal with no
 * generation open, or whose generation reported its key (recordMarker binds that one), is returned unchanged.
 */
export function recordUnboundMarker(journal: Journal, now: string): Journal {
  if (!openGeneration(journal) || !journal.generated || journal.generated.madeVp !== null) return journal;
  return { ...journal, generated: { ...journal.generated, markerAt: now } };
}

/**
 * bindUnreportedGeneration — an auto-mk-rotate of ours (this instance, this service, still open) whose key was never
 * reported (IBM's CLI prints no VP), but which printed "Delaying 30 seconds…": at that line every new register held the
 * generated key, committed. The key is the one the registers now name: the only key that every unit holds, pending
 * or (promoted since) current, apart from the key the ceremony rotates from. It becomes the ceremony's key. Anything
 * else (a unit without it, two candidate keys, no Delaying line) leaves the journal as it is, and the key stays
 * unknown: the engine then refuses rather than guess. Replacing the key after that line would have taken clearing
 * every unit's copy, so whoever did that owns the key the units hold now; finishing the rotation to it with a rewrap
 * (cryptounit-mk-rotate) loses nothing the clearing had not already lost.
 * The marker names no key either, so it becomes the bound key's proof only once some unit has that key as current:
 * auto-mk-rotate promotes only after its rewrap, and a cleared and replaced key cannot have been promoted anywhere
 * without the registers still naming it (two candidates). While every unit holds the key only pending, it may be
 * someone else's, and the rotation to it goes through a rewrap rather than on the marker's word.
 */
export function bindUnreportedGeneration(journal: Journal | undefined, binding: JournalBinding, observed: Omit<ObservedRotation, "targetVp">): Journal | undefined {
  const generated = journal?.generated;
  if (!journal || !generated || !writtenHere(journal, binding) || journal.completedAt !== null) return journal;
  if (generated.madeVp !== null || generated.delayingAt === null || journal.targetVp !== null) return journal;
  const from = journal.fromVp;
  const candidates = new Map<string, Vp>();
  for (const u of observed.units) {
    for (const key of [u.pending, u.current]) if (key !== undefined && (from === null || !sameVp(key, from))) candidates.set(vpIdentity(key), key);
  }
  if (candidates.size !== 1) return journal;
  const [key] = [...candidates.values()];
  const everyUnitHolds = observed.units.length > 0 && observed.units.every((u) => [u.pending, u.current].some((k) => k !== undefined && sameVp(k, key)));
  if (!everyUnitHolds) return journal;
  const steps = journal.steps.map((s) => (generates(s.action) && s.vp === null && s === [...journal.steps].reverse().find((t) => generates(t.action)) ? { ...s, vp: key } : s));
  const markerAt = generated.markerAt ?? null;
  const promoted = observed.units.some((u) => u.current !== undefined && sameVp(u.current, key));
  return {
    ...journal,
    targetVp: key,
    generated: { ...generated, madeVp: key },
    rewrapProof: markerAt !== null && promoted ? { vp: key, source: "marker", at: markerAt } : journal.rewrapProof,
    steps,
  };
}

/**
 * journalLostGeneration — an auto-mk-rotate of ours (this instance, this service, still open) printed "Delaying 30
 * seconds…" for a key it never reported, and no unit holds any key but the one it rotated from: the generated key is
 * gone, although a rewrap to it may have started. The time of that line; for a refusal.
 */
export function journalLostGeneration(journal: Journal | undefined, binding: JournalBinding, observed: Omit<ObservedRotation, "targetVp">): string | undefined {
  const generated = journal?.generated;
  if (!journal || !generated || !writtenHere(journal, binding) || journal.completedAt !== null || generated.madeVp !== null || generated.delayingAt === null) return undefined;
  const from = journal.fromVp;
  const other = observed.units.some((u) => [u.current, u.pending].some((k) => k !== undefined && (from === null || !sameVp(k, from))));
  return other ? undefined : generated.delayingAt;
}

/** completeJournal — closes our journal of the ceremony to `vp` once every unit is Active on it. */
export function completeJournal(journal: Journal | undefined, binding: JournalBinding, vp: Vp, now: string): Journal | undefined {
  if (!journal) return journal;
  // Done means every unit is Active on `vp`: each unit the journal names has it as current, none a pending key.
  const units = [...new Set(journal.steps.flatMap((s) => s.units))].map((id) => ({ id, current: vp, pending: undefined }));
  if (journalMismatch(journal, binding, { currentVp: vp, targetVp: vp, units }) !== undefined) return journal;
  return { ...journal, completedAt: now };
}

/** Whether this (bound) journal records proof that key storage is entirely under `vp`. */
export function journalRecordsProof(journal: Journal | undefined, vp: Vp): boolean {
  return journal?.rewrapProof !== undefined && journal.rewrapProof !== null && sameVp(journal.rewrapProof.vp, vp);
}

const stepIsFor = (s: JournalStep, vp: Vp) => s.vp !== null && sameVp(s.vp, vp);

/**
 * Whether this (bound) journal shows that a rewrap to `vp` was begun or proven: after that, `vp` is never cleared or
 * replaced. An auto-mk-rotate begins it once it printed "Delaying 30 seconds…"; before that it has only generated.
 */
export function journalShowsRewrap(journal: Journal | undefined, vp: Vp): boolean {
  if (!journal) return false;
  const delayed = journal.generated !== null && journal.generated.delayingAt !== null && journal.generated.madeVp !== null && sameVp(journal.generated.madeVp, vp);
  return journalRecordsProof(journal, vp) || delayed || journal.steps.some((s) => (s.action === "rewrap" || s.action === "rotate") && stepIsFor(s, vp));
}

/** Whether this (bound) journal shows that this tool put `vp` into a new register (a load, a generation): only then may it be cleared. */
export function journalShowsLoad(journal: Journal | undefined, vp: Vp): boolean {
  return journal?.steps.some((s) => putsKey(s.action) && stepIsFor(s, vp)) ?? false;
}

/** The rotation our open journal of this instance and service records, if any: the ceremony a run resumes. */
export function openRotationId(journal: Journal | undefined, binding: JournalBinding): string | undefined {
  return journal && writtenHere(journal, binding) && journal.completedAt === null ? journal.rotationId : undefined;
}

/** Whether this tool wrote the journal on this instance through this service (open or closed). */
const writtenHere = (journal: Journal, binding: JournalBinding) => journal.binding?.instanceId === binding.instanceId && journal.binding.backend === binding.backend;

const sameIds = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().every((id, i) => id === [...b].sort()[i]);

/**
 * journalLearnedVp — the VP a load reported the key part files `ids` to make, from a journal this tool wrote on this
 * instance through this service (open or closed: what files make does not change when a ceremony ends); undefined
 * when no such load is recorded. A journal of another instance or service, or of an earlier release, names nothing.
 */
export function journalLearnedVp(journal: Journal | undefined, binding: JournalBinding, ids: readonly string[]): { readonly vp: Vp; readonly at: string | null } | undefined {
  const made = journal && writtenHere(journal, binding) ? journal.keyParts : null;
  if (!made || made.madeVp === null || !sameIds(made.ids, ids)) return undefined;
  return { vp: made.madeVp, at: made.at };
}

/**
 * journalInterruptedLoad — when a journal this tool wrote on this instance through this service shows a load of the key
 * part files `ids` that never reported the key it made (the run stopped during it), the time it started; for messages.
 */
export function journalInterruptedLoad(journal: Journal | undefined, binding: JournalBinding, ids: readonly string[]): string | undefined {
  const files = journal && writtenHere(journal, binding) ? journal.keyParts : null;
  if (!journal || !files || files.madeVp !== null || !sameIds(files.ids, ids)) return undefined;
  return journal.steps.find((s) => s.action === "loadNew" && s.vp === null)?.at;
}

/**
 * journalGeneratedVp — the key a generation of ours under way made: a journal this tool wrote on this instance through
 * this service, still open, whose generation reported its key, and which rotates away from `replacing` (any key, when
 * undefined) or made `replacing` itself. The latter is a run that stopped after promoting the key it generated, before
 * it closed its journal: its caller still records the old key, so it asks to replace the new one; finishing that
 * rotation (closing the journal) is what it wants, not a second key. A closed journal names nothing: its key is the
 * current one or was abandoned.
 */
export function journalGeneratedVp(journal: Journal | undefined, binding: JournalBinding, replacing: Vp | undefined): Vp | undefined {
  if (!journal || !writtenHere(journal, binding) || journal.completedAt !== null) return undefined;
  const made = journal.generated?.madeVp ?? null;
  if (made === null) return undefined;
  if (replacing === undefined || sameVp(made, replacing)) return made;
  return journal.fromVp !== null && sameVp(journal.fromVp, replacing) ? made : undefined;
}

/**
 * journalInterruptedGeneration — when a journal this tool wrote on this instance through this service shows a
 * generation that never reported its key (the run stopped between the unit making it and the journal recording it),
 * the time it started; for messages.
 */
export function journalInterruptedGeneration(journal: Journal | undefined, binding: JournalBinding): string | undefined {
  if (!journal || !writtenHere(journal, binding) || journal.completedAt !== null || !journal.generated || journal.generated.madeVp !== null) return undefined;
  return [...journal.steps].reverse().find((s) => generates(s.action))?.at;
}
