import type { RewrapStatus, UnitStatus } from "../../src/engine/port/backend";
import { classify } from "../../src/engine/classify";
import type { Action, Decision } from "../../src/engine/decision";
import { EXAMPLE_BINDING, exampleJournal } from "../../src/engine/decision-table";
import { beginStep, endStep, recordDelaying, recordGenerated, recordMarker, recordUnboundMarker, type Journal } from "../../src/engine/journal";
import { observedRegisters, plan, type Desired } from "../../src/engine/plan";
import { project } from "../../src/engine/project";
import { CAPABILITY_CHOICES, type Capabilities } from "../../src/engine/port/capabilities";
import { EMPTY_VP, sameVp, type Vp } from "../../src/model/vp";
import { allUnder, clearsJobTarget, holds, keysInUse, readers, reportsOf, type Truth } from "./ground-truth";
import { DESIRED, obs, unit, VP } from "./observations";

/**
 * A key generated in a recovery unit (auto-mk-rotate), over every register combination of 2 and 3 units (the last a
 * recovery unit; and instances without one), every state key storage can be in, every truthful report and `unknown`,
 * journals of ours (a generation reported or interrupted, with or without "Delaying 30 seconds…", proven, closed) and
 * journals that must not count, and every way the generated key can be declared (a rotation wanted away from X or
 * from T, none wanted, a pending key adopted). Each step is applied to the ground truth (a generation makes a fresh
 * key nobody has seen; auto-mk-rotate clears every new register, generates, commits, rewraps the records under the
 * current key to it and promotes every unit) and judged there: no unit may lose a record it could read, and no key a
 * record is under may ever be replaced by a generation.
 */
const { X, T } = VP;
const FRESH = ["e5", "f6", "a7", "b8", "c9"].map((b) => (b.repeat(28) + "00000000") as Vp);
const AT = "2026-01-01T00:00:00.000Z";
const CURRENTS = ["-", X, T] as const;
const NEWS = ["-", `u:${T}`, `c:${T}`, `c:${X}`] as const;
const TRUTHS: Truth[] = [[], [X, X], [T, T], [X, T]];

const step = (action: Action["kind"], vp: Vp | null, outcome: "started" | "ok" | "failed" = "ok") => ({ action, units: ["u1"], vp, outcome, at: AT, message: null });
const generated = (madeVp: Vp | null, delayingAt: string | null = null) => ({ generated: { madeVp, at: madeVp && AT, delayingAt } });

/** Journals of ours claim only what is true (a proof only where every record is under its key); the others anything. */
function journalsFor(truth: Truth): (Journal | undefined)[] {
  const ours = (extra: Partial<Journal>) => exampleJournal(T, { fromVp: X, steps: [step("generateNew", T)], ...generated(T), ...extra });
  const journals: (Journal | undefined)[] = [
    undefined,
    ours({}),
    ours({ steps: [step("autoRotate", T, "started")] }),
    ours({ steps: [step("autoRotate", T, "started")], ...generated(T, AT) }),
    ours({ steps: [step("generateNew", T), step("rotate", T, "failed")] }),
    exampleJournal(T, { targetVp: null, fromVp: X, ...generated(null), steps: [step("generateNew", null, "started")] }),
    exampleJournal(T, { targetVp: null, fromVp: X, ...generated(null), steps: [step("autoRotate", null, "started")] }),
    // IBM's CLI prints no VP: an auto-mk-rotate of ours that printed "Delaying 30 seconds…" (every unit then held T, committed).
    exampleJournal(T, { targetVp: null, fromVp: X, generated: { madeVp: null, at: null, delayingAt: AT }, steps: [step("autoRotate", null, "started")] }),
    // Never evidence, whatever they claim.
    ours({ completedAt: "2026-01-02T00:00:00.000Z" }),
    ours({ binding: null, rewrapProof: { vp: T, source: "rewrap", at: AT } }),
    ours({ binding: { ...EXAMPLE_BINDING, instanceId: "another-instance" }, rewrapProof: { vp: T, source: "rewrap", at: AT } }),
    ours({ fromVp: T }),
  ];
  if (allUnder(truth, T)) {
    journals.push(
      ours({ rewrapProof: { vp: T, source: "rewrap", at: AT }, steps: [step("generateNew", T), step("commitNew", T), step("rewrap", T)] }),
      ours({ rewrapProof: { vp: T, source: "marker", at: AT }, steps: [step("autoRotate", T, "started")], ...generated(T, AT) }),
      exampleJournal(T, { targetVp: null, fromVp: X, generated: { madeVp: null, at: null, delayingAt: AT, markerAt: AT }, steps: [step("autoRotate", null, "started")] }),
    );
  }
  return journals;
}

const DECLARED: readonly Desired[] = [
  { ...DESIRED, key: { kind: "generated", replacing: X } },
  { ...DESIRED, key: { kind: "generated", replacing: undefined } },
  { ...DESIRED, key: { kind: "generated", replacing: X, expectedVp: T } },
  { ...DESIRED, key: { kind: "generated", replacing: T } },
  // The expectedVp of an earlier adoption, left in the program after its key became current and is now to be replaced.
  { ...DESIRED, key: { kind: "generated", replacing: T, expectedVp: T } },
];
const replacingOf = (desired: Desired) => (desired.key.kind === "generated" ? desired.key.replacing : undefined);

const generates = (action: Action) => action.kind === "generateNew" || action.kind === "autoRotate";

/** The ground truth after `action`; a generation makes `fresh`. */
function apply(units: readonly UnitStatus[], truth: Truth, action: Action, fresh: Vp): { units: readonly UnitStatus[]; truth: Truth } {
  if (action.kind === "generateNew") return { units: project({ units, rewrap: { state: "unknown" } }, action, fresh).units, truth };
  if (action.kind === "autoRotate") {
    // The current key every unit agrees on (its pre-check) is what the service rewraps from; other records stay put.
    const from = units[0].current.vp;
    return { units: units.map((u) => ({ ...u, current: { status: "Valid", vp: fresh }, new: { status: "Empty", vp: EMPTY_VP } })), truth: truth.map((vp) => (sameVp(vp, from) ? fresh : vp)) };
  }
  const after = project({ units, rewrap: { state: "unknown" } }, action).units;
  return { units: after, truth: (action.kind === "rewrap" || action.kind === "rotate") && action.vp !== undefined ? truth.map(() => action.vp as Vp) : truth };
}

function losses(units: readonly UnitStatus[], truth: Truth, action: Action, fresh: Vp): string[] {
  const before = readers(units, truth);
  const next = apply(units, truth, action, fresh);
  const after = readers(next.units, next.truth);
  return before.flatMap((ids, record) => ids.filter((id) => !after[record].includes(id)).map((id) => `record ${record} (under ${truth[record].slice(0, 2)}) on ${id}`));
}

function judge(units: readonly UnitStatus[], truth: Truth, report: RewrapStatus, action: Action, rotation: Capabilities["rotation"], desired: Desired, fresh: Vp, journal: Journal | undefined): string[] {
  const problems: string[] = [];
  const inUse = keysInUse(truth, report);
  const targeted = units.filter((u) => action.units.includes(u.id));
  const allSelectedAndAgreeing = units.every((u) => u.selected && u.current.status === "Valid" && sameVp(u.current.vp, units[0].current.vp));
  if (action.kind === "loadNew") problems.push("loadNew of a generated key");
  if (["commitNew", "clearNew", "setImmediate", "copyNew"].includes(action.kind) && targeted.some((u) => !u.selected)) problems.push(`${action.kind} on a deselected unit`);
  if (generates(action)) {
    // With no rotation wanted, only a generation of ours under way may be finished (IBM: re-run auto-mk-rotate).
    const oursUnderWay = journal !== undefined && journal.generated !== null && journal.completedAt === null && journal.binding?.instanceId === EXAMPLE_BINDING.instanceId && journal.binding.backend === EXAMPLE_BINDING.backend;
    if (replacingOf(desired) === undefined && !oursUnderWay) problems.push(`${action.kind} although no rotation is wanted`);
    // IBM: once auto-mk-rotate printed "Delaying 30 seconds…", "Do not rerun the ibmcloud tke auto-mk-rotate command".
    const delayedHere = journal !== undefined && journal.generated?.delayingAt && journal.completedAt === null && journal.binding?.instanceId === EXAMPLE_BINDING.instanceId && journal.binding.backend === EXAMPLE_BINDING.backend;
    if (delayedHere) problems.push(`${action.kind} after our auto-mk-rotate printed its Delaying line`);
    if (!units.some((u) => u.type === "recovery")) problems.push(`${action.kind} on an instance without recovery units`);
    if (!allSelectedAndAgreeing) problems.push(`${action.kind} before its initial conditions hold`);
    if (action.kind === "generateNew" && units.some((u) => u.new.status !== "Empty")) problems.push("generateNew into an occupied new register");
    // The one IBM warns of: re-running auto-mk-rotate after the rewrap started "makes the contents of key storage unusable".
    const replaced = units.filter((u) => u.new.status !== "Empty" && inUse.some((vp) => sameVp(vp, u.new.vp)));
    if (replaced.length > 0) problems.push(`${action.kind} replaces ${replaced[0].new.vp.slice(0, 2)}, which records are under`);
    if (action.kind !== (rotation === "combined" ? "autoRotate" : "generateNew")) problems.push(`${action.kind} is not a command of a ${rotation} backend`);
  }
  if (action.kind === "copyNew" && !units.some((u) => u.type === "recovery" && u.selected && u.new.status !== "Empty" && sameVp(u.new.vp, action.vp))) problems.push("copyNew with no selected recovery unit holding the key");
  if (action.kind === "copyNew" && rotation === "combined") problems.push("copyNew is not a command of a combined backend");
  if ((action.kind === "rewrap" || action.kind === "rotate") && !(allSelectedAndAgreeing && units.every((u) => u.new.status === "Full Committed" && sameVp(u.new.vp, action.vp)))) {
    problems.push(`${action.kind} on an instance its pre-check refuses`);
  }
  if (action.kind === "setImmediate" && !targeted.every((u) => u.new.status === "Full Committed" && sameVp(u.new.vp, action.vp))) problems.push("setImmediate on a unit without it committed");
  const clearsTarget = clearsJobTarget(units, report, action);
  if (clearsTarget) problems.push(clearsTarget);
  if (action.kind === "recordRewrap" && !allUnder(truth, action.vp)) problems.push(`recordRewrap of ${action.vp.slice(0, 2)} while records are under ${[...new Set(truth)].map((v) => v.slice(0, 2))}`);
  for (const loss of losses(units, truth, action, fresh)) problems.push(`${action.kind} on ${action.units.join(",")} loses ${loss}`);
  return problems;
}

/**
 * The journal after `action`, as the executor records it: a generation's key first, auto-mk-rotate's lines as they
 * come; with `reportsKey` false (IBM's CLI) the key only when the command returns, after both lines.
 */
function journalAfter(began: Journal, action: Action, fresh: Vp, reportsKey: boolean): Journal {
  if (action.kind === "generateNew") return endStep(recordGenerated(began, fresh, "t"), action, "ok", "t", { madeVp: fresh });
  if (action.kind === "autoRotate" && !reportsKey) return endStep(recordUnboundMarker(recordDelaying(began, "t"), "t"), action, "ok", "t", { madeVp: fresh });
  if (action.kind === "autoRotate") return endStep(recordMarker(recordDelaying(recordGenerated(began, fresh, "t"), "t"), fresh, "t"), action, "ok", "t", { madeVp: fresh });
  return endStep(began, action, "ok", "t");
}

/** The report after `action`: a reporting backend reports a rewrap (or auto-mk-rotate) done; one that cannot, still cannot. */
function reportAfter(report: RewrapStatus, truth: Truth, action: Action, fresh: Vp): RewrapStatus {
  if (report.state === "unknown") return report;
  if (action.kind === "autoRotate") return { state: "complete", targetVp: fresh, records: truth.length };
  if ((action.kind === "rewrap" || action.kind === "rotate") && action.vp !== undefined) return { state: "complete", targetVp: action.vp, records: truth.length };
  return report;
}

function* instances(count: number, withRecovery: boolean): Generator<UnitStatus[]> {
  const states = CURRENTS.flatMap((c) => NEWS.map((n) => [c, n] as const));
  const walk = function* (prefix: UnitStatus[]): Generator<UnitStatus[]> {
    if (prefix.length === count) return yield prefix;
    for (const [c, n] of states) {
      const type = withRecovery && prefix.length === count - 1 ? "recovery" : "operational";
      yield* walk([...prefix, unit(`u${prefix.length + 1}`, c, n, { type })]);
    }
  };
  yield* walk([]);
}

const describe2 = (units: readonly UnitStatus[]) => JSON.stringify(units.map((u) => [u.type[0], u.current.vp.slice(0, 2), u.new.status[0] + u.new.vp.slice(0, 2), u.selected]));

describe("plan for a key generated in a recovery unit, over every small instance state, judged against the ground truth", () => {
  const shapes = CAPABILITY_CHOICES.rotation.flatMap((rotation) => [2, 3].flatMap((count) => (rotation === "combined" ? [true, false] : [true]).map((reportsKey) => ({ count, rotation, reportsKey, reports: reportsKey ? "reports" : "does not report" }))));
  test.each(shapes)(
    "with $count units and a $rotation rotation whose generation $reports its key, it never replaces a key records are under, nor loses a record, step after step",
    ({ count, rotation, reportsKey }) => {
      let cases = 0;
      const tally: Record<string, number> = {};
      const violations: string[] = [];
      for (const withRecovery of [true, false]) {
        for (const units of instances(count, withRecovery)) {
          if (!withRecovery && units.some((u) => u.new.status !== "Empty")) continue;
          // Every unit selected, the first deselected, the last (the recovery unit, where there is one) deselected.
          for (const selection of [units, units.map((u, i) => (i === 0 ? { ...u, selected: false } : u)), units.map((u, i) => (i === units.length - 1 ? { ...u, selected: false } : u))]) {
            for (const truth of TRUTHS) {
              if (truth.some((vp) => !selection.some((u) => holds(u, vp)))) continue;
              for (const rewrap of reportsOf(truth, selection, [X, T, FRESH[0]])) {
                const phase0 = classify(obs(selection, rewrap));
                const journals = phase0.name === "Diverged" ? journalsFor(truth).slice(0, 2) : journalsFor(truth);
                for (const journal of journals) {
                  for (const desired of DECLARED) {
                    cases++;
                    let state = { units: selection as readonly UnitStatus[], truth, rewrap, journal, phase: phase0, generations: 0 };
                    for (let n = 0; ; n++) {
                      const now = obs([...state.units], state.rewrap);
                      const decision: Decision = plan({ phase: state.phase, observation: now, journal: state.journal, binding: EXAMPLE_BINDING, desired, capabilities: { rotation } });
                      const key = decision.kind === "act" ? decision.action.kind : decision.kind === "refuse" ? decision.code : "done";
                      tally[key] = (tally[key] ?? 0) + 1;
                      const where = () =>
                        `step ${n} ${state.phase.name} ${describe2(state.units)} truth=${state.truth.map((v) => v.slice(0, 2))} report=${JSON.stringify(state.rewrap)} journal=${JSON.stringify(state.journal?.generated)}/${state.journal?.steps.map((s) => s.action)}/${state.journal?.binding?.instanceId}/${state.journal?.completedAt} declared=${JSON.stringify(desired.key)}`;
                      if (state.phase.name === "Diverged" && decision.kind !== "refuse") violations.push(`Diverged but ${decision.kind}: ${where()}`);
                      // Converged: every unit on one key with none pending, and it is not the key to replace, unless
                      // our own unfinished ceremony on this instance generated it (the caller asks again for the key
                      // it just got: a retry after the last promotion).
                      const replacing = replacingOf(desired);
                      // (A journal whose generation printed "Delaying…" without reporting its key was made, above, for T.)
                      const made = state.journal?.generated?.madeVp ?? (state.journal?.generated?.delayingAt ? T : undefined);
                      const generatedByUs = (vp: Vp) => state.journal !== undefined && state.journal.completedAt === null && state.journal.binding?.instanceId === EXAMPLE_BINDING.instanceId && state.journal.binding.backend === EXAMPLE_BINDING.backend && made === vp;
                      const wanted = (vp: Vp) => replacing === undefined || !sameVp(vp, replacing) || generatedByUs(vp);
                      if (decision.kind === "done" && !state.units.every((u) => u.current.status === "Valid" && sameVp(u.current.vp, decision.vp) && u.new.status === "Empty" && wanted(u.current.vp))) {
                        violations.push(`done before converging: ${where()}`);
                      }
                      if (decision.kind !== "act") break;
                      if (generates(decision.action) && state.generations >= 2) {
                        violations.push(`a third generation in one ceremony: ${where()}`);
                        break;
                      }
                      const fresh = FRESH[state.generations];
                      for (const problem of judge(state.units, state.truth, state.rewrap, decision.action, rotation, desired, fresh, state.journal)) violations.push(`${problem}: ${where()}`);
                      if (n >= 16) {
                        violations.push(`no end after 16 steps: ${where()}`);
                        break;
                      }
                      const next = apply(state.units, state.truth, decision.action, fresh);
                      const context = { now: "t", newRotationId: () => "rot-followed", binding: EXAMPLE_BINDING, observed: observedRegisters(state.phase, now) };
                      const nextRewrap = reportAfter(state.rewrap, state.truth, decision.action, fresh);
                      state = {
                        units: next.units,
                        truth: next.truth,
                        rewrap: nextRewrap,
                        journal: journalAfter(beginStep(state.journal, decision.action, context), decision.action, fresh, reportsKey),
                        phase: classify(obs([...next.units], nextRewrap)),
                        generations: state.generations + (generates(decision.action) ? 1 : 0),
                      };
                    }
                  }
                }
              }
            }
          }
        }
      }
      console.log(`exhaustive plan check of generated keys, ${count} units, ${rotation} rotation${reportsKey ? "" : " (key not reported)"}: ${cases} cases, ${JSON.stringify(tally)}`);
      expect(violations.slice(0, 10)).toEqual([]);
      const kinds = [rotation === "combined" ? "autoRotate" : "generateNew", ...(rotation === "separate" ? ["copyNew", "rewrap"] : ["rotate"]), "commitNew", ...(rotation === "separate" ? ["clearNew"] : []), "setImmediate", "done", "CannotGenerate", "CannotFinishRotation", "UnknownPendingKey", "ForeignPendingKey"];
      expect(kinds.filter((kind) => !(tally[kind] > 0))).toEqual([]);
    },
  );
});
