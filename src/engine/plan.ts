import type { UnitStatus } from "./port/backend";
import type { Capabilities } from "./port/capabilities";
import { sameVp, shortVp, type Vp } from "../model/vp";
import { needsEveryUnitSelected, SIGNATURES_NEEDED, type Action, type ActionKind, type Decision, type Refusal } from "./decision";
import {
  bindUnreportedGeneration,
  journalLostGeneration,
  journalInterruptedGeneration,
  journalInterruptedLoad,
  journalMismatch,
  journalRecordsProof,
  journalShowsLoad,
  journalShowsRewrap,
  type Journal,
  type JournalBinding,
  type ObservedRotation,
} from "./journal";
import { generationUnavailable } from "../model/recovery-units";
import { knowDeclaredKey, knownVp, type DeclaredKey, type KeyKnowledge } from "./declared-key";
import {
  CANNOT_FINISH_STEPS,
  cannotGenerateSteps,
  GENERATED_KEY_LOST_STEPS,
  interruptedGenerationSteps,
  unknownGeneratedKeySteps,
  divergenceSteps,
  foreignPendingSteps,
  foreignPendingGeneratedSteps,
  foreignRewrappingSteps,
  precheckSignersSteps,
  initialisationNotProvenSteps,
  keyPartsMismatchSteps,
  PROMOTED_BEFORE_REWRAP_STEPS,
  rewrapNotProvenSteps,
  unknownPendingKeySteps,
} from "./manual-steps";
import type { Observation } from "./observation";
import type { Phase } from "./phases";
import { attestationFor, attests, situationCode, type Attestation, type Situation } from "./attestation";
import { describeEvidence, rewrapEvidence, rewrapMayHaveStarted, type RewrapEvidence } from "./rewrap-evidence";
import { count, unitsHold } from "../format/words";
import type { ShellWords } from "./shell-words";
import { ACTION_COMMANDS } from "./action-commands";

/** What the user declared: the key the parts make, which administrators' keys can sign, and any attestation. No secrets. */
export interface Desired {
  /** The master key: its VP, or key part files only the backend can open (declared-key.ts). */
  readonly key: DeclaredKey;
  /** SKIs of the signature keys provided. */
  readonly signerSkis: readonly string[];
  /** Where each signature key came from, by SKI, as the user named it (a file, an input): for refusals. */
  readonly signerSources?: Readonly<Record<string, string>>;
  /** How the user's shell names its inputs and commands: every message and manual step uses these. */
  readonly words: ShellWords;
  /**
   * An operator's attestation that key storage is entirely under a VP (attestation.ts). Counts only where the backend
   * cannot report the rewrap and no rewrap can run (a half-promoted instance, an initialisation), only for its VP and
   * the situation it was made for; recorded in the journal before the promotion it allows.
   */
  readonly rewrapAttestation?: Attestation;
}

export interface PlanInput {
  readonly phase: Phase;
  readonly observation: Observation;
  /** The journal as stored; `plan` uses it only when it is bound to this instance, service and rotation. */
  readonly journal: Journal | undefined;
  /** This instance and service: the journal must have been written for them. */
  readonly binding: JournalBinding;
  readonly desired: Desired;
  /** The backend's shape: which commands the plan may use (`rewrap` or the combined `rotate`). */
  readonly capabilities: Pick<Capabilities, "rotation">;
}

// NOTE: plan must stay pure and total. Guards run in a fixed order, cheapest first, each returning early:
// Diverged → declared key conflict → foreign or unknown pending key → target mismatch → rewrap evidence → signers
// pre-check → selection → next step.

const idsOf = (units: readonly UnitStatus[]) => units.map((u) => u.id);

const act = (action: Action, reason: string): Decision => ({ kind: "act", action, reason });

function refuse(code: Refusal["code"], message: string, units: readonly string[], manualSteps: readonly string[], evidence: readonly string[] = []): Refusal {
  return { kind: "refuse", code, message, units, manualSteps, evidence };
}

/** The registers a journal is checked against: the phase's keys and each unit's current and pending key. */
export function observedRegisters(phase: Phase, observation: Observation): Omit<ObservedRotation, "targetVp"> {
  return {
    currentVp: phase.currentVp,
    units: observation.units.map((u) => ({
      id: u.id,
      current: u.current.status === "Valid" ? u.current.vp : undefined,
      pending: u.new.status === "Empty" ? undefined : u.new.vp,
    })),
  };
}

/** What the journal contributes: itself when it describes the rotation to `target` on this instance, else why not. */
export interface JournalEvidence {
  readonly journal: Journal | undefined;
  /** Why a journal that exists was set aside, for refusals and previews. */
  readonly ignored?: string;
}

export function journalEvidence(input: PlanInput, target: Vp): JournalEvidence {
  const { journal, binding, phase, observation } = input;
  if (!journal) return { journal: undefined };
  const mismatch = journalMismatch(journal, binding, { ...observedRegisters(phase, observation), targetVp: target });
  return mismatch === undefined ? { journal } : { journal: undefined, ignored: `the journal ${journal.rotationId} was not used: ${mismatch}` };
}

/**
 * The situation an attestation can be about, or undefined where none counts. Only where no rewrap can run: a
 * half-promoted instance (IBM's rotate pre-check refuses split current registers) and an initialisation (no current
 * key). During a rotation the engine runs the rewrap itself, which proves itself when it returns.
 */
export function attestableSituation(input: Pick<PlanInput, "phase" | "observation" | "binding">, target: Vp): Situation | undefined {
  const { phase, observation, binding } = input;
  if (phase.name === "HalfPromoted") {
    const promoted = observation.units.filter((u) => phase.roles[u.id] === "promoted").map((u) => u.id);
    return { instanceId: binding.instanceId, targetVp: target, fromVp: phase.currentVp, promoted };
  }
  if (phase.currentVp === undefined) return { instanceId: binding.instanceId, targetVp: target, fromVp: undefined, promoted: [] };
  return undefined;
}

/** Why the operator's attestation was not counted, for the evidence lines; undefined when it counted or there is none. */
function attestationSetAside(given: Attestation | undefined, situation: Situation | undefined): string | undefined {
  if (given === undefined) return undefined;
  if (situation === undefined) return "the attestation given was not used: attestations count only where no rewrap can run (a half-promoted instance, an initialisation); here the rewrap runs and proves itself";
  if (attests(given, situation)) return undefined;
  if (!sameVp(given.vp, situation.targetVp)) return `the attestation given was not used: it names ${shortVp(given.vp)}, not the pending key ${shortVp(situation.targetVp)}`;
  return `the attestation given was not used: it was made for another situation (code ${given.code}); this one's is ${situationCode(situation)}`;
}

/** The one rule (rewrap-evidence.ts) with every source this run has: the backend, the bound journal, the attestation. */
function evidenceFor(input: PlanInput, target: Vp): { evidence: RewrapEvidence; journal: JournalEvidence; situation: Situation | undefined; lines: string[] } {
  const journal = journalEvidence(input, target);
  const situation = attestableSituation(input, target);
  const given = input.desired.rewrapAttestation;
  const attestation = situation && attests(given, situation) ? target : undefined;
  const evidence = rewrapEvidence({ report: input.observation.rewrap, journal: journal.journal, attestation }, target);
  const notes = [journal.ignored, attestationSetAside(given, situation)].filter((n): n is string => n !== undefined);
  return { evidence, journal, situation, lines: [describeEvidence(evidence, target), ...notes] };
}

/** The signature keys provided, once each (a key given twice signs once). */
function providedSkis(desired: Desired): readonly string[] {
  return [...new Set(desired.signerSkis)];
}

/** Provided keys that are installed administrators in every unit: the signatures that count on every unit. */
function usableSigners(obs: Observation, desired: Desired): readonly string[] {
  return providedSkis(desired).filter((ski) => obs.units.every((u) => u.admins.some((a) => a.ski === ski)));
}

function signatureThreshold(obs: Observation): number {
  return Math.max(...obs.units.map((u) => u.thresholds.signature));
}

/** What each TKE command of the step (and, when it starts a ceremony, its commit) needs (research §1.3). */
function signaturesNeededSentence(action: Action, threshold: number, startsCeremony: boolean): string {
  const needs = (kind: ActionKind) => {
    const need = SIGNATURES_NEEDED[kind];
    return `${ACTION_COMMANDS[kind].tke ?? kind} needs ${need === "threshold" ? `${count(threshold, "signature")} (the signature threshold)` : count(need, "signature")}`;
  };
  const own = needs(action.kind);
  return startsCeremony && SIGNATURES_NEEDED[action.kind] !== "threshold" ? `${own}, and ${needs("commitNew")}` : own;
}

/** `1.sigkey (SKI 0a1b…)`: a provided key as the user named it. */
function describeSigner(desired: Desired, ski: string): string {
  const source = desired.signerSources?.[ski];
  return source === undefined ? `SKI ${ski}` : `${source} (SKI ${ski})`;
}

/** Every administrator installed in some unit, by name and SKI, with the units that lack it. */
function describeAdministrators(obs: Observation): string {
  const admins = new Map(obs.units.flatMap((u) => u.admins.map((a) => [a.ski, a.name] as const)));
  if (admins.size === 0) return "no administrator is installed in any unit";
  return [...admins]
    .map(([ski, name]) => {
      const lacking = obs.units.filter((u) => !u.admins.some((a) => a.ski === ski)).map((u) => u.id);
      return `${name} (SKI ${ski})${lacking.length > 0 ? `, not in ${lacking.join(", ")}` : ""}`;
    })
    .join("; ");
}

/**
 * Refuses when the signers cannot sign `action`, or (when a ceremony is about to start) cannot sign every step of
 * it: starting a rotation we cannot commit would strand the instance in Loaded. The refusal names which command needs
 * how many signatures, each provided key that does not count, and the administrators that are installed.
 */
function signersPrecheck(obs: Observation, desired: Desired, action: Action, startsCeremony: boolean): Refusal | undefined {
  const need = SIGNATURES_NEEDED[action.kind];
  const threshold = signatureThreshold(obs);
  const required = startsCeremony || need === "threshold" ? threshold : need;
  const usable = usableSigners(obs, desired);
  if (usable.length >= required) return undefined;
  const unusable = providedSkis(desired).filter((ski) => !usable.includes(ski));
  const given =
    providedSkis(desired).length === 0
      ? "no signature key was provided"
      : `the signature keys provided give ${usable.length}${unusable.length > 0 ? `; not an administrator installed in every unit: ${unusable.map((ski) => describeSigner(desired, ski)).join(", ")}` : ""}`;
  return refuse(
    "PrecheckFailed",
    `A common set of administrators is not selected and installed in all crypto units large enough to meet the signature threshold value. Signatures count only from administrators installed in every unit: ${signaturesNeededSentence(action, threshold, startsCeremony)}; ${given}. Installed administrators: ${describeAdministrators(obs)}`,
    idsOf(obs.units),
    precheckSignersSteps(desired.words),
  );
}

/** Selection comes first: TKE commands act on the selected units only. */
function withSelection(obs: Observation, desired: Desired, action: Action, reason: string, startsCeremony = false): Decision {
  const failed = signersPrecheck(obs, desired, action, startsCeremony);
  if (failed) return failed;
  const needSelected = needsEveryUnitSelected(action.kind) ? idsOf(obs.units) : action.units;
  const unselected = obs.units.filter((u) => needSelected.includes(u.id) && !u.selected);
  if (unselected.length > 0) {
    return act({ kind: "select", units: idsOf(unselected), vp: action.vp }, `select ${idsOf(unselected).join(", ")} so that ${action.kind} reaches them`);
  }
  return act(action, reason);
}

/**
 * The step before any promotion to `target`: the proof goes into our journal of this rotation first, so that where
 * the caller persists the journal after every step (the CLI's file) a crash part-way through the promotion leaves
 * the proof behind for a backend that cannot report. (The provider's journal reaches the stack state at the end of a
 * run; without it the next run has the backend's report or the registers, and refuses what they do not prove.)
 */
function recordProofFirst(evidence: RewrapEvidence, journal: Journal | undefined, target: Vp): Decision | undefined {
  if (evidence.state !== "complete" || journalRecordsProof(journal, target)) return undefined;
  switch (evidence.source) {
    case "journal":
      return undefined;
    case "attestation":
    case "backend":
      return act(
        { kind: "recordRewrap", units: [], vp: target, evidence: evidence.source },
        `record in the journal that key storage is entirely under ${shortVp(target)} (${describeEvidence(evidence, target)}) before promoting it`,
      );
  }
}

/** Refuses a promotion that the evidence does not prove, with IBM's manual steps for that evidence. */
function notProven(evidence: RewrapEvidence, lines: readonly string[], target: Vp, units: readonly string[], what: string, situation: Situation | undefined, words: ShellWords): Refusal {
  if (evidence.state === "partial" || evidence.state === "none") {
    return refuse("PromotedBeforeRewrap", `${what}, but ${describeEvidence(evidence, target)}: promoting more units could make records unreadable`, units, PROMOTED_BEFORE_REWRAP_STEPS, lines);
  }
  const attestation = situation ? attestationFor(situation) : `${target}:<code>`;
  const steps = situation?.fromVp === undefined ? initialisationNotProvenSteps(attestation, words) : rewrapNotProvenSteps(attestation, words);
  return refuse("RewrapNotProven", `${what}, but nothing proves that key storage is entirely under ${shortVp(target)}`, units, steps, lines);
}

/** A load of the declared key into `units`: with opaque key parts it names the files, so the journal records what they make. */
function loadAction(desired: Desired, units: readonly string[], vp: Vp | undefined): Action {
  return { kind: "loadNew", units, vp, ...(desired.key.kind === "files" ? { keyPartIds: desired.key.ids } : {}) };
}

const rotatingFrom = (phase: Phase) => (phase.currentVp ? shortVp(phase.currentVp) : "an uninitialised instance");

function startRotation(input: PlanInput, declared: Vp): Decision {
  const { observation: obs, desired, phase } = input;
  if (phase.currentVp === undefined) {
    // No current key: nothing can be rewrapped, so the final promotion needs proof that key storage is empty now.
    const { evidence, lines, situation } = evidenceFor(input, declared);
    if (evidence.state !== "complete") return notProven(evidence, lines, declared, idsOf(obs.units), "initialising the instance ends with set immediate", situation, input.desired.words);
  }
  return withSelection(obs, desired, loadAction(desired, idsOf(obs.units), declared), `load the new master key ${shortVp(declared)} into every unit (rotating from ${rotatingFrom(phase)})`, true);
}

/**
 * The declared key part files only the backend can open, and nothing records what they make: loading them is how it
 * becomes known (the load reports it, and the journal keeps it). A load is harmless on an instance with no pending
 * key: if the files make the current key, nothing is loaded and the instance is converged (SameKeyError); otherwise
 * the rotation goes on from the key it reported. An initialisation's proof that key storage is empty is asked for
 * once the key is known, before anything is promoted.
 */
function learnKey(input: PlanInput): Decision {
  const { observation: obs, desired, phase } = input;
  return withSelection(
    obs,
    desired,
    loadAction(desired, idsOf(obs.units), undefined),
    `load the declared key part files into every unit to learn the key they make (rotating from ${rotatingFrom(phase)}; if they make the current key, nothing is loaded)`,
    true,
  );
}

/** Carries the rotation whose new registers hold `target` one step further; `declared` is the declared key, when known. */
function continueRotation(input: PlanInput, target: Vp, declared: Vp | undefined): Decision {
  const { phase, observation: obs, desired } = input;
  const byRole = (role: string) => obs.units.filter((u) => phase.roles[u.id] === role);
  const all = idsOf(obs.units);
  switch (phase.name) {
    case "Loading": {
      if (declared === undefined || !sameVp(target, declared)) {
        return refuse("CannotFinishRotation", `the rotation to ${shortVp(target)} is only partly loaded and its key parts are not the ones declared; it cannot be finished`, all, CANNOT_FINISH_STEPS);
      }
      const lagging = idsOf(byRole("pendingEmpty"));
      return withSelection(obs, desired, loadAction(desired, lagging, target), `finish loading ${shortVp(target)} on the lagging units ${lagging.join(", ")}`);
    }
    case "Loaded":
    case "Committing": {
      const uncommitted = idsOf(byRole("pendingUncommitted"));
      return withSelection(obs, desired, { kind: "commitNew", units: uncommitted, vp: target }, `commit ${shortVp(target)} on ${uncommitted.join(", ")}`);
    }
    case "Committed":
    case "Rewrapping":
    case "Rewrapped": {
      const { evidence, journal, lines, situation } = evidenceFor(input, target);
      if (evidence.state === "complete") {
        return (
          recordProofFirst(evidence, journal.journal, target) ??
          withSelection(obs, desired, { kind: "setImmediate", units: all, vp: target }, `promote ${shortVp(target)} to the current register on every unit (${describeEvidence(evidence, target)})`)
        );
      }
      // No current key: nothing to rewrap from, and the evidence does not show key storage empty.
      if (phase.currentVp === undefined) return notProven(evidence, lines, target, all, "the instance is being initialised and only set immediate remains", situation, input.desired.words);
      if (input.capabilities.rotation === "combined") {
        return withSelection(
          obs,
          desired,
          { kind: "rotate", units: all, vp: target },
          `rotate to ${shortVp(target)}: rewrap key storage (resumable; records already under it are skipped), then set immediate on every unit`,
        );
      }
      return withSelection(obs, desired, { kind: "rewrap", units: all, vp: target }, `rewrap key storage to ${shortVp(target)} (resumable; records already under it are skipped)`);
    }
    default:
      throw new Error(`continueRotation called in phase ${phase.name}`);
  }
}

/**
 * research §4.4: with the rewrap proven complete, deselect the promoted units (cryptounit-rm), then set immediate on
 * the rest. Never load, clear or rewrap a split instance; never promote one further without proof.
 */
function repairHalfPromoted(input: PlanInput, target: Vp): Decision {
  const { phase, observation: obs, desired } = input;
  const promoted = obs.units.filter((u) => phase.roles[u.id] === "promoted");
  const lagging = obs.units.filter((u) => phase.roles[u.id] === "lagging");
  const { evidence, journal, lines, situation } = evidenceFor(input, target);
  if (evidence.state !== "complete") {
    return notProven(evidence, lines, target, idsOf(obs.units), `units ${idsOf(promoted).join(", ")} already have ${shortVp(target)} as their current key`, situation, input.desired.words);
  }
  const record = recordProofFirst(evidence, journal.journal, target);
  if (record) return record;
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
    `set immediate on the lagging units ${idsOf(lagging).join(", ")} to finish the half-promoted rotation to ${shortVp(target)} (${describeEvidence(evidence, target)})`,
  );
}

/**
 * Units hold pending key `target`, and the declared key part files are not known to make it or not (no load of them
 * reported, and no VP was declared): it may be the interrupted load of ours, or someone else's key. Never guessed.
 */
function unknownPendingKey(input: PlanInput, target: Vp, ids: readonly string[], holding: readonly string[], lines: readonly string[], visibleRewrap: boolean): Refusal {
  const interrupted = journalInterruptedLoad(input.journal, input.binding, ids);
  const ours = interrupted ? `; this tool started loading those files at ${interrupted} and the run stopped before the load reported, so it is most likely theirs` : "";
  return refuse(
    "UnknownPendingKey",
    `${unitsHold(holding)} pending key ${target}, and nothing records which key the declared key part files make${ours}. If ${shortVp(target)} is the key they make, declare it (${input.desired.words.declareVp(target)}) and run again`,
    holding,
    unknownPendingKeySteps(target, ids, input.desired.words, { visibleRewrap }),
    lines,
  );
}

/** The backend itself reports a rewrap to the key begun or done: records may be under it, so it is never cleared. */
function rewrapVisible(evidence: RewrapEvidence): boolean {
  return evidence.state !== "unknown" && evidence.source === "backend" && rewrapMayHaveStarted(evidence);
}

/** What follows the clearing of an abandoned pending key, in the words of the declared key. */
function afterClearing(knowledge: KeyKnowledge): string {
  switch (knowledge.kind) {
    case "known":
      return `rotate to ${shortVp(knowledge.vp)}`;
    case "generate":
      return "generate a new key in a recovery unit";
    case "keep":
      return "keep the current key";
    default:
      return "load the declared key part files";
  }
}

/**
 * The pending key `target` is not the declared one, or the declared key is not known. It may be cleared only when it
 * is provably ours and unused: a key this tool loaded on this instance (bound journal), no rewrap to it begun
 * (journal), and the backend reporting that no record is under it. If a rewrap may have started, the old rotation is
 * finished first.
 */
function abandonedRotation(input: PlanInput, target: Vp, knowledge: KeyKnowledge): Decision {
  const { observation: obs, desired } = input;
  const declared = knownVp(knowledge);
  const holding = idsOf(obs.units.filter((u) => u.new.status !== "Empty"));
  const { evidence, journal, lines } = evidenceFor(input, target);
  if (!journal.journal) {
    if (knowledge.kind === "unknown") return unknownPendingKey(input, target, knowledge.ids, holding, lines, rewrapVisible(evidence));
    const interrupted = desired.key.kind === "generated" ? journalInterruptedGeneration(input.journal, input.binding) : undefined;
    if (interrupted) return unknownGeneratedKey(target, interrupted, holding, lines, desired.words);
    if (desired.key.kind === "generated") {
      return refuse(
        "ForeignPendingKey",
        `${unitsHold(holding)} pending key ${shortVp(target)} that no journal of this instance records; if a run generating a key was stopped, it is most likely that key: declare it (${desired.words.declareVp(target)}) to finish the rotation to it`,
        holding,
        foreignPendingGeneratedSteps(target, desired.words),
        lines,
      );
    }
    const notDeclared = `${unitsHold(holding)} pending key ${shortVp(target)} that no journal of this instance records and that is not the declared key${declared ? ` ${shortVp(declared)}` : ""}`;
    // The backend itself shows records under that key: clearing it would destroy them, whoever loaded it.
    if (rewrapVisible(evidence)) {
      return refuse(
        "ForeignPendingKey",
        `${notDeclared}, and ${describeEvidence(evidence, target)}: someone's rotation to it is under way, so it must be finished, never cleared; declaring that key's key part files, or running ibmcloud tke cryptounit-mk-rotate, finishes it`,
        holding,
        foreignRewrappingSteps(target, desired.words),
        lines,
      );
    }
    return refuse("ForeignPendingKey", `${notDeclared}; find out whose it is (see the steps), and clear it only if it is yours to discard`, holding, foreignPendingSteps(desired.words), lines);
  }
  const ours = journalShowsLoad(journal.journal, target);
  if (ours && !journalShowsRewrap(journal.journal, target) && !rewrapMayHaveStarted(evidence)) {
    return withSelection(obs, desired, { kind: "clearNew", units: holding, vp: target }, `clear the abandoned pending key ${shortVp(target)} (this tool loaded it, and ${describeEvidence(evidence, target)}), then ${afterClearing(knowledge)}`);
  }
  // Clearing now could destroy the only key some records are under: finish the old rotation, then rotate again.
  return continueRotation(input, target, declared);
}

/** The declared VP and what a load of the declared files reported disagree: a person decides which is right. */
function keyPartsMismatch(input: PlanInput, knowledge: Extract<KeyKnowledge, { kind: "conflict" }>): Refusal {
  const holding = idsOf(input.observation.units.filter((u) => u.new.status !== "Empty" && sameVp(u.new.vp, knowledge.madeVp)));
  return refuse(
    "KeyPartsMismatch",
    `the declared key part files make the master key ${knowledge.madeVp} (a load of them reported it${knowledge.at ? ` at ${knowledge.at}` : ""}), not the expected verification pattern ${knowledge.expectedVp}`,
    holding,
    keyPartsMismatchSteps(knowledge.madeVp, knowledge.expectedVp, holding.length > 0, input.desired.words),
  );
}

/**
 * A pending key from a generation of ours whose key nothing recorded (the run stopped between the unit making it and
 * the journal recording it): most likely that one, but never assumed. Declaring it resumes.
 */
function unknownGeneratedKey(target: Vp, startedAt: string, holding: readonly string[], lines: readonly string[], words: ShellWords): Refusal {
  return refuse(
    "UnknownPendingKey",
    `${unitsHold(holding)} pending key ${target}; this tool started generating a key in a recovery unit at ${startedAt} and the run stopped before the key was recorded, so it is most likely that one. If it is, declare it (${words.declareVp(target)}) and run again`,
    holding,
    unknownGeneratedKeySteps(target, words),
    lines,
  );
}

/**
 * The units this tool deselected during the rotation to `current` (the journal's cryptounit-rm steps) and that are
 * still deselected. Units nobody here deselected are someone's choice: converging never changes them.
 */
function deselectedByThisRotation(input: PlanInput, current: Vp): readonly UnitStatus[] {
  const journal = journalEvidence(input, current).journal;
  if (journal === undefined) return [];
  // Whatever the step's recorded outcome: a cryptounit-rm that timed out or whose run was killed may have acted.
  const ours = new Set(journal.steps.filter((s) => s.action === "deselect").flatMap((s) => s.units));
  return input.observation.units.filter((u) => !u.selected && ours.has(u.id));
}

/** Every unit agrees on `current` with no pending key: select again what this rotation deselected, then done. */
function converged(input: PlanInput, current: Vp): Decision {
  const restore = deselectedByThisRotation(input, current);
  if (restore.length > 0) {
    return act({ kind: "select", units: idsOf(restore), vp: current }, `restore the selection: this rotation deselected ${idsOf(restore).join(", ")} (cryptounit-rm) to promote the others`);
  }
  return { kind: "done", vp: current };
}

/** The instance cannot generate a key in a recovery unit here: IBM's reason, and the way that works. */
function cannotGenerate(input: PlanInput, reason: string, initialise: boolean): Refusal {
  return refuse("CannotGenerate", reason, idsOf(input.observation.units), cannotGenerateSteps(initialise, input.desired.words));
}

/** Generates a new key in a recovery unit: auto-mk-rotate whole (combined), or its generation and copies (separate). */
function startGeneration(input: PlanInput, replacing: Vp): Decision {
  const { observation: obs, desired } = input;
  const unavailable = generationUnavailable(obs.units);
  if (unavailable !== undefined) return cannotGenerate(input, unavailable, false);
  const all = idsOf(obs.units);
  if (input.capabilities.rotation === "combined") {
    return withSelection(obs, desired, { kind: "autoRotate", units: all, vp: undefined }, `rotate from ${shortVp(replacing)} to a key generated in a recovery unit (auto-mk-rotate: generate, copy, commit, rewrap, set immediate)`, true);
  }
  return withSelection(obs, desired, { kind: "generateNew", units: all, vp: undefined }, `generate a new master key in a recovery unit and copy it into every unit (rotating from ${shortVp(replacing)}); its VP is journaled before any copy`, true);
}

/**
 * research §4.4 for auto-mk-rotate: a generation of ours may be replaced by a fresh one (IBM: "neither message ⇒ rerun
 * auto-mk-rotate") only while no rewrap to its key can have started: our journal shows we made it and saw neither
 * "Delaying 30 seconds…" nor a rewrap step to it, and the backend reports no rewrap to it. Where the backend cannot
 * report, the registers cannot tell it either (someone may have rewrapped by hand and cleared a unit since): never.
 */
function mayReplaceGenerated(input: PlanInput, pending: Vp): boolean {
  const { evidence, journal } = evidenceFor(input, pending);
  if (!journal.journal || !journalShowsLoad(journal.journal, pending) || journalShowsRewrap(journal.journal, pending)) return false;
  return evidence.state !== "unknown" && !rewrapMayHaveStarted(evidence);
}

/**
 * Carries the generation of `target` one step further: copies it from the recovery unit into the units that lack it
 * (adding a key loses nothing), or replaces it while no rewrap to it can have started; then the rotation goes on as
 * for a loaded key.
 */
function continueGeneration(input: PlanInput, target: Vp): Decision {
  const { phase, observation: obs, desired } = input;
  if (phase.name !== "Loading") return continueRotation(input, target, target);
  const lagging = idsOf(obs.units.filter((u) => phase.roles[u.id] === "pendingEmpty"));
  const holding = idsOf(obs.units.filter((u) => u.new.status !== "Empty"));
  const source = obs.units.some((u) => u.type === "recovery" && u.new.status !== "Empty" && sameVp(u.new.vp, target));
  if (input.capabilities.rotation === "separate" && source) {
    return withSelection(obs, desired, { kind: "copyNew", units: lagging, vp: target }, `finish copying the generated key ${shortVp(target)} from the recovery unit into ${lagging.join(", ")}`);
  }
  if (mayReplaceGenerated(input, target)) {
    // IBM: with neither line of auto-mk-rotate seen, run it again: it generates a fresh key over the partial one.
    if (input.capabilities.rotation === "combined") return startGeneration(input, phase.currentVp as Vp);
    return withSelection(obs, desired, { kind: "clearNew", units: holding, vp: target }, `clear the partly copied key ${shortVp(target)} that no recovery unit holds any more (the backend reports no rewrap to it), then generate again`);
  }
  const { lines } = evidenceFor(input, target);
  return refuse(
    "CannotFinishRotation",
    `the generation of ${shortVp(target)} stopped part-way (${unitsHold(holding)} it, ${lagging.join(", ")} ${lagging.length === 1 ? "does" : "do"} not), and nothing proves that no key storage rewrap to it started, so it is neither copied further nor replaced`,
    idsOf(obs.units),
    interruptedGenerationSteps(target, input.desired.words),
    lines,
  );
}

/**
 * A key generated in a recovery unit (`auto-mk-rotate`, research §4.3): the key under way is the one our journal
 * recorded the generation making, or a declared one. Once a rewrap to it may have started it is only ever finished,
 * never replaced by another generation (IBM: "Do not rerun the ibmcloud tke auto-mk-rotate command").
 */
function planGenerated(input: PlanInput, knowledge: KeyKnowledge): Decision {
  const { phase, observation: obs, desired } = input;
  const replacing = desired.key.kind === "generated" ? desired.key.replacing : undefined;
  const declared = knownVp(knowledge);
  switch (phase.name) {
    case "HalfPromoted":
      return repairHalfPromoted(input, phase.pendingVp as Vp);
    case "Uninitialized":
      return cannotGenerate(input, "the instance has no current master key to rotate from: an instance with recovery units is initialised with ibmcloud tke auto-init", true);
    case "Active": {
      const current = phase.currentVp as Vp;
      // A generation of ours promoted everywhere: done, even where the caller still names the old key as the one to replace.
      if (declared && sameVp(current, declared)) return converged(input, current);
      // The generated key is in no unit any more, although a rewrap to it may have started: never generate another.
      const lostUnreported = journalLostGeneration(input.journal, input.binding, observedRegisters(phase, obs));
      if (lostUnreported !== undefined) {
        return refuse(
          "CannotFinishRotation",
          `the key auto-mk-rotate generated (it printed "Delaying 30 seconds…" at ${lostUnreported}, never the key) is in no unit any more, although a key storage rewrap to it may have started; another key must not be generated`,
          idsOf(obs.units),
          GENERATED_KEY_LOST_STEPS,
        );
      }
      if (declared && !sameVp(current, declared) && knowledge.kind === "known" && knowledge.source === "learned" && journalShowsRewrap(input.journal, declared)) {
        return refuse(
          "CannotFinishRotation",
          `the key ${shortVp(declared)} this tool generated is in no unit any more, although a key storage rewrap to it may have started; another key must not be generated`,
          idsOf(obs.units),
          GENERATED_KEY_LOST_STEPS,
        );
      }
      return replacing !== undefined && sameVp(current, replacing) ? startGeneration(input, current) : converged(input, current);
    }
    default: {
      const target = phase.pendingVp as Vp;
      return declared && sameVp(target, declared) ? continueGeneration(input, target) : abandonedRotation(input, target, knowledge);
    }
  }
}

/** The input with an auto-mk-rotate of ours whose key was never reported bound to the key the registers name (journal.ts). */
export function withBoundGeneration(input: PlanInput): PlanInput {
  const journal = bindUnreportedGeneration(input.journal, input.binding, observedRegisters(input.phase, input.observation));
  return journal === input.journal ? input : { ...input, journal };
}

/** plan — the next single safe step, done, or a refusal with the manual TKE steps (DESIGN §4 decision table). */
export function plan(given: PlanInput): Decision {
  const input = withBoundGeneration(given);
  const { phase } = input;
  if (phase.name === "Diverged") {
    return refuse(
      "Diverged",
      `the instance is in a state this tool will not change: ${phase.reasons.map((r) => r.message).join("; ")}`,
      [...new Set(phase.reasons.flatMap((r) => r.units))],
      divergenceSteps(phase.reasons.map((r) => r.code)),
    );
  }
  const knowledge = knowDeclaredKey(input.desired.key, input.journal, input.binding);
  if (knowledge.kind === "conflict") return keyPartsMismatch(input, knowledge);
  if (input.desired.key.kind === "generated") return planGenerated(input, knowledge);
  const declared = knownVp(knowledge);
  switch (phase.name) {
    case "Uninitialized":
      return declared ? startRotation(input, declared) : learnKey(input);
    case "Active": {
      if (declared && phase.currentVp !== undefined && sameVp(phase.currentVp, declared)) return converged(input, phase.currentVp);
      return declared ? startRotation(input, declared) : learnKey(input);
    }
    case "HalfPromoted":
      return repairHalfPromoted(input, phase.pendingVp as Vp);
    default: {
      const target = phase.pendingVp as Vp;
      return declared && sameVp(target, declared) ? continueRotation(input, target, declared) : abandonedRotation(input, target, knowledge);
    }
  }
}
