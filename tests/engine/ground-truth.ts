import type { RewrapStatus, UnitStatus } from "../../src/engine/port/backend";
import type { Action } from "../../src/engine/decision";
import { sameVp, type Vp } from "../../src/model/vp";

/**
 * The ground truth the exhaustive plan checks judge by, independent of the engine: the key each record of key storage
 * is wrapped under, which units can read it, and what a truthful backend can report of it.
 *
 * The ground truth of key storage: the key each record is wrapped under.
 */
export type Truth = readonly Vp[];

/**
 * Every report a truthful backend can give of a truth, and `unknown` (a backend that cannot report); `keys` are the
 * keys a job to another key may target. A job moves
 * records from the key that was current when it started to its target, so records not under a job's target (or,
 * with no job ever, all records) are under a key that some unit still has as current: the only way to take a current
 * key off every unit is to promote them all, which makes those records unreadable everywhere before the engine acts.
 */
export function reportsOf(truth: Truth, units: readonly UnitStatus[], keys: readonly Vp[]): RewrapStatus[] {
  const n = truth.length;
  const reports: RewrapStatus[] = [{ state: "unknown" }];
  if (n === 0) return [...reports, { state: "none", records: 0 }];
  const currentSomewhere = (vp: Vp) => units.some((u) => u.current.status === "Valid" && sameVp(u.current.vp, vp));
  const under = [...new Set(truth)];
  if (under.length === 1) {
    const [k] = under;
    reports.push({ state: "complete", targetVp: k, records: n }, { state: "inProgress", targetVp: k, done: n, total: n });
    if (currentSomewhere(k)) {
      reports.push({ state: "none", records: n });
      for (const target of keys.filter((v) => v !== k)) reports.push({ state: "inProgress", targetVp: target, done: 0, total: n });
    }
  } else {
    for (const [target, source] of [under, [...under].reverse()]) {
      if (currentSomewhere(source)) reports.push({ state: "inProgress", targetVp: target, done: truth.filter((v) => v === target).length, total: n });
    }
  }
  return reports;
}

export const allUnder = (truth: Truth, vp: Vp) => truth.length === 0 || truth.every((v) => sameVp(v, vp));

export const holds = (u: UnitStatus, vp: Vp) => (u.current.status === "Valid" && sameVp(u.current.vp, vp)) || (u.new.status !== "Empty" && sameVp(u.new.vp, vp));

/** Which units can read each record. */
export function readers(units: readonly UnitStatus[], truth: Truth): string[][] {
  return truth.map((vp) => units.filter((u) => holds(u, vp)).map((u) => u.id));
}

/**
 * Keys that records are under, or that a reported rewrap job moves them to at any moment (a job to T with none done
 * yet still runs, or resumes when anyone re-runs the rotate): clearing or replacing one can lose records.
 */
export function keysInUse(truth: Truth, report: RewrapStatus): Vp[] {
  return [...truth, ...(report.state === "inProgress" ? [report.targetVp] : [])];
}

/** Why `action` clears the target of a reported rewrap job from a unit, or undefined when it does not. */
export function clearsJobTarget(units: readonly UnitStatus[], report: RewrapStatus, action: Action): string | undefined {
  if (action.kind !== "clearNew" || report.state !== "inProgress") return undefined;
  const cleared = units.some((u) => action.units.includes(u.id) && u.new.status !== "Empty" && sameVp(u.new.vp, report.targetVp));
  return cleared ? `clearNew of ${report.targetVp.slice(0, 2)}, the target of the reported rewrap job` : undefined;
}
