import { HpcsError } from "../../model/errors";
import { inImprintMode, type Thresholds } from "../../model/registers";
import { ep11Error } from "./ep11";
import type { AdminState, UnitState } from "./instance-state";
import { authorize, type Signature } from "./signing";
import { count } from "../../format/words";

/**
 * The simulated crypto unit's administration commands (`cryptounit-admin-add`, `cryptounit-thrhld-set`,
 * `cryptounit-zeroize`): pure rules from (unit state, signed request) to the next unit state. Signatures follow IBM's
 * table (research/tke-domain.md §1.3): in imprint mode adding an administrator and zeroizing need none, and leaving
 * imprint mode needs as many administrators as the new signature threshold; after it, adding an administrator and
 * setting thresholds need the signature threshold, zeroizing one signature.
 */
export type Administration =
  | { readonly kind: "addAdmin"; readonly admin: AdminState }
  | { readonly kind: "setThresholds"; readonly signature: number; readonly revocation: number }
  | { readonly kind: "zeroize" };

export interface AdministrationRequest {
  readonly target: string;
  readonly command: Administration["kind"];
  /** What the command does, in the canonical form that is signed (administrationParameter). */
  readonly parameter: string;
  readonly counter: number;
}

export interface SignedAdministration extends AdministrationRequest {
  readonly operation: Administration;
  readonly signatures: readonly Signature[];
}

/** A command the unit refuses for its own rules (not an EP11 code the research names): the message says which. */
export class AdministrationError extends HpcsError {
  readonly retryable = false;
}

const MAX_ADMINS = 8;

export function administrationParameter(operation: Administration): string {
  switch (operation.kind) {
    case "addAdmin":
      return `${operation.admin.ski}:${operation.admin.name}:${operation.admin.publicKey}`;
    case "setThresholds":
      return `${operation.signature}:${operation.revocation}`;
    case "zeroize":
      return "";
  }
}

/** How many administrators must sign `operation` on a unit with these thresholds. */
export function administrationSignatures(thresholds: Thresholds, operation: Administration): number {
  const imprint = inImprintMode(thresholds);
  switch (operation.kind) {
    case "addAdmin":
      return imprint ? 0 : thresholds.signature;
    case "setThresholds":
      return imprint ? operation.signature : thresholds.signature;
    case "zeroize":
      return imprint ? 0 : 1;
  }
}

/** executeAdministration — what one crypto unit does with a signed administration command. Never mutates its input. */
export function executeAdministration(unit: UnitState, request: SignedAdministration): UnitState {
  if (request.target !== unit.id || request.counter !== unit.transactionCounter + 1) throw ep11Error(unit.id, "invalidTransactionCounter");
  if (request.parameter !== administrationParameter(request.operation) || request.command !== request.operation.kind) {
    throw new AdministrationError(`crypto unit ${unit.id}: the signed command does not describe the operation sent`);
  }
  authorize(unit.id, unit.admins, request, administrationSignatures(unit.thresholds, request.operation));
  return { ...apply(unit, request.operation), transactionCounter: request.counter };
}

function apply(unit: UnitState, operation: Administration): UnitState {
  const refuse = (detail: string) => new AdministrationError(`crypto unit ${unit.id}: ${detail}; nothing was changed`);
  switch (operation.kind) {
    case "addAdmin":
      if (unit.admins.some((a) => a.ski === operation.admin.ski)) throw refuse(`${operation.admin.name} is already an administrator`);
      if (unit.admins.length >= MAX_ADMINS) throw refuse(`a crypto unit holds at most ${MAX_ADMINS} administrators`);
      return { ...unit, admins: [...unit.admins, operation.admin] };
    case "setThresholds": {
      const { signature, revocation } = operation;
      for (const [name, value] of [["signature", signature], ["revocation signature", revocation]] as const) {
        if (!Number.isInteger(value) || value < 1 || value > MAX_ADMINS) throw refuse(`the ${name} threshold must be a number from 1 to ${MAX_ADMINS}`);
        if (value > unit.admins.length) throw refuse(`the ${name} threshold ${value} is more than the ${count(unit.admins.length, "installed administrator")}`);
      }
      return { ...unit, thresholds: { signature, revocation } };
    }
    case "zeroize":
      return { ...unit, admins: [], thresholds: { signature: 0, revocation: 0 }, current: { status: "Empty" }, new: { status: "Empty" } };
  }
}
