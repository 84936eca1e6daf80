import type { BackendCommand } from "../src/engine/port/backend";
import { SimulatorBackend } from "../src/backends/simulator";

/**
 * CallLog — every Backend call a simulator backend makes in this process, with its start and end time. It wraps the
 * methods of `SimulatorBackend.prototype`, so it also sees the backends the provider opens for itself
 * (`readMasterKey` takes a config, not a backend). Only TKE command equivalents are logged: the lease is the
 * simulator's own machinery (a real service relies on the EP11 transaction counter) and costs no round trip.
 */
export interface Call {
  readonly command: BackendCommand;
  readonly start: number;
  readonly end: number;
}

const COMMANDS: readonly BackendCommand[] = ["listUnits", "queryUnit", "rewrapStatus", "select", "deselect", "loadNew", "commitNew", "clearNew", "rewrap", "setImmediate"];

export class CallLog {
  private log: Call[] = [];

  /** Starts a fresh log; returns the calls logged since the previous reset. */
  reset(): Call[] {
    const calls = this.log;
    this.log = [];
    return calls;
  }

  record(call: Call): void {
    this.log.push(call);
  }
}

let installed: CallLog | undefined;

/** instrumentSimulator — installs the wrappers once per process and returns the log they write to. */
export function instrumentSimulator(): CallLog {
  if (installed) return installed;
  const log = new CallLog();
  const proto = SimulatorBackend.prototype as unknown as Record<BackendCommand, (...args: unknown[]) => Promise<unknown>>;
  for (const command of COMMANDS) {
    const original = proto[command];
    proto[command] = function logged(this: SimulatorBackend, ...args: unknown[]) {
      const start = performance.now();
      const settle = () => log.record({ command, start, end: performance.now() });
      const result = original.apply(this, args);
      result.then(settle, settle);
      return result;
    };
  }
  installed = log;
  return log;
}

/**
 * dependentDepth — the length of the longest chain of calls in which each call started after the previous one had
 * returned: the number of round trips on the critical path. Calls issued together (per-unit commands, the parts of
 * one observation) start in the same tick, so they never chain with each other.
 */
export function dependentDepth(calls: readonly Call[]): number {
  const sorted = [...calls].sort((a, b) => a.start - b.start);
  const depth: number[] = [];
  sorted.forEach((call, i) => {
    let before = 0;
    for (let j = 0; j < i; j++) if (sorted[j].end <= call.start) before = Math.max(before, depth[j]);
    depth.push(before + 1);
  });
  return Math.max(0, ...depth);
}

export function countByCommand(calls: readonly Call[]): Partial<Record<BackendCommand, number>> {
  const counts: Partial<Record<BackendCommand, number>> = {};
  for (const c of calls) counts[c.command] = (counts[c.command] ?? 0) + 1;
  return counts;
}
