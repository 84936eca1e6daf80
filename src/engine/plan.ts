import type { UnitStatus } from "../backends/backend";
import { sameVp, shortVp, type Vp } from "../model/vp";
import { SIGNATURES_NEEDED, type Action, type Decision, type Refusal } from "./decision";
import { journalShowsRewrap, type Journal } from "./journal";
import { CANNOT_FINISH_STEPS, DIVERGENCE_STEPS, FOREIGN_PENDING_STEPS, PRECHECK_SIGNERS_STEPS } from "./manual-steps";
import type { Observation } from "./observation";
import type { Phase } from "./phases";

/** What the user declared: the key the parts make, and which administrators' keys can sign. No secrets. */
export interface Desired {
  readonly vp: Vp;
  /** SKIs of the signature keys provided. */
  readonly signerSkis: readonly string[];
}

export interface PlanInput {
  readonly phase: Phase;
  readonly observation: Observation;
  readonly journal: Journal | undefined;
  readonly desired: Desired;
}

// NOTE: plan must stay pure and total. Guards run in a fixed order, cheapest first, each returning early:
// Diverged → foreign pending key → target mismatch → signers pre-check → selection → next step.

const idsOf = (units: readonly UnitStatus[]) => units.map((u) => u.id);

const act = (action: Action, reason: string): Decision => ({ kind: "act", action, reason });

function refuse(code: Refusal["code"], message: string, units: readonly string[], manualSteps: readonly string[]): Refusal {
  return { kind: "refuse", code, message, units, manualSteps };
}

/** Signatures the signers can give on every unit: provided keys that are installed administrators everywhere. */
function usableSigners(obs: Observation, desired: Desired): number {
  return desired.signerSkis.filter((ski) => obs.units.every((u) => u.admins.some((a) => a.ski === ski))).length;
}

function signatureThreshold(obs: Observation): number {
  return Math.max(...obs.units.map((u) => u.thresholds.signature));
}

/**
 * Refuses when the signers cannot sign `action`, or (when a ceremony is about to start) cannot sign every step of
 * it: starting a rotation we cannot commit would strand the instance in Loaded.
 */
function signersPrecheck(obs: Observation, desired: Desired, action: Action, startsCeremony: boolean): Refusal | undefined {
  const need = SIGNATURES_NEEDED[action.kind];
  const required = startsCeremony || need === "threshold" ? signatureThreshold(obs) : need;
  const usable = usableSigners(obs, desired);
  if (usable >= required) return undefined;
  return refuse(
    "PrecheckFailed",
    `A common set of administrators is not selected and installed in all crypto units large enough to meet the signature threshold value: ${action.kind} needs ${required} signature(s) from installed administrators, and the signature keys provided give ${usable}`,
    idsOf(obs.units),
    PRECHECK_SIGNERS_STEPS,
  );
}

/** Selection comes first: TKE commands act on the selected units only. */
function withSelection(obs: Observation, desired: Desired, action: Action, reason: string, startsCeremony = false): Decision {
  const failed = signersPrecheck(obs, desired, action, startsCeremony);
  if (failed) return failed;
  const needSelected = action.kind === "rewrap" ? idsOf(obs.units) : action.units;
  const unselected = obs.units.filter((u) => needSelected.includes(u.id) && !u.selected);
  if (unselected.length > 0) {
    return act({ kind: "select", units: idsOf(unselected), vp: action.vp }, `select ${idsOf(unselected).join(", ")} so that ${action.kind} reaches them`);
  }
  return act(action, reason);
}

/** Evidence that key storage may already be (partly) under `vp`: after that, clearing `vp` could lose it. */
function rewrapMayHaveStarted(obs: Observation, journal: Journal | undefined, vp: Vp): boolean {
  const r = obs.rewrap;
  if (r.state === "unknown") return true;
  if ((r.state === "inProgress" || r.state === "complete") && sameVp(r.targetVp, vp)) return true;
  return journalShowsRewrap(journal, vp);
}

const journalProves = (journal: Journal | undefined, vp: Vp) => typeof journal?.rewrapCompletedFor === "string" && sameVp(journal.rewrapCompletedFor, vp);

/**
 * Evidence that key storage is entirely under `vp`, enough to promote it: the backend says so; or, when the backend
 * cannot report (TKE CLI), our journal recorded it. A backend that can report wins over an older journal entry.
 */
function rewrapProven(input: PlanInput, vp: Vp): boolean {
  return input.phase.name === "Rewrapped" || (input.observation.rewrap.state === "unknown" && journalProves(input.journal, vp));
}

function startRotation(input: PlanInput): Decision {
  const { observation: obs, desired, phase } = input;
  const from = phase.currentVp ? shortVp(phase.currentVp) : "an uninitialised instance";
  return withSelection(
    obs,
    desired,
    { kind: "loadNew", units: idsOf(obs.units), vp: desired.vp },
    `load the new master key ${shortVp(desired.vp)} into every unit (rotating from ${from})`,
    true,
  );
}

/** Carries the rotation whose new registers hold `target` one step further. */
function continueRotation(input: PlanInput, target: Vp): Decision {
  const { phase, observation: obs, journal, desired } = input;
  const byRole = (role: string) => obs.units.filter((u) => phase.roles[u.id] === role);
  const all = idsOf(obs.units);
  switch (phase.name) {
    case "Loading": {
      if (!sameVp(target, desired.vp)) {
        return refuse("CannotFinishRotation", `the rotation to ${shortVp(target)} is only partly loaded and its key parts are not the ones declared; it cannot be finished`, all, CANNOT_FINISH_STEPS);
      }
      const lagging = idsOf(byRole("pendingEmpty"));
      return withSelection(obs, desired, { kind: "loadNew", units: lagging, vp: target }, `finish loading ${shortVp(target)} on the lagging units ${lagging.join(", ")}`);
    }
    case "Loaded":
    case "Committing": {
      const uncommitted = idsOf(byRole("pendingUncommitted"));
      return withSelection(obs, desired, { kind: "commitNew", units: uncommitted, vp: target }, `commit ${shortVp(target)} on ${uncommitted.join(", ")}`);
    }
    case "Committed":
    case "Rewrapping":
    case "Rewrapped": {
      // No current key means no key storage can exist (classify makes that Diverged): nothing to rewrap.
      if (phase.currentVp === undefined || (rewrapProven(input, target) && journalProves(journal, target))) {
        return withSelection(obs, desired, { kind: "setImmediate", units: all, vp: target }, `promote ${shortVp(target)} to the current register on every unit`);
      }
      if (rewrapProven(input, target)) {
        // The backend proved it; the journal must say so durably before any promotion.
        return act({ kind: "recordRewrap", units: [], vp: target }, `record that key storage is entirely under ${shortVp(target)} before promoting it`);
      }
      return withSelection(obs, desired, { kind: "rewrap", units: all, vp: target }, `rewrap key storage to ${shortVp(target)} (resumable; records already under it are skipped)`);
    }
    default:
      throw new Error(`continueRotation called in phase ${phase.name}`);
  }
}

/** research §4.4: deselect the promoted units (cryptounit-rm), then set immediate on the rest. Never load, clear or rewrap. */
function repairHalfPromoted(input: PlanInput, target: Vp): Decision {
  const { phase, observation: obs, journal, desired } = input;
  // A promoted unit proves rewrap finished: promotion only ever follows a complete rewrap.
  if (!journalProves(journal, target)) {
    return act({ kind: "recordRewrap", units: [], vp: target }, `record that key storage is under ${shortVp(target)}: a unit is already promoted, which only follows a complete rewrap`);
  }
  const promoted = obs.units.filter((u) => phase.roles[u.id] === "promoted");
  const lagging = obs.units.filter((u) => phase.roles[u.id] === "lagging");
  const stillSelected = promoted.filter((u) => u.selected);
  if (stillSelected.length > 0) {
    return act(
      { kind: "deselect", units: idsOf(stillSelected), vp: target },
      `deselect the already promoted units ${idsOf(stillSelected).join(", ")} (cryptounit-rm) so set immediate reaches only the lagging ones`,
    );
  }
  return withSelection(
    obs,
    desired,
    { kind: "setImmediate", units: idsOf(lagging), vp: target },
    `set immediate on the lagging units ${idsOf(lagging).join(", ")} to finish the half-promoted rotation to ${shortVp(target)}`,
  );
}

/** plan — the next single safe step, done, or a refusal with the manual TKE steps (DESIGN §4 decision table). */
export function plan(input: PlanInput): Decision {
  const { phase, observation: obs, journal, desired } = input;
  switch (phase.name) {
    case "Diverged":
      return refuse(
        "Diverged",
        `the instance is in a state this tool will not change: ${phase.reasons.map((r) => r.message).join("; ")}`,
        [...new Set(phase.reasons.flatMap((r) => r.units))],
        [...new Set(phase.reasons.flatMap((r) => DIVERGENCE_STEPS[r.code]))],
      );
    case "Uninitialized":
      return startRotation(input);
    case "Active": {
      if (phase.currentVp !== undefined && sameVp(phase.currentVp, desired.vp)) {
        const unselected = obs.units.filter((u) => !u.selected);
        if (unselected.length > 0) {
          return act({ kind: "select", units: idsOf(unselected), vp: desired.vp }, `restore the selection of every unit (${idsOf(unselected).join(", ")} ${unselected.length === 1 ? "was" : "were"} deselected)`);
        }
        return { kind: "done", vp: phase.currentVp };
      }
      return startRotation(input);
    }
    case "HalfPromoted":
      return repairHalfPromoted(input, phase.pendingVp as Vp);
    default: {
      const target = phase.pendingVp as Vp;
      if (sameVp(target, desired.vp)) return continueRotation(input, target);
      if (!journal || !sameVp(journal.targetVp, target)) {
        const holding = obs.units.filter((u) => u.new.status !== "Empty");
        return refuse(
          "ForeignPendingKey",
          `units ${idsOf(holding).join(", ")} hold pending key ${shortVp(target)} that no journal records and that is not the declared key ${shortVp(desired.vp)}; run "hpcs-mk status", then clear it only if it is yours to discard`,
          idsOf(holding),
          FOREIGN_PENDING_STEPS,
        );
      }
      if (rewrapMayHaveStarted(obs, journal, target)) {
        // Clearing now could destroy the only key some records are under: finish the old rotation, then rotate again.
        return continueRotation(input, target);
      }
      const holding = idsOf(obs.units.filter((u) => u.new.status !== "Empty"));
      return withSelection(
        obs,
        desired,
        { kind: "clearNew", units: holding, vp: target },
        `clear the abandoned pending key ${shortVp(target)} (no rewrap to it can have started), then rotate to ${shortVp(desired.vp)}`,
      );
    }
  }
}
