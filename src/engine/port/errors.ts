import { HpcsError } from "../../model/errors";
import { shortVp, type Vp } from "../../model/vp";

/**
 * Typed backend errors (DESIGN §5). Messages carry the exact values a person needs; `cause` keeps the chain.
 * `retryable` says whether the executor may simply try the same call again after re-observing.
 */

/** An EP11 error from a crypto unit, with IBM's return/reason code and message text (research §2.4, §3). */
export class Ep11Error extends HpcsError {
  readonly retryable = false;
  constructor(
    readonly unit: string,
    readonly returnCode: number,
    readonly reasonCode: number | undefined,
    readonly ibmText: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Error reported by EP11 crypto module on crypto unit ${unit}. Return code: ${returnCode}${reasonCode === undefined ? "" : `, reason code: ${reasonCode}`}. ${ibmText}`,
      options,
    );
  }
}

/** The IAM token expired or lacks permission (HTTP 401). Nothing changed; log in again and re-run. */
export class AuthExpiredError extends HpcsError {
  readonly retryable = false;
  constructor(options?: { cause?: unknown }) {
    super(
      "Your access token is invalid, expired, or does not have the necessary permissions to access this instance. Log in again (ibmcloud login, or a fresh hpcs:apiKey) and re-run; nothing was changed by this call.",
      options,
    );
  }
}

/** A transient service error (HTTP 500, a lost response). The call may or may not have taken effect. */
export class TransientError extends HpcsError {
  readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class UnitUnavailableError extends HpcsError {
  readonly retryable = true;
  constructor(
    readonly unit: string,
    options?: { cause?: unknown },
  ) {
    super(`crypto unit ${unit} is not available right now; IBM Hyper Protect Crypto Services is currently unavailable for it. Try again later.`, options);
  }
}

/** A cryptounit-mk-rotate pre-check failed (research §4.1). Nothing changed. */
export class PrecheckFailedError extends HpcsError {
  readonly retryable = false;
  constructor(readonly reasons: readonly string[]) {
    super(`the master key rotation pre-check failed: ${reasons.join("; ")}`);
  }
}

/**
 * The key parts make the key the units already have as current, so nothing was loaded (IBM: "Make sure that at least
 * one master key part is not used for the current master key. Otherwise, the same master key is generated and you are
 * not able to load it to the new master key register." research §2.5). Carries that key: for key part files only the
 * backend can open, this is how the engine learns that the declared key is already current.
 */
export class SameKeyError extends HpcsError {
  readonly retryable = false;
  constructor(
    readonly unit: string,
    readonly currentVp: Vp,
  ) {
    super(
      `crypto unit ${unit}: the new master key value is the same as the current master key value (${shortVp(currentVp)}); nothing was loaded. To rotate, make sure that at least one master key part is not used for the current master key.`,
    );
  }
}

/** Whether `e` is a SameKeyError, also across module copies. */
export function isSameKeyError(e: unknown): e is SameKeyError {
  return e instanceof SameKeyError || (e instanceof Error && e.name === "SameKeyError" && typeof (e as { currentVp?: unknown }).currentVp === "string");
}

/** A workstation-side refusal: the command targets a unit that is not selected, or not in this instance. */
export class SelectionError extends HpcsError {
  readonly retryable = false;
}

/** A register did not hold what the command was bound to; the command did nothing. */
export class RegisterMismatchError extends HpcsError {
  readonly retryable = false;
  constructor(
    readonly unit: string,
    detail: string,
  ) {
    super(`crypto unit ${unit}: ${detail}`);
  }
}

/** The backend has no such command in its shape (capabilities.ts): `rewrap` on a combined backend, `rotate` on a separate one. */
export class UnsupportedCommandError extends HpcsError {
  readonly retryable = false;
  constructor(
    readonly command: string,
    readonly reason: string,
  ) {
    super(`${command} is not a command of this backend: ${reason}`);
  }
}

export class UnknownInstanceError extends HpcsError {
  readonly retryable = false;
  constructor(readonly instanceId: string, hint: string) {
    super(`service instance ${instanceId} was not found. ${hint}`);
  }
}

/** Who holds the lease a run could not take or keep, as far as this host can tell. */
export type LeaseHolder =
  /** A process on this host that is still running (a dead one's lease is taken over at once). */
  | { readonly kind: "runningHere"; readonly owner: string; readonly pid: number; readonly expiresAt: string }
  /** This very process: another run in it (two resources of one Pulumi program) holds the instance. */
  | { readonly kind: "thisProcess"; readonly owner: string }
  /** A process on another host (or of an earlier release that recorded none): its liveness cannot be seen from here. */
  | { readonly kind: "elsewhere"; readonly owner: string; readonly host: string | undefined; readonly expiresAt: string }
  /** This run's own lease was taken over by another run, or expired and was released. */
  | { readonly kind: "takenOver"; readonly owner: string | undefined };

/** Another rotation holds the instance's lease. */
export class LeaseHeldError extends HpcsError {
  readonly retryable = false;
  constructor(readonly holder: LeaseHolder) {
    super(leaseMessage(holder));
  }
}

function leaseMessage(holder: LeaseHolder): string {
  switch (holder.kind) {
    case "runningHere":
      return `another rotation (${holder.owner}) holds this instance, and its process ${holder.pid} is still running on this host: wait for it to finish. If it hangs, stop that process; the next run then takes its lease over at once (otherwise the lease runs until ${holder.expiresAt})`;
    case "thisProcess":
      return `another rotation in this same process (${holder.owner}) holds this instance: one rotation per instance at a time; declare each instance once (one MasterKey per instance), or run again once it has finished`;
    case "elsewhere":
      return `another rotation (${holder.owner}${holder.host ? ` on host ${holder.host}` : ""}) holds this instance's lease until ${holder.expiresAt}: wait for it to finish. Whether that process still runs cannot be seen from this host; if it died, the lease is free at ${holder.expiresAt}`;
    case "takenOver":
      return `this run's lease on the instance was taken over (${holder.owner ? `it is now held by ${holder.owner}` : "it expired and was released"}), so this run stopped: two rotations never act at once. Run again once the other one has finished`;
  }
}

/** True when re-observing and retrying the same call is safe and may succeed. Works across module copies. */
export function isTransient(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { retryable?: unknown }).retryable === true;
}
