import type { UnitStatus } from "../engine/port/backend";
import type { Journal } from "../engine/journal";
import type { Observation } from "../engine/observation";
import type { Phase, PhaseName } from "../engine/phases";
import { shortVp, type Vp } from "../model/vp";
import { describeEvidence, rewrapEvidence } from "../engine/rewrap-evidence";
import type { JournalBinding } from "../engine/journal";
import { dueAdvice, dueAtOf, dueSentence, keyAgeAfter, rotationPolicy, rotationSchedule, settledKey, type KeyAge } from "../engine/rotation-policy";
import { PROVIDER_WORDS } from "./shell-words";

/** Per-unit output: what `ibmcloud tke cryptounit-mk` shows, plus the selection. */
export interface UnitOutput {
  readonly id: string;
  readonly type: string;
  readonly location: string;
  readonly selected: boolean;
  readonly currentStatus: string;
  readonly currentVerificationPattern: string;
  readonly newStatus: string;
  readonly newVerificationPattern: string;
}

/** Whether the last run worked, separate from what the instance is (`phase`). */
export interface LastStep {
  readonly outcome: "ok" | "refused" | "failed";
  readonly reason: string;
  readonly message: string;
}

/**
 * MasterKeyOutputs — plain JSON only (Pulumi fails on undefined, Buffer, Date): absent values are null.
 * Only ids, paths, VPs and statuses: never a key, a password or file contents.
 */
export interface MasterKeyOutputs {
  readonly instanceId: string;
  readonly backend: string;
  /** The VP every unit's current register holds; null when they disagree or are Empty. */
  readonly verificationPattern: Vp | null;
  /** The VP of the declared key: declared, computed from the key parts, or learned from a load of them; null until known. */
  readonly desiredVerificationPattern: Vp | null;
  readonly phase: PhaseName;
  readonly units: readonly UnitOutput[];
  readonly rotation: Journal | null;
  readonly lastRotatedAt: string | null;
  /** When the current key became current, as this tool's records tell (rotation-policy.ts); null before any key was current. */
  readonly keyAge: KeyAge | null;
  /** The declared rotation policy, echoed so `diff` can tell a changed policy. */
  readonly rotationPeriodDays: number | null;
  /** When a rotation falls (or fell) due under the policy; null without a policy or a recorded key age. */
  readonly rotationDueAt: string | null;
  /** Whether a rotation was due when these outputs were computed (the last refresh or update). */
  readonly rotationDue: boolean;
  /** Where the declared key comes from: key part files, or a recovery unit (`recoveryUnitKey`). */
  readonly keySource: "keyParts" | "recoveryUnit";
  /** With `recoveryUnitKey`: the keepers the current key was generated (or adopted) for; a change of them generates anew. */
  readonly generatedFor: GeneratedFor | null;
  readonly driftReasons: readonly string[];
  readonly keyPartFiles: readonly string[];
  /** SHA-256 of each key part file, in order: the ids IBM's Activity Tracker records as `masterKeyIds`. */
  readonly keyPartIds: readonly string[];
  readonly lastStep: LastStep;
  /** The last run's evidence record: its id (`<ceremony>/<run>`) and the hash of its last entry (hpcs-mk evidence verify). */
  readonly evidence: EvidenceOutput | null;
}

export interface EvidenceOutput {
  readonly id: string;
  readonly hash: string;
}

function unitOutput(u: UnitStatus): UnitOutput {
  return {
    id: u.id,
    type: u.type,
    location: u.location,
    selected: u.selected,
    currentStatus: u.current.status,
    currentVerificationPattern: u.current.vp,
    newStatus: u.new.status,
    newVerificationPattern: u.new.vp,
  };
}

/** The trigger a generated key was made for (Terraform random_id's `keepers`). */
export interface GeneratedFor {
  readonly keepers: Readonly<Record<string, string>>;
}

export interface OutputContext {
  readonly instanceId: string;
  readonly backend: string;
  readonly desiredVp: Vp | null;
  readonly keyPartFiles: readonly string[];
  readonly keyPartIds: readonly string[];
  readonly journal: Journal | undefined;
  readonly previousLastRotatedAt: string | null;
  readonly previousKeyAge: KeyAge | undefined;
  readonly rotationPeriodDays: number | undefined;
  readonly keySource: MasterKeyOutputs["keySource"];
  /** With a key generated in a recovery unit: the keepers the current key was generated (or adopted) for. */
  readonly generatedFor: GeneratedFor | null;
  readonly binding: JournalBinding;
  readonly now: Date;
  readonly lastStep: LastStep;
  readonly evidence: EvidenceOutput | null;
}


/** The drift reason of an unfinished rotation; a half-promotion the backend shows premature is called out. */
function unfinished(observation: Observation, phase: Phase): string {
  if (phase.name === "HalfPromoted" && phase.pendingVp !== undefined) {
    const evidence = rewrapEvidence({ report: observation.rewrap }, phase.pendingVp);
    if (evidence.state === "partial" || evidence.state === "none") {
      return `units were promoted to ${shortVp(phase.pendingVp)} before the key storage rewrap completed (${describeEvidence(evidence, phase.pendingVp)}): pulumi up will refuse to promote more; see docs/runbook.md`;
    }
  }
  return `a rotation is unfinished: phase ${phase.name}; the next pulumi up resumes it`;
}

/** shapeOutputs — outputs from an observation and its phase. */
export function shapeOutputs(observation: Observation, phase: Phase, ctx: OutputContext): MasterKeyOutputs {
  const driftReasons = phase.reasons.map((r) => r.message);
  if (phase.name === "Uninitialized") driftReasons.push("the instance has no master key yet: the next pulumi up initialises it");
  else if (phase.name !== "Active" && phase.name !== "Diverged") driftReasons.push(unfinished(observation, phase));
  const keyAge = keyAgeAfter(ctx.previousKeyAge, settledKey(phase), ctx.journal, ctx.binding, ctx.now.toISOString());
  const policy = rotationPolicy(ctx.rotationPeriodDays);
  const schedule = rotationSchedule(keyAge, policy, ctx.now);
  const due = dueSentence(schedule, policy, ctx.now, dueAdvice(ctx.keySource, PROVIDER_WORDS));
  if (due !== undefined) driftReasons.push(due);
  if (ctx.desiredVp === null && ctx.keySource === "keyParts") driftReasons.push("the key the declared key part files make is not known yet (the backend opens them): the next pulumi up loads them to learn it, and is done if it is the current key");
  return {
    instanceId: ctx.instanceId,
    backend: ctx.backend,
    verificationPattern: phase.name === "HalfPromoted" || phase.name === "Diverged" ? null : (phase.currentVp ?? null),
    desiredVerificationPattern: ctx.desiredVp,
    phase: phase.name,
    units: observation.units.map(unitOutput),
    rotation: ctx.journal ?? null,
    lastRotatedAt: ctx.journal?.completedAt ?? ctx.previousLastRotatedAt,
    keyAge: keyAge ?? null,
    rotationPeriodDays: ctx.rotationPeriodDays ?? null,
    rotationDueAt: dueAtOf(schedule),
    rotationDue: schedule.state === "due",
    keySource: ctx.keySource,
    generatedFor: ctx.generatedFor,
    driftReasons,
    keyPartFiles: [...ctx.keyPartFiles],
    keyPartIds: [...ctx.keyPartIds],
    lastStep: ctx.lastStep,
    evidence: ctx.evidence,
  };
}
