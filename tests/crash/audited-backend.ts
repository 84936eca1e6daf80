import type { AutoRotateOptions, Backend, CallOptions, GenerateNewRequest, GenerateOptions, LoadNewRequest, MutatingCommand, RewrapOptions, RotateOptions, Signers, UnitsCommand } from "../../src/engine/port/backend";
import { describeSimulatedInstance, isSimulatedCrash, keyStorageReaders, type RecordReaders } from "../../src/backends/simulator";
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

/** The (record, unit) pairs readable before and not after: the losses a call caused. */
export function readersLost(before: readonly RecordReaders[], after: readonly RecordReaders[]): string[] {
  const now = new Map(after.map((r) => [r.id, r]));
  return before.flatMap((r) => {
    const later = now.get(r.id);
    const lost = r.readers.filter((unit) => !later?.readers.includes(unit));
    return lost.length === 0 ? [] : [`record ${r.id} (under ${shortVp(r.vp)}) became unreadable on ${lost.join(", ")}`];
  });
}

/**
 * audit — wraps the engine's simulator backend so that every mutating call is judged against the simulator's ground
 * truth, whatever its outcome: no call may make a record unreadable on a unit that could read it before (DESIGN §4
 * invariants 1, 3 and 6: this holds even where an operator already broke invariant 1), and `setImmediate` runs only
 * once every record is under its key (invariant 2), `clearNew` never once a rewrap to that key started (invariant 3,
 * from the simulator's own job, not the backend's report). Violations are collected, never thrown, so the engine's
 * control flow is not disturbed. Only the engine's backend is audited: an operator's calls are what it must survive.
 */
export function audit(inner: Backend, dir: string, instanceId: string, target: Audit): Backend {
  const mutate = async <T>(command: MutatingCommand, units: readonly string[], vp: Vp | undefined, before: () => Promise<void>, call: () => Promise<T>): Promise<T> => {
    if (target.crashed) throw new Error("the process is dead: no call may follow a crash");
    await before();
    const readersBefore = await keyStorageReaders(dir, instanceId);
    const label = `${command}${units.length ? ` on ${units.join(",")}` : ""}`;
    try {
      const result = await call();
      target.calls.push({ command, units, vp, outcome: "ok" });
      return result;
    } catch (error) {
      if (isSimulatedCrash(error)) target.crashed = true;
      target.calls.push({ command, units, vp, outcome: target.crashed ? "crash" : "error" });
      throw error;
    } finally {
      for (const loss of readersLost(readersBefore, await keyStorageReaders(dir, instanceId))) target.violations.push(`after ${label}: ${loss}`);
    }
  };
  const nothing = async () => undefined;
  const job = () => describeSimulatedInstance(dir, instanceId).rewrap;
  // Invariant 2, from the ground truth: a promotion to `vp` only once every record is under it.
  const promotable = async (vp: Vp, what: string) => {
    const elsewhere = (await keyStorageReaders(dir, instanceId)).filter((r) => !sameVp(r.vp, vp));
    if (elsewhere.length > 0) target.violations.push(`invariant 2: ${what} to ${shortVp(vp)} while ${elsewhere.length} record(s) are under other keys`);
  };
  return {
    description: inner.description,
    instanceId: inner.instanceId,
    identity: inner.identity,
    capabilities: inner.capabilities,
    listUnits: () => inner.listUnits(),
    queryUnit: (unit) => inner.queryUnit(unit),
    rewrapStatus: () => inner.rewrapStatus(),
    acquireLease: inner.acquireLease?.bind(inner),
    close: inner.close?.bind(inner),
    select: (units, options?: CallOptions) => mutate("select", units, undefined, nothing, () => inner.select(units, options)),
    deselect: (units, options?: CallOptions) => mutate("deselect", units, undefined, nothing, () => inner.deselect(units, options)),
    loadNew: (request: LoadNewRequest, signers: Signers, options?: CallOptions) => mutate("loadNew", request.units, request.expectedVp, nothing, () => inner.loadNew(request, signers, options)),
    commitNew: (command: UnitsCommand, signers: Signers, options?: CallOptions) => mutate("commitNew", command.units, command.expectedVp, nothing, () => inner.commitNew(command, signers, options)),
    clearNew: (command: UnitsCommand, signers: Signers, options?: CallOptions) =>
      mutate(
        "clearNew",
        command.units,
        command.expectedVp,
        async () => {
          const status = job();
          if ((status.state === "inProgress" || status.state === "complete") && sameVp(status.targetVp, command.expectedVp)) {
            target.violations.push(`invariant 3: clearNew of ${shortVp(command.expectedVp)} on ${command.units.join(",")} after a rewrap to it started (${status.state})`);
          }
        },
        () => inner.clearNew(command, signers, options),
      ),
    rewrap: (vp: Vp, signers: Signers, options?: RewrapOptions) => mutate("rewrap", [], vp, nothing, () => inner.rewrap(vp, signers, options)),
    // The combined rotate promotes by itself: judged from the registers, whether its marker reached us or was lost.
    // Records only move towards `vp` inside it, so a unit it promoted is judged as a set immediate would be, afterwards.
    rotate: (vp: Vp, signers: Signers, options?: RotateOptions) => {
      const onVp = () => describeSimulatedInstance(dir, instanceId).units.filter((u) => u.current.status === "Valid" && sameVp(u.current.vp, vp)).map((u) => u.id);
      const before = onVp();
      return mutate("rotate", [], vp, nothing, () =>
        inner.rotate(vp, signers, options).finally(async () => {
          if (onVp().some((id) => !before.includes(id))) await promotable(vp, "the rotate's set immediate");
        }),
      );
    },
    // Invariant 3 for a generation: a key a rewrap started to is never replaced (IBM: re-running auto-mk-rotate then
    // "makes the contents of key storage unusable"). Judged from the simulator's own job, before the command.
    generateNew: (request: GenerateNewRequest, signers: Signers, options?: GenerateOptions) => mutate("generateNew", request.units, undefined, nothing, () => inner.generateNew(request, signers, options)),
    copyNew: (command: UnitsCommand, signers: Signers, options?: CallOptions) => mutate("copyNew", command.units, command.expectedVp, nothing, () => inner.copyNew(command, signers, options)),
    autoRotate: (request: GenerateNewRequest, signers: Signers, options?: AutoRotateOptions) => {
      const promotedTo = () => describeSimulatedInstance(dir, instanceId).units.flatMap((u) => (u.current.status === "Valid" ? [`${u.id}:${u.current.vp}`] : []));
      const before = promotedTo();
      return mutate(
        "autoRotate",
        request.units,
        undefined,
        async () => {
          const status = job();
          const replaced = describeSimulatedInstance(dir, instanceId).units.filter((u) => u.new.status !== "Empty" && (status.state === "inProgress" || status.state === "complete") && sameVp(status.targetVp, u.new.vp));
          if (replaced.length > 0) target.violations.push(`invariant 3: auto-mk-rotate re-run while ${replaced.map((u) => u.id).join(",")} hold the key a rewrap started to (${status.state})`);
        },
        () =>
          inner.autoRotate(request, signers, options).finally(async () => {
            const now = describeSimulatedInstance(dir, instanceId).units.filter((u) => u.current.status === "Valid");
            const moved = now.filter((u) => !before.includes(`${u.id}:${u.current.vp}`));
            for (const vp of new Set(moved.map((u) => u.current.vp))) await promotable(vp, "the auto-mk-rotate's set immediate");
          }),
      );
    },
    setImmediate: (command: UnitsCommand, signers: Signers, options?: CallOptions) =>
      mutate("setImmediate", command.units, command.expectedVp, () => promotable(command.expectedVp, `setImmediate on ${command.units.join(",")}`), () => inner.setImmediate(command, signers, options)),
  };
}
