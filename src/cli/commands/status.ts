import type { RewrapStatus } from "../../engine/port/backend";
import { withBackend } from "../../compose/open-backend";
import type { DivergenceReason, PhaseName } from "../../engine/phases";
import type { Vp } from "../../model/vp";
import type { GlobalOptions } from "../argv";
import { cliConfig } from "../config";
import type { CommandContext } from "../context";
import { viewInstance, type NumberedUnit } from "../instance-view";
import type { Report } from "../report";
import { journalBinding } from "../../engine/journal";
import { defaultJournalFile, readJournalFile } from "../journal-file";
import { keyAgeReport, type KeyAgeReport } from "../key-age";

export interface StatusOptions extends GlobalOptions {
  readonly instance: string;
  /** The cryptoperiod to judge the key's age by: with it, a due rotation is outcome `due` (exit code 3). */
  readonly rotationPeriodDays: number | undefined;
  /** The instance's keys are generated in a recovery unit (`--recovery-unit-key`): what a due rotation asks for. */
  readonly recoveryUnitKey: boolean;
}

export interface StatusReport extends Report, KeyAgeReport {
  readonly instanceId: string;
  /** Which backend answered, e.g. `simulator (/path/.hpcs-sim)`. */
  readonly backend: string;
  readonly phase: {
    readonly name: PhaseName;
    /** The key every unit agrees on as current (absent when Empty or split). */
    readonly currentVp: Vp | null;
    /** The rotation target: what the new registers hold, or what promoted units already hold (HalfPromoted). */
    readonly pendingVp: Vp | null;
    /** Non-empty exactly when the phase is Diverged. */
    readonly reasons: readonly DivergenceReason[];
  };
  readonly units: readonly NumberedUnit[];
  readonly rewrap: RewrapStatus;
}

/**
 * status — the `cryptounit-mk` and `cryptounit-compare` view of every unit, with the instance's phase and the current
 * key's age. A read (of the instance and of this workstation's records): it succeeds for any phase, Diverged included;
 * only an unknown instance or an unreachable backend fails it. With a rotation policy, a due rotation is its own outcome.
 */
export async function status(opts: StatusOptions, ctx: CommandContext): Promise<StatusReport> {
  return withBackend(cliConfig(opts, ctx), opts.instance, async (backend) => {
    const view = await viewInstance(backend);
    const { phase } = view;
    const journal = readJournalFile(defaultJournalFile(ctx.cwd, opts.instance));
    // The first sight of a key is recorded here too (a fact about this workstation's records, not a change to the
    // instance): otherwise a key only ever read by status would count as first seen at every run, and never fall due.
    const age = keyAgeReport({ instance: opts.instance, binding: journalBinding(backend), phase, journal, periodDays: opts.rotationPeriodDays, record: true, source: opts.recoveryUnitKey ? "recoveryUnit" : "keyParts" }, ctx);
    return {
      command: "status",
      outcome: age.rotationPolicy?.due ? "due" : "ok",
      instanceId: opts.instance,
      backend: backend.description,
      phase: { name: phase.name, currentVp: phase.currentVp ?? null, pendingVp: phase.pendingVp ?? null, reasons: phase.reasons },
      units: view.units,
      rewrap: view.observation.rewrap,
      ...age,
    };
  });
}
