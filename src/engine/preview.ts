import { classify } from "./classify";
import type { Act, Decision } from "./decision";
import { beginStep, endStep, type Journal, type JournalBinding } from "./journal";
import type { Observation } from "./observation";
import type { PhaseName } from "./phases";
import { observedRegisters, plan, type Desired, type PlanInput } from "./plan";
import { project } from "./project";

export interface PreviewStep extends Act {
  readonly phase: PhaseName;
}

export interface Preview {
  readonly steps: readonly PreviewStep[];
  /**
   * How the ceremony would end if every step succeeded: done, or the refusal it would meet. `keyLearnedAtLoad`: the
   * last step loads key part files whose key is not known yet; what follows depends on the key that load reports.
   * `keyGenerated`: the last step generates a key in a recovery unit (and, for auto-mk-rotate, rotates to it).
   */
  readonly end: Exclude<Decision, Act> | { readonly kind: "tooLong" } | { readonly kind: "keyLearnedAtLoad" } | { readonly kind: "keyGenerated" };
}

const PREVIEW_LIMIT = 64;

export interface PreviewInput {
  readonly observation: Observation;
  readonly journal: Journal | undefined;
  readonly binding: JournalBinding;
  readonly desired: Desired;
  readonly capabilities: PlanInput["capabilities"];
}

/** previewCeremony — every step `plan` would take from this observation, assuming each one succeeds. Pure. */
export function previewCeremony(input: PreviewInput): Preview {
  const { binding, desired, capabilities } = input;
  const steps: PreviewStep[] = [];
  let obs = input.observation;
  let journal = input.journal;
  for (let i = 0; i < PREVIEW_LIMIT; i++) {
    const phase = classify(obs);
    const decision = plan({ phase, observation: obs, journal, binding, desired, capabilities });
    if (decision.kind !== "act") return { steps, end: decision };
    steps.push({ ...decision, phase: phase.name });
    if (decision.action.vp === undefined && decision.action.kind === "loadNew") return { steps, end: { kind: "keyLearnedAtLoad" } };
    if (decision.action.kind === "generateNew" || decision.action.kind === "autoRotate") return { steps, end: { kind: "keyGenerated" } };
    const context = { now: "preview", newRotationId: () => "preview", binding, observed: observedRegisters(phase, obs) };
    journal = endStep(beginStep(journal, decision.action, context), decision.action, "ok", "preview");
    obs = project(obs, decision.action);
  }
  return { steps, end: { kind: "tooLong" } };
}
