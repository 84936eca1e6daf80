import { z } from "zod";
import { HpcsError, InputError } from "../../model/errors";
import { AuthExpiredError, TransientError, UnitUnavailableError } from "../../engine/port/errors";
import type { BackendCommand } from "../../engine/port/backend";

/**
 * Fault injection (DESIGN §5): what can go wrong around a backend call, armed either in the persisted instance (so
 * another process, e.g. `hpcs-mk sim fault`, can arm it) or passed in-process to `openSimulator`.
 *
 * A fault matches a call by command (any command when omitted) and, optionally, by unit. Master key commands have
 * their points per unit. A generation has its own: `generateNew` around the recovery unit's GEN_WK, `copyNew` around
 * each copy into another unit (one after another, as auto-mk-rotate transfers them), and in `autoRotate` also
 * `clearNew` and `commitNew` per unit, then `autoRotate` itself just before ("before") and just after ("after") its
 * "Delaying 30 seconds…" line, then the rewrap's and the promotions' faults. The first `skip` matches
 * pass untouched; the next `times` matches fire. Every match and every firing is recorded (persisted for armed
 * faults) before the fault acts, so a run resumed after a crash proceeds past it.
 */

const COMMANDS = [
  "listUnits",
  "queryUnit",
  "rewrapStatus",
  "select",
  "deselect",
  "loadNew",
  "commitNew",
  "clearNew",
  "rewrap",
  "rotate",
  "setImmediate",
  "generateNew",
  "copyNew",
  "autoRotate",
] as const satisfies readonly BackendCommand[];
const MUTATING = ["select", "deselect", "loadNew", "commitNew", "clearNew", "rewrap", "rotate", "setImmediate", "generateNew", "copyNew", "autoRotate"] as const satisfies readonly BackendCommand[];

const matching = {
  /** The command the fault is bound to; any command when omitted. */
  command: z.enum(COMMANDS).optional(),
  /** An HSM id; the fault matches only calls that target this unit. */
  unit: z.string().min(1).optional(),
  /** Matches to let pass before the fault fires. */
  skip: z.number().int().min(0).default(0),
  /** How many matches fire (each firing is consumed). */
  times: z.number().int().min(1).default(1),
};

export const faultSpecSchema = z.discriminatedUnion("kind", [
  /** The process dies before the call acts, or after its effect is persisted and before the caller sees the result. */
  z.object({ kind: z.literal("crash"), when: z.enum(["before", "after"]), ...matching }).strict(),
  /** A non-retryable failure: before (nothing changed) or after (the effect happened, the caller sees an error). */
  z.object({ kind: z.literal("fail"), when: z.enum(["before", "after"]), ...matching }).strict(),
  /** HTTP 500 before the call acts: retryable, nothing changed. */
  z.object({ kind: z.literal("transient"), ...matching }).strict(),
  /** The effect happened and was persisted, then the response was lost: the caller gets a TransientError. */
  z.object({ kind: z.literal("lostResponse"), ...matching, command: z.enum(MUTATING).optional() }).strict(),
  /** HTTP 401: the IAM token expired. Nothing changed. */
  z.object({ kind: z.literal("authExpired"), ...matching }).strict(),
  /** The unit does not answer. Nothing changed. */
  z.object({ kind: z.literal("unitUnavailable"), ...matching }).strict(),
  /**
   * The process dies during the rewrap job after rewrapping `afterRecords` records in this run. `skip` counts rewrap
   * runs. A run that finishes with fewer records to rewrap leaves the fault armed.
   */
  z
    .object({
      kind: z.literal("crashMidRewrap"),
      afterRecords: z.number().int().min(0),
      skip: matching.skip,
      times: matching.times,
    })
    .strict(),
  /**
   * The combined rotate (`cryptounit-mk-rotate`) dies after printing the marker and promoting `promoted` of the
   * selected units (0: after the marker, before any promotion). `skip` counts rotate runs that reach the marker.
   */
  z.object({ kind: z.literal("crashInRotate"), promoted: z.number().int().min(0), skip: matching.skip, times: matching.times }).strict(),
  /** The combined rotate's marker line is lost (the output was cut off): the caller is not told; the command goes on. */
  z.object({ kind: z.literal("lostMarker"), skip: matching.skip, times: matching.times }).strict(),
  /**
   * The ibmcloud emulator's plug-in asks, before `command`, a question no driver has seen ("Do you want to delete all
   * key storage?"); answering yes is recorded as an unsafe answer (`unsafeAnswers`). A driver must stop there instead.
   */
  z.object({ kind: z.literal("unexpectedPrompt"), ...matching }).strict(),
]);

/** A fault as users write it (CLI JSON, tests): `skip` and `times` may be omitted. */
export type FaultSpec = z.input<typeof faultSpecSchema>;
export type Fault = z.output<typeof faultSpecSchema>;
export type FaultKind = Fault["kind"];

/** Parses a fault spec from outside (CLI JSON, options); an InputError names the offending field under `field`. */
export function parseFaultSpec(spec: unknown, field: string): Fault {
  const parsed = faultSpecSchema.safeParse(spec);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue.path.length > 0 ? `${field}.${issue.path.join(".")}` : field;
  throw new InputError(`${where}: ${issue.message}`, where);
}

/** A fault with its bookkeeping: `seen` counts matches so far, `fired` counts firings. */
export const armedFaultSchema = z.intersection(faultSpecSchema, z.object({ id: z.string().min(1), seen: z.number().int().min(0), fired: z.number().int().min(0) }));
export type ArmedFault = z.output<typeof armedFaultSchema>;
export type MidRewrapFault = Extract<ArmedFault, { kind: "crashMidRewrap" }>;

export function armFaultSpec(spec: Fault, id: string): ArmedFault {
  return { ...spec, id, seen: 0, fired: 0 };
}

/** A point in a call where faults may fire. `units` are the units the call targets (empty for instance-level calls). */
export interface FaultPoint {
  readonly command: BackendCommand;
  readonly units: readonly string[];
  readonly when: "before" | "after";
}

function phaseOf(fault: Fault): "before" | "after" | "midRewrap" | "marker" | "prompt" {
  switch (fault.kind) {
    case "crash":
    case "fail":
      return fault.when;
    case "lostResponse":
      return "after";
    case "crashMidRewrap":
      return "midRewrap";
    case "crashInRotate":
    case "lostMarker":
      return "marker";
    case "unexpectedPrompt":
      return "prompt";
    default:
      return "before";
  }
}

export function faultMatches(fault: Fault, point: FaultPoint): boolean {
  if (fault.kind === "crashMidRewrap" || fault.kind === "crashInRotate" || fault.kind === "lostMarker" || phaseOf(fault) !== point.when) return false;
  if (fault.command !== undefined && fault.command !== point.command) return false;
  return fault.unit === undefined || point.units.includes(fault.unit);
}

export function isSpent(fault: ArmedFault): boolean {
  return fault.fired >= fault.times;
}

/**
 * Records one match on the first live fault that matches and says whether it fires. Pure: returns the new list
 * (spent faults removed) and the fault that fires, if any.
 */
export function recordMatch(faults: readonly ArmedFault[], matches: (fault: ArmedFault) => boolean): { faults: ArmedFault[]; firing?: ArmedFault } {
  const index = faults.findIndex((f) => !isSpent(f) && matches(f));
  if (index < 0) return { faults: [...faults] };
  const fault = faults[index];
  const fires = fault.seen >= fault.skip;
  const updated: ArmedFault = { ...fault, seen: fault.seen + 1, fired: fault.fired + (fires ? 1 : 0) };
  const next = [...faults];
  if (isSpent(updated)) next.splice(index, 1);
  else next[index] = updated;
  return fires ? { faults: next, firing: updated } : { faults: next };
}

/** A fault that is neither a crash nor retryable: the caller must stop. */
export class InjectedFailure extends HpcsError {
  readonly retryable = false;
  constructor(readonly point: string) {
    super(`injected failure ${point}`);
  }
}

/**
 * SimulatedCrash — thrown by an in-process `onCrash` hook to stand for the death of the process. It is
 * deliberately not an `HpcsError`: nothing may catch it as an expected failure; the test treats the process as dead.
 */
export class SimulatedCrash extends Error {
  constructor(readonly point: string) {
    super(`simulated crash ${point}`);
    this.name = "SimulatedCrash";
  }
}

export function isSimulatedCrash(e: unknown): e is SimulatedCrash {
  return e instanceof Error && e.name === "SimulatedCrash";
}

/** Describes where a fault fired, for messages: `after loadNew on unit 1b2c…`. */
export function describePoint(point: FaultPoint): string {
  return `${point.when} ${point.command}${point.units.length === 1 ? ` on unit ${point.units[0]}` : ""}`;
}

/** The error a firing non-crash fault raises. */
export function faultError(fault: ArmedFault, point: FaultPoint, fallbackUnit: string): Error {
  const where = describePoint(point);
  switch (fault.kind) {
    case "authExpired":
      return new AuthExpiredError();
    case "unitUnavailable":
      return new UnitUnavailableError(fault.unit ?? point.units[0] ?? fallbackUnit);
    case "transient":
      return new TransientError(`IBM Hyper Protect Crypto Services is currently unavailable (HTTP 500, injected ${where}); nothing was changed`);
    case "lostResponse":
      return new TransientError(`the response was lost (injected ${where}); the command may have taken effect: re-observe before retrying`);
    default:
      return new InjectedFailure(where);
  }
}

export function isCrash(fault: Fault): boolean {
  return fault.kind === "crash" || fault.kind === "crashMidRewrap" || fault.kind === "crashInRotate";
}

/**
 * Starts a rewrap run against the mid-rewrap crash faults: a fault still skipping records the run as a match and
 * lets it pass; otherwise the first live one is returned, armed for this run but not consumed until it fires.
 */
export function startMidRewrap(faults: readonly ArmedFault[]): { faults: ArmedFault[]; armed?: MidRewrapFault } {
  const index = faults.findIndex((f) => f.kind === "crashMidRewrap" && !isSpent(f));
  if (index < 0) return { faults: [...faults] };
  const fault = faults[index] as MidRewrapFault;
  if (fault.seen >= fault.skip) return { faults: [...faults], armed: fault };
  const next = [...faults];
  next[index] = { ...fault, seen: fault.seen + 1 };
  return { faults: next };
}

/** Records that fault `id` fired; a spent fault is removed. */
export function consumeFault(faults: readonly ArmedFault[], id: string): ArmedFault[] {
  return faults.flatMap((f) => {
    if (f.id !== id) return [f];
    const fired = { ...f, seen: f.seen + 1, fired: f.fired + 1 };
    return isSpent(fired) ? [] : [fired];
  });
}
