import type { RewrapStatus, UnitStatus } from "../../src/engine/port/backend";
import { classify } from "../../src/engine/classify";
import type { Action, Decision } from "../../src/engine/decision";
import { EXAMPLE_BINDING, exampleJournal } from "../../src/engine/decision-table";
import type { Journal } from "../../src/engine/journal";
import { attestableSituation, observedRegisters, plan, type Desired } from "../../src/engine/plan";
import { situationCode } from "../../src/engine/attestation";
import { beginStep, endStep } from "../../src/engine/journal";
import type { Observation } from "../../src/engine/observation";
import type { Phase } from "../../src/engine/phases";
import { project } from "../../src/engine/project";
import { sameVp, type Vp } from "../../src/model/vp";
import { CAPABILITY_CHOICES, type Capabilities } from "../../src/engine/port/capabilities";
import { DESIRED, obs, unit, VP } from "./observations";
import { allUnder, clearsJobTarget, holds, readers, reportsOf, type Truth } from "./ground-truth";

/**
 * Every register combination of 2 and 3 units over three keys, against every state key storage can really be in
 * (the ground truth: which key each record is under) and every report a backend can give of it (faithful, or
 * unknown), every journal (ours and true, or one that must not count: an earlier release's, another instance's, a
 * closed or a mismatched one) and attestation, and every way the key can be declared (its VP; key part files only the
 * backend opens, whose key is unknown, learned by a journal, or declared rightly or wrongly). Each planned step is
 * judged by applying it to the ground truth, not by a rule copied from `plan`: no unit may lose the ability to read a
 * record it could read before the step (DESIGN §4 invariants 1–3, 6). A check that restated `plan`'s rules could not
 * find their bugs.
 */
const { X, T, D } = VP;
/** The declared key part files: in the ground truth they make D, whatever anyone declares or claims. */
const FILES_MAKE = D;
const FILE_IDS = ["1f".repeat(32), "2e".repeat(32)];
const AT = "2026-01-01T00:00:00.000Z";
const CURRENTS = ["-", X, D] as const;
const NEWS = ["-", `u:${D}`, `c:${D}`, `u:${T}`, `c:${T}`, `c:${X}`] as const;
const TRUTHS: Truth[] = [[], [X, X], [T, T], [D, D], [X, T], [X, D], [T, D]];

const step = (action: Action["kind"], vp: Vp | null, outcome: "started" | "ok" | "failed" = "ok") => ({ action, units: ["u1"], vp, outcome, at: AT, message: null });
const learned = (madeVp: Vp | null) => ({ keyParts: { ids: FILE_IDS, madeVp, at: madeVp && AT } });
const proof = (vp: Vp, source: "rewrap" | "marker" = "rewrap") => ({ rewrapProof: { vp, source, at: "2026-01-01T00:00:00.000Z" } });
/** The history that earns a proof: our load, commit and rewrap (a separate backend), or our rotate's marker (a combined one). */
const proven = (vp: Vp) => [
  { ...proof(vp), steps: [step("loadNew", vp), step("commitNew", vp), step("rewrap", vp)] },
  { ...proof(vp, "marker"), steps: [step("loadNew", vp), step("commitNew", vp), step("rotate", vp, "started")] },
];

/**
 * Journals: ours (bound, open, from X) only ever claim what is true (a rewrap proof only when every record is under
 * its key: the one thing a journal may prove); journals that must never count claim anything. And ours from an
 * earlier ceremony, never closed, whose proof is no longer true: the instance went back to another key by hand since.
 * Those are generated where the registers keep a trace of that history (some unit holds the proven key in neither
 * register); an operator who, between two runs, rotated away and then loaded and committed the same key again on
 * every unit leaves no trace, and that stays with the operator (docs/safety.md).
 */
function journalsFor(truth: Truth, units: readonly UnitStatus[]): (Journal | undefined)[] {
  const ours = (target: Vp, extra: Partial<Journal> = {}) => exampleJournal(target, { fromVp: X, steps: [step("loadNew", target)], ...extra });
  const journals: (Journal | undefined)[] = [
    undefined,
    ours(T),
    ours(D),
    ours(T, { steps: [step("loadNew", T), step("rewrap", T, "failed")] }),
    ours(T, { fromVp: null }),
    exampleJournal(T, { steps: [step("select", T)] }),
    // Never evidence, whatever they claim.
    ours(T, { ...proof(T), binding: null }),
    ours(D, { ...proof(D), binding: { ...EXAMPLE_BINDING, instanceId: "another-instance" } }),
    ours(D, { ...proof(D), binding: { ...EXAMPLE_BINDING, backend: "another-service" } }),
    ours(D, { ...proof(D), completedAt: "2026-01-02T00:00:00.000Z" }),
    ours(T, { ...proof(T), completedAt: "2026-01-02T00:00:00.000Z" }),
    ours(D, { ...proof(D), fromVp: T }),
    ours(T, { ...proof(T), steps: [step("loadNew", T), { ...step("setImmediate", T), units: ["u1", "u2"] }] }),
    // An earlier ceremony to the same key: its proof came before the key was loaded again.
    ours(D, { ...proof(D), steps: [step("loadNew", D), step("rewrap", D), step("loadNew", D)] }),
    // Ours, recording what the declared key part files make (true: D), open and closed; our load of them that never
    // reported; and journals that must never count claiming they make another key.
    ours(FILES_MAKE, learned(FILES_MAKE)),
    ours(FILES_MAKE, { ...learned(FILES_MAKE), completedAt: "2026-01-02T00:00:00.000Z" }),
    exampleJournal(FILES_MAKE, { targetVp: null, fromVp: X, ...learned(null), steps: [step("loadNew", null, "started")] }),
    ours(T, { ...learned(T), binding: null }),
    ours(T, { ...learned(T), binding: { ...EXAMPLE_BINDING, instanceId: "another-instance" } }),
  ];
  for (const target of [T, D]) {
    if (allUnder(truth, target)) journals.push(...proven(target).flatMap((history) => [ours(target, history), ours(target, { ...history, fromVp: null })]));
    else if (units.some((u) => !holds(u, target))) journals.push(ours(target, { ...proof(target), steps: [step("loadNew", target), step("rewrap", target)] }));
  }
  return journals;
}

/**
 * How the key is declared: by its VP (the parts' values were opened), or as key part files only the backend opens,
 * whose key is not declared (learned from a load, or from our journal), declared rightly, or declared wrongly.
 */
const DECLARED: readonly Desired[] = [
  DESIRED,
  { ...DESIRED, key: { kind: "files", ids: FILE_IDS } },
  { ...DESIRED, key: { kind: "files", ids: FILE_IDS, expectedVp: FILES_MAKE } },
  { ...DESIRED, key: { kind: "files", ids: FILE_IDS, expectedVp: T } },
];

/** The key the user declared: what a load must be bound to, and what done must mean. The files' own key when not declared. */
const declaredVp = (desired: Desired): Vp => (desired.key.kind === "vp" ? desired.key.vp : (desired.key.expectedVp ?? FILES_MAKE));

/**
 * Attestations, for the key declared by its VP and as files whose key is not declared: none; an honest operator's, made
 * for the situation (the code the refusal prints) and naming the key every record is under; and, for every key, one
 * made for another situation (written ahead of time, or left from an earlier repair), which must never count,
 * whatever it claims.
 */
function desiredFor(truth: Truth, phase: Phase, observation: Observation): Desired[] {
  const desired: Desired[] = [...DECLARED];
  for (const declared of DECLARED.slice(0, 2)) {
    for (const vp of [X, T, D]) {
      desired.push({ ...declared, rewrapAttestation: { vp, code: "00000000" } });
      const situation = attestableSituation({ phase, observation, binding: EXAMPLE_BINDING }, vp);
      if (situation && allUnder(truth, vp)) desired.push({ ...declared, rewrapAttestation: { vp, code: situationCode(situation) } });
    }
  }
  return desired;
}

/** The steps that move key storage: the separate rewrap, and the combined rotate (rewrap, then set immediate on every unit). */
const rewraps = (action: Action) => action.kind === "rewrap" || action.kind === "rotate";

/**
 * What a load reports: the key part files make FILES_MAKE whatever the load was bound to (a backend that opens them
 * cannot be told), and a unit that has it as current refuses it (SameKeyError): nothing is loaded anywhere then.
 */
function loadResult(units: readonly UnitStatus[], action: Action): { outcome: "ok" | "failed"; madeVp: Vp; loads: boolean } {
  const same = units.some((u) => action.units.includes(u.id) && u.current.status === "Valid" && sameVp(u.current.vp, FILES_MAKE));
  if (same) return { outcome: "failed", madeVp: FILES_MAKE, loads: false };
  return { outcome: action.vp === undefined || sameVp(action.vp, FILES_MAKE) ? "ok" : "failed", madeVp: FILES_MAKE, loads: true };
}

/** The ground truth after `action`: registers as the TKE commands change them, records moved by a rewrap. */
function apply(units: readonly UnitStatus[], truth: Truth, action: Action): { units: readonly UnitStatus[]; truth: Truth } {
  if (action.kind === "loadNew") {
    const load = loadResult(units, action);
    return { units: load.loads ? project({ units, rewrap: { state: "unknown" } }, { ...action, vp: load.madeVp }).units : units, truth };
  }
  const after = project({ units, rewrap: { state: "unknown" } }, action).units;
  return { units: after, truth: rewraps(action) && action.vp !== undefined ? truth.map(() => action.vp as Vp) : truth };
}

/** The losses `action` causes: a unit that could read a record before and cannot after. */
function losses(units: readonly UnitStatus[], truth: Truth, action: Action): string[] {
  const before = readers(units, truth);
  const next = apply(units, truth, action);
  const after = readers(next.units, next.truth);
  return before.flatMap((ids, record) => ids.filter((id) => !after[record].includes(id)).map((id) => `record ${record} (under ${truth[record].slice(0, 2)}) on ${id}`));
}

/** What the backend reports after `action`: a backend that reports the rewrap reports it done; one that cannot, still cannot. */
function reportAfter(report: RewrapStatus, truth: Truth, action: Action): RewrapStatus {
  if (!rewraps(action) || report.state === "unknown" || action.vp === undefined) return report;
  return { state: "complete", targetVp: action.vp, records: truth.length };
}

/** The journal after `action`, as the executor records it: a load with what it reported the files to make. */
function journalAfter(began: Journal, action: Action, units: readonly UnitStatus[]): Journal {
  if (action.kind !== "loadNew") return endStep(began, action, "ok", "t");
  const { outcome, madeVp } = loadResult(units, action);
  return endStep(began, action, outcome, "t", { madeVp });
}

/** Judges one step against the ground truth: what it would lose, and anything else no plan may do. */
function judge(units: readonly UnitStatus[], truth: Truth, report: RewrapStatus, action: Action, rotation: Capabilities["rotation"], desired: Desired): string[] {
  const problems: string[] = [];
  const ids = units.map((u) => u.id);
  const targeted = units.filter((u) => action.units.includes(u.id));
  if (!action.units.every((id) => ids.includes(id))) problems.push(`unknown unit in ${action.kind}`);
  if (["loadNew", "commitNew", "clearNew", "setImmediate", "select", "deselect"].includes(action.kind) && action.units.length === 0) problems.push(`${action.kind} on no unit`);
  if (["loadNew", "commitNew", "clearNew", "setImmediate"].includes(action.kind) && targeted.some((u) => !u.selected)) problems.push(`${action.kind} on a deselected unit`);
  if (rewraps(action) && units.some((u) => !u.selected)) problems.push(`${action.kind} without every unit selected`);
  // cryptounit-mk-rotate's pre-check: every current register Valid and equal, every new register committed with the target.
  if (rewraps(action) && !units.every((u) => u.current.status === "Valid" && sameVp(u.current.vp, units[0].current.vp) && u.new.status === "Full Committed" && action.vp !== undefined && sameVp(u.new.vp, action.vp))) {
    problems.push(`${action.kind} on an instance its pre-check refuses`);
  }
  if (action.kind === (rotation === "combined" ? "rewrap" : "rotate")) problems.push(`${action.kind} is not a command of a ${rotation} backend`);
  // A load is bound to the declared key; only key part files whose key nobody declared are loaded unbound.
  if (action.kind === "loadNew" && (action.vp === undefined ? desired.key.kind !== "files" : !sameVp(action.vp, declaredVp(desired)))) problems.push(`loadNew of an undeclared key ${action.vp?.slice(0, 2)}`);
  if (action.kind === "loadNew" && targeted.some((u) => u.new.status !== "Empty")) problems.push("loadNew into an occupied new register");
  if (action.kind === "setImmediate" && !targeted.every((u) => u.new.status === "Full Committed" && sameVp(u.new.vp, action.vp))) problems.push("setImmediate on a unit without it committed");
  if (action.vp === undefined && action.kind !== "loadNew" && action.kind !== "select") problems.push(`${action.kind} bound to no key`);
  // A recorded proof is a claim about key storage: the truth must bear it out.
  if (action.kind === "recordRewrap" && !allUnder(truth, action.vp)) problems.push(`recordRewrap of ${action.vp.slice(0, 2)} while records are under ${[...new Set(truth)].map((v) => v.slice(0, 2))}`);
  // The ground truth judges the step: after it, every unit still reads every record it could read.
  const clearsTarget = clearsJobTarget(units, report, action);
  if (clearsTarget) problems.push(clearsTarget);
  for (const loss of losses(units, truth, action)) problems.push(`${action.kind} on ${action.units.join(",")} loses ${loss}`);
  return problems;
}

function* unitCombinations(count: number): Generator<UnitStatus[]> {
  const states = CURRENTS.flatMap((c) => NEWS.map((n) => [c, n] as const));
  const walk = function* (prefix: UnitStatus[]): Generator<UnitStatus[]> {
    if (prefix.length === count) return yield prefix;
    for (const [c, n] of states) yield* walk([...prefix, unit(`u${prefix.length + 1}`, c, n)]);
  };
  yield* walk([]);
}

const describe2 = (units: readonly UnitStatus[]) => JSON.stringify(units.map((u) => [u.current.vp.slice(0, 2), u.new.status[0] + u.new.vp.slice(0, 2), u.selected]));

describe("plan over every small instance state, judged against the ground truth of key storage", () => {
  // The plan reads one capability, the rotation shape (its input type says so); the report of the rewrap is swept
  // within (a faithful one, or unknown), and how the VP binding is enforced changes no plan.
  test.each(CAPABILITY_CHOICES.rotation.flatMap((rotation) => [2, 3].map((count) => ({ count, rotation }))))("with $count units and a $rotation rotation it is total and never makes a unit lose a record it could read, step after step", ({ count, rotation }) => {
    let cases = 0;
    const tally: Record<string, number> = {};
    const violations: string[] = [];
    for (const units of unitCombinations(count)) {
      for (const selection of [units, units.map((u, i) => (i === 0 ? { ...u, selected: false } : u))]) {
        for (const truth of TRUTHS) {
          // Records under a key no unit holds are lost before the engine acts: not a state it can be judged on.
          if (truth.some((vp) => !selection.some((u) => holds(u, vp)))) continue;
          for (const rewrap of reportsOf(truth, selection, [X, T, D])) {
            const observation = obs(selection, rewrap);
            const phase = classify(observation);
            // A Diverged instance is refused before the journal or an attestation is looked at: two of each show it.
            const journals = phase.name === "Diverged" ? journalsFor(truth, selection).slice(0, 2) : journalsFor(truth, selection);
            const desireds = phase.name === "Diverged" ? desiredFor(truth, phase, observation).slice(0, 2) : desiredFor(truth, phase, observation);
            for (const journal of journals) {
              for (const desired of desireds) {
                cases++;
                // Follow plan to its end on the ground truth, as the executor would, judging every step: a step that is
                // safe alone can still lead to one that is not (a deselection, then a promotion).
                let state = { units: selection as readonly UnitStatus[], truth, rewrap, journal, phase };
                for (let step = 0; ; step++) {
                  const now = obs([...state.units], state.rewrap);
                  const decision: Decision = plan({ phase: state.phase, observation: now, journal: state.journal, binding: EXAMPLE_BINDING, desired, capabilities: { rotation } });
                  const key = decision.kind === "act" ? (decision.action.kind === "loadNew" && decision.action.vp === undefined ? "loadNew to learn the key" : decision.action.kind) : decision.kind === "refuse" ? decision.code : "done";
                  tally[key] = (tally[key] ?? 0) + 1;
                  const where = () =>
                    `step ${step} ${state.phase.name} ${describe2(state.units)} truth=${state.truth.map((v) => v.slice(0, 2))} report=${JSON.stringify(state.rewrap)} journal=${state.journal?.targetVp?.slice(0, 2)}/${state.journal?.rewrapProof?.vp.slice(0, 2)}/${state.journal?.binding?.instanceId}/${state.journal?.completedAt}/${state.journal?.keyParts?.madeVp?.slice(0, 2)} declared=${JSON.stringify(desired.key).slice(0, 60)} attest=${desired.rewrapAttestation?.vp.slice(0, 2)}:${desired.rewrapAttestation?.code}, from ${describe2(selection)} report=${JSON.stringify(rewrap)}`;
                  if (state.phase.name === "Diverged" && decision.kind !== "refuse") violations.push(`Diverged but ${decision.kind}: ${where()}`);
                  // Done means converged to the declared key (the files' own key where nobody declared one).
                  if (decision.kind === "done" && !state.units.every((u) => u.current.status === "Valid" && sameVp(u.current.vp, declaredVp(desired)) && u.new.status === "Empty")) {
                    violations.push(`done before converging: ${where()}`);
                  }
                  if (decision.kind !== "act") break;
                  const { action } = decision;
                  for (const problem of judge(state.units, state.truth, state.rewrap, action, rotation, desired)) violations.push(`${problem}: ${where()}`);
                  if (step >= 16) {
                    violations.push(`no end after 16 steps: ${where()}`);
                    break;
                  }
                  const next = apply(state.units, state.truth, action);
                  const context = { now: "t", newRotationId: () => "rot-followed", binding: EXAMPLE_BINDING, observed: observedRegisters(state.phase, now) };
                  const nextRewrap = reportAfter(state.rewrap, state.truth, action);
                  state = {
                    units: next.units,
                    truth: next.truth,
                    rewrap: nextRewrap,
                    journal: journalAfter(beginStep(state.journal, action, context), action, state.units),
                    phase: classify(obs([...next.units], nextRewrap)),
                  };
                }
              }
            }
          }
        }
      }
    }
    console.log(`exhaustive plan check, ${count} units, ${rotation} rotation: ${cases} cases, ${JSON.stringify(tally)}`);
    expect(violations.slice(0, 10)).toEqual([]);
    // The check is not vacuous: it reaches every kind of step and refusal, and enough states to mean something.
    const kinds = [
      "loadNew",
      "loadNew to learn the key",
      "commitNew",
      "clearNew",
      rotation === "combined" ? "rotate" : "rewrap",
      "recordRewrap",
      "setImmediate",
      "select",
      "deselect",
      "done",
      "Diverged",
      "ForeignPendingKey",
      "PromotedBeforeRewrap",
      "RewrapNotProven",
      "UnknownPendingKey",
      "KeyPartsMismatch",
    ];
    expect(kinds.filter((kind) => !(tally[kind] > 0))).toEqual([]);
    expect(cases).toBeGreaterThan(count === 2 ? 50_000 : 500_000);
  });

  test("it repairs a half-promotion whose rewrap the backend reports complete, and refuses one it reports partial", () => {
    const split = [unit("u1", D, "-"), unit("u2", X, `c:${D}`), unit("u3", X, `c:${D}`)];
    const decide = (rewrap: RewrapStatus) => {
      const observation = obs(split, rewrap);
      return plan({ phase: classify(observation), observation, journal: undefined, binding: EXAMPLE_BINDING, desired: DESIRED, capabilities: { rotation: "separate" } });
    };
    expect(decide({ state: "complete", targetVp: D, records: 2 })).toMatchObject({ kind: "act", action: { kind: "recordRewrap" } });
    expect(decide({ state: "inProgress", targetVp: D, done: 1, total: 2 })).toMatchObject({ kind: "refuse", code: "PromotedBeforeRewrap" });
  });
});
