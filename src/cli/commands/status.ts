import type { RewrapStatus } from "../../engine/port/backend";
import { withBackend } from "../../compose/open-backend";
import type { DivergenceReason, PhaseName } from "../../engine/phases";
import type { Vp } from "../../model/vp";
import type { GlobalOptions } from "../argv";
import { cliConfig } from "../config";
import type { CommandContext } from "../context";
import { viewInstance, type NumberedUnit } from "../instance-view";
import type { Report } from "../report";

export interface StatusOptions extends GlobalOptions {
  readonly instance: string;
}

export interface StatusReport extends Report {
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
 * status — the `cryptounit-mk` and `cryptounit-compare` view of every unit, with the instance's phase. A read: it
 * succeeds for any phase, Diverged included; only an unknown instance or an unreachable backend fails it.
 */
export async function status(opts: StatusOptions, ctx: CommandContext): Promise<StatusReport> {
  return withBackend(cliConfig(opts, ctx), opts.instance, async (backend) => {
    const view = await viewInstance(backend);
    const { phase } = view;
    return {
      command: "status",
      outcome: "ok",
      instanceId: opts.instance,
      backend: backend.description,
      phase: { name: phase.name, currentVp: phase.currentVp ?? null, pendingVp: phase.pendingVp ?? null, reasons: phase.reasons },
      units: view.units,
      rewrap: view.observation.rewrap,
    };
  });
}
