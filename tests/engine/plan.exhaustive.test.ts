import type { RewrapStatus, UnitStatus } from "../../src/backends/backend";
import { classify } from "../../src/engine/classify";
import { exampleJournal } from "../../src/engine/decision-table";
import type { Journal } from "../../src/engine/journal";
import { plan } from "../../src/engine/plan";
import { sameVp } from "../../src/model/vp";
import { DESIRED, obs, unit, VP } from "./observations";

/**
 * Every register combination of 2 and 3 units over three keys (current Empty/X/D, new Empty or X/D/T uncommitted or
 * committed), every rewrap status and journal, with all units selected or the first deselected: `plan` must be
 * total and keep the safety rules of DESIGN §4 in every single case.
 */
const { X, T, D } = VP;
const CURRENTS = ["-", X, D] as const;
const NEWS = ["-", `u:${D}`, `c:${D}`, `u:${T}`, `c:${T}`, `c:${X}`] as const;
const REWRAPS: RewrapStatus[] = [
  { state: "none", records: 0 },
  { state: "none", records: 5 },
  { state: "inProgress", targetVp: D, done: 2, total: 5 },
  { state: "complete", targetVp: D, records: 5 },
  { state: "inProgress", targetVp: T, done: 0, total: 5 },
  { state: "complete", targetVp: T, records: 5 },
  { state: "unknown" },
];
const JOURNALS: (Journal | undefined)[] = [
  undefined,
  exampleJournal(D),
  exampleJournal(D, { rewrapCompletedFor: D }),
  exampleJournal(T),
  exampleJournal(T, { rewrapCompletedFor: T }),
];

function* unitCombinations(count: number): Generator<UnitStatus[]> {
  const states = CURRENTS.flatMap((c) => NEWS.map((n) => [c, n] as const));
  const walk = function* (prefix: UnitStatus[]): Generator<UnitStatus[]> {
    if (prefix.length === count) return yield prefix;
    for (const [c, n] of states) yield* walk([...prefix, unit(`u${prefix.length + 1}`, c, n)]);
  };
  yield* walk([]);
}

const holdsCommitted = (u: UnitStatus, vp: string) => u.new.status === "Full Committed" && sameVp(u.new.vp, vp);

describe("plan over every small instance state", () => {
  test.each([2, 3])("with %i units it is total and never takes an unsafe step", (count) => {
    let cases = 0;
    const violations: string[] = [];
    for (const units of unitCombinations(count)) {
      for (const selection of [units, units.map((u, i) => (i === 0 ? { ...u, selected: false } : u))]) {
        for (const rewrap of REWRAPS) {
          const observation = obs(selection, rewrap);
          const phase = classify(observation);
          for (const journal of JOURNALS) {
            cases++;
            const decision = plan({ phase, observation, journal, desired: DESIRED });
            const where = () => `${phase.name} ${JSON.stringify(selection.map((u) => [u.current.vp.slice(0, 2), u.new.status, u.new.vp.slice(0, 2), u.selected]))} ${JSON.stringify(rewrap)} journal=${journal?.targetVp.slice(0, 2)}/${journal?.rewrapCompletedFor?.slice(0, 2)}`;
            if (phase.name === "Diverged" && decision.kind !== "refuse") violations.push(`Diverged but acted: ${where()}`);
            if (decision.kind !== "act") continue;
            const { action } = decision;
            const ids = selection.map((u) => u.id);
            if (!action.units.every((id) => ids.includes(id))) violations.push(`unknown unit in ${action.kind}: ${where()}`);
            if (["loadNew", "commitNew", "clearNew", "setImmediate", "select", "deselect"].includes(action.kind) && action.units.length === 0) violations.push(`${action.kind} on no unit: ${where()}`);
            const targeted = selection.filter((u) => action.units.includes(u.id));
            if (["loadNew", "commitNew", "clearNew", "setImmediate"].includes(action.kind) && targeted.some((u) => !u.selected)) violations.push(`${action.kind} on a deselected unit: ${where()}`);
            if (action.kind === "rewrap" && selection.some((u) => !u.selected)) violations.push(`rewrap without every unit selected: ${where()}`);
            // Invariant 2: promotion only once rewrap to that key is proven (or nothing can need it).
            if (action.kind === "setImmediate") {
              const proven =
                (rewrap.state === "complete" && sameVp(rewrap.targetVp, action.vp)) ||
                (rewrap.state === "unknown" && journal?.rewrapCompletedFor === action.vp) ||
                phase.name === "HalfPromoted" ||
                (phase.currentVp === undefined && !(rewrap.state === "none" && rewrap.records > 0));
              if (!proven) violations.push(`setImmediate without proof: ${where()}`);
              if (!targeted.every((u) => holdsCommitted(u, action.vp))) violations.push(`setImmediate on a unit without ${action.vp.slice(0, 2)} committed: ${where()}`);
            }
            // Invariant 3: never clear a key that a rewrap may have used.
            if (action.kind === "clearNew") {
              const mayHaveStarted =
                rewrap.state === "unknown" ||
                ((rewrap.state === "inProgress" || rewrap.state === "complete") && sameVp(rewrap.targetVp, action.vp)) ||
                journal?.rewrapCompletedFor === action.vp;
              if (mayHaveStarted) violations.push(`clearNew after a rewrap may have started: ${where()}`);
              if (sameVp(action.vp, DESIRED.vp)) violations.push(`clearNew of the desired key: ${where()}`);
            }
            // A split instance is only ever promoted, never loaded, cleared or rewrapped (research §4.4).
            if (phase.name === "HalfPromoted" && ["loadNew", "clearNew", "rewrap", "commitNew"].includes(action.kind)) violations.push(`${action.kind} on a half-promoted instance: ${where()}`);
            // Loading a key is only for the declared key.
            if (action.kind === "loadNew" && !sameVp(action.vp, DESIRED.vp)) violations.push(`loadNew of an undeclared key: ${where()}`);
          }
        }
      }
    }
    expect(violations.slice(0, 10)).toEqual([]);
    expect(cases).toBeGreaterThan(count === 2 ? 5_000 : 100_000);
  });
});
