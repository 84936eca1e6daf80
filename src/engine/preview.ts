import { classify } from "./classify";
import type { Act, Decision } from "./decision";
import { beginStep, endStep, type Journal } from "./journal";
import type { Observation } from "./observation";
import type { PhaseName } from "./phases";
import { plan, type Desired } from "./plan";
import { project } from "./project";

export interface PreviewStep extends Act {
  readonly phase: PhaseName;
}

export interface Preview {
  readonly steps: readonly PreviewStep[];
  /** How the ceremony would end if every step succeeded: done, or the refusal it would meet. */
  readonly end: Exclude<Decision, Act> | { readonly kind: "tooLong" };
}

const PREVIEW_LIMIT = 64;

/** previewCeremony — every step `plan` would take from this observation, assuming each one succeeds. Pure. */
export function previewCeremony(observation: Observation, journal: Journal | undefined, desired: Desired): Preview {
  const steps: PreviewStep[] = [];
  let obs = observation;
  let j = journal;
  for (let i = 0; i < PREVIEW_LIMIT; i++) {
    const phase = classify(obs);
    const decision = plan({ phase, observation: obs, journal: j, desired });
    if (decision.kind !== "act") return { steps, end: decision };
    steps.push({ ...decision, phase: phase.name });
    j = endStep(beginStep(j, decision.action, { now: "preview", newRotationId: () => "preview", currentVp: phase.currentVp }), "ok", "preview");
    obs = project(obs, decision.action);
  }
  return { steps, end: { kind: "tooLong" } };
}
