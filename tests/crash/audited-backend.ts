import type { Backend, LoadNewRequest, MutatingCommand, RewrapProgress, Signers, UnitCommand } from "../../src/backends/backend";
import { checkKeyStorageReadable, isSimulatedCrash } from "../../src/backends/simulator";
import { sameVp, shortVp, type Vp } from "../../src/model/vp";

/** A backend call as the audit records it: which command, on which units, bound to which key. */
export interface AuditedCall {
  readonly command: MutatingCommand;
  readonly units: readonly string[];
  readonly vp?: Vp;
  readonly outcome: "ok" | "error" | "crash";
}

export interface Audit {
  readonly calls: AuditedCall[];
  readonly violations: string[];
  /** Set when a simulated crash passed through: the process is dead from then on. */
  crashed: boolean;
}

/**
 * audit — wraps a simulator backend so that every mutating call is checked against the simulator's ground truth:
 * invariant 2 (setImmediate only once every record is under its key) and 3 (clearNew never once a rewrap to that
 * key may have started) before the call, invariant 1 (every record readable by every unit) after it, whatever
 * the call's outcome. Violations are collected, never thrown, so the engine's control flow is not disturbed.
 */
export function audit(inner: Backend, dir: string, instanceId: string, target: Audit): Backend {
  const checkReadable = async (after: string) => {
    const report = await checkKeyStorageReadable(dir, instanceId);
    for (const problem of report.problems) target.violations.push(`invariant 1 after ${after}: ${problem}`);
  };
  const mutate = async (command: MutatingCommand, units: readonly string[], vp: Vp | undefined, before: () => Promise<void>, call: () => Promise<void>) => {
    if (target.crashed) throw new Error("the process is dead: no call may follow a crash");
    await before();
    const label = `${command}${units.length ? ` on ${units.join(",")}` : ""}`;
    try {
      await call();
      target.calls.push({ command, units, vp, outcome: "ok" });
    } catch (error) {
      if (isSimulatedCrash(error)) target.crashed = true;
      target.calls.push({ command, units, vp, outcome: target.crashed ? "crash" : "error" });
      throw error;
    } finally {
      await checkReadable(label);
    }
  };
  const nothing = async () => undefined;
  return {
    description: inner.description,
    listUnits: () => inner.listUnits(),
    queryUnit: (unit) => inner.queryUnit(unit),
    rewrapStatus: () => inner.rewrapStatus(),
    acquireLease: inner.acquireLease?.bind(inner),
    select: (units) => mutate("select", units, undefined, nothing, () => inner.select(units)),
    deselect: (units) => mutate("deselect", units, undefined, nothing, () => inner.deselect(units)),
    loadNew: (request: LoadNewRequest, signers: Signers) => mutate("loadNew", [request.unit], request.expectedVp, nothing, () => inner.loadNew(request, signers)),
    commitNew: (command: UnitCommand, signers: Signers) => mutate("commitNew", [command.unit], command.expectedVp, nothing, () => inner.commitNew(command, signers)),
    clearNew: (command: UnitCommand, signers: Signers) =>
      mutate(
        "clearNew",
        [command.unit],
        command.expectedVp,
        async () => {
          const status = await inner.rewrapStatus();
          if ((status.state === "inProgress" || status.state === "complete") && sameVp(status.targetVp, command.expectedVp)) {
            target.violations.push(`invariant 3: clearNew of ${shortVp(command.expectedVp)} on ${command.unit} after a rewrap to it started (${status.state})`);
          }
        },
        () => inner.clearNew(command, signers),
      ),
    rewrap: (vp: Vp, signers: Signers, onProgress?: (p: RewrapProgress) => void) => mutate("rewrap", [], vp, nothing, () => inner.rewrap(vp, signers, onProgress)),
    setImmediate: (command: UnitCommand, signers: Signers) =>
      mutate(
        "setImmediate",
        [command.unit],
        command.expectedVp,
        async () => {
          const report = await checkKeyStorageReadable(dir, instanceId);
          const elsewhere = Object.entries(report.byVp).filter(([vp, count]) => count > 0 && !sameVp(vp, command.expectedVp));
          if (elsewhere.length > 0) {
            target.violations.push(`invariant 2: setImmediate to ${shortVp(command.expectedVp)} on ${command.unit} while ${elsewhere.map(([vp, n]) => `${n} records are under ${shortVp(vp)}`).join(", ")}`);
          }
        },
        () => inner.setImmediate(command, signers),
      ),
  };
}
