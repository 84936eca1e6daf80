import { knowDeclaredKey, knownVp } from "../../engine/declared-key";
import type { Journal } from "../../engine/journal";
import type { PhaseName } from "../../engine/phases";
import type { Vp } from "../../model/vp";
import { openCeremony, planCeremony, type CeremonyOptions, type PlannedCeremony } from "../ceremony";
import type { CommandContext } from "../context";
import { viewInstance } from "../instance-view";
import type { Report } from "../report";
import { keyAgeReport, type KeyAgeReport } from "../key-age";

export type PlanOptions = CeremonyOptions;

export interface PlanReport extends Report, PlannedCeremony, KeyAgeReport {
  readonly instanceId: string;
  readonly phase: PhaseName;
  readonly currentVp: Vp | null;
  /** The VP of the master key the declared key parts make; null while only a load can tell (files the backend opens). */
  readonly desiredVp: Vp | null;
  /** Where the declared key comes from: `--key-part` files, or a recovery unit (`--recovery-unit-key`). */
  readonly keySource: "keyParts" | "recoveryUnit";
  readonly journalFile: string;
  /** The journaled ceremony the plan continues, if any. */
  readonly journal: { readonly rotationId: string; readonly targetVp: Vp | null; readonly rewrapProof: Journal["rewrapProof"]; readonly completedAt: string | null } | null;
}

/**
 * plan — what `rotate` would do to converge the instance to the declared key parts, step by step, without doing it.
 * Refused (exit 1) when the ceremony would end in a refusal, so scripts can stop before `rotate`.
 */
export async function plan(opts: PlanOptions, ctx: CommandContext): Promise<PlanReport> {
  const ceremony = await openCeremony(opts, ctx);
  try {
    const view = await viewInstance(ceremony.backend);
    const planned = planCeremony(view, ceremony);
    const j = ceremony.journal;
    return {
      command: "plan",
      outcome: planned.end.kind === "done" || planned.end.kind === "keyLearnedAtLoad" || planned.end.kind === "keyGenerated" ? "ok" : planned.end.kind === "refuse" ? "refused" : "failed",
      instanceId: opts.instance,
      phase: view.phase.name,
      currentVp: view.phase.currentVp ?? null,
      desiredVp: knownVp(knowDeclaredKey(ceremony.desired.key, ceremony.journal, ceremony.binding)) ?? null,
      keySource: ceremony.desired.key.kind === "generated" ? "recoveryUnit" : "keyParts",
      journalFile: ceremony.journalFile,
      journal: j ? { rotationId: j.rotationId, targetVp: j.targetVp, rewrapProof: j.rewrapProof, completedAt: j.completedAt } : null,
      ...planned,
      ...keyAgeReport({ instance: opts.instance, binding: ceremony.binding, phase: view.phase, journal: j, periodDays: opts.rotationPeriodDays, record: false, source: opts.recoveryUnitKey ? "recoveryUnit" : "keyParts" }, ctx),
    };
  } finally {
    await ceremony.close();
  }
}
