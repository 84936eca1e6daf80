import { inImprintMode } from "../../model/registers";
import { sameVp, shortVp, verificationPattern, type Vp } from "../../model/vp";
import { RegisterMismatchError } from "../../engine/port/errors";
import { ep11Error } from "./ep11";
import type { UnitState } from "./instance-state";
import { authorize, authorizeBytes, requiredSignatures, type SignedRequest } from "./signing";

/**
 * The simulated crypto unit: pure rules from (unit state, signed request) to the next unit state, or an EP11 error.
 * Checks run in EP11's order: imprint mode, transaction counter, signatures, then the register rule of the command
 * (research §3 transition table). The workstation-side checks (selection, idempotency) live in workstation.ts.
 */

export interface HsmRequest extends SignedRequest {
  readonly command: "loadNew" | "commitNew" | "clearNew" | "setImmediate" | "generateNew" | "exportNew";
  /**
   * loadNew: the combined key, as the importer key would unwrap it inside the unit (IMPORT_WK, also of a key exported
   * from a recovery unit); generateNew: the random key GEN_WK makes inside the recovery unit (drawn by the simulator).
   */
  readonly key?: Uint8Array;
  /**
   * Whether the unit checks the register against the signed VP (EP11 commit and finalize carry it: `vpBinding` `hsm`).
   * False for a backend whose commands cannot carry it (`readFirst`): the unit acts on whatever its register holds.
   */
  readonly bindsVp: boolean;
}

export function assertNotImprint(unit: UnitState): void {
  if (inImprintMode(unit.thresholds)) throw ep11Error(unit.id, "imprintMode");
}

/**
 * executeOnHsm — what one crypto unit does with a signed master key command. Never mutates its input. `signedBytes`:
 * the bytes the signatures cover when the request came in EP11's own encoding (the TKE API emulator's DER
 * `xcpAdminBlk`); by default the simulator's canonical bytes of the request.
 */
export function executeOnHsm(unit: UnitState, request: HsmRequest, signedBytes?: Uint8Array): UnitState {
  assertNotImprint(unit);
  if (request.target !== unit.id || request.counter !== unit.transactionCounter + 1) throw ep11Error(unit.id, "invalidTransactionCounter");
  const required = requiredSignatures(request.command, unit.thresholds.signature);
  if (signedBytes) authorizeBytes(unit.id, unit.admins, signedBytes, request.signatures, required);
  else authorize(unit.id, unit.admins, request, required);
  return { ...applyRegisterRule(unit, request), transactionCounter: request.counter };
}

function applyRegisterRule(unit: UnitState, request: HsmRequest): UnitState {
  const mismatch = (detail: string) => new RegisterMismatchError(unit.id, detail);
  switch (request.command) {
    case "generateNew":
      // GEN_WK with a current key set fills the pending register (research §4.3); only recovery units may (permission 0x08).
      if (unit.type !== "recovery") throw ep11Error(unit.id, "randomKeyNotAllowed");
      return intoNewRegister(unit, request);
    case "loadNew":
      return intoNewRegister(unit, request);
    case "commitNew": {
      if (unit.new.status === "Empty" || (request.bindsVp && !sameVp(unit.new.vp, request.vp))) throw ep11Error(unit.id, "commitVpMismatch");
      return { ...unit, new: { ...unit.new, status: "Full Committed" } };
    }
    case "clearNew":
      return { ...unit, new: { status: "Empty" } };
    case "exportNew": {
      // EXPORT_NEXT_WK: a recovery unit (permission 0x02) wraps its pending key for another unit's importer key.
      if (unit.type !== "recovery") throw ep11Error(unit.id, "exportNotAllowed");
      if (unit.new.status === "Empty" || !sameVp(unit.new.vp, request.vp)) throw mismatch(`the new master key register holds ${describeNew(unit)}, not ${shortVp(request.vp)}; nothing was exported`);
      return unit;
    }
    case "setImmediate": {
      // FINALIZE_WK: the committed next WK becomes current and the previous WK is gone from this unit (research §9).
      // It does not look at key storage: the real setimm only warns. The invariant checker catches misuse.
      if (unit.new.status !== "Full Committed" || (request.bindsVp && !sameVp(unit.new.vp, request.vp))) {
        throw notPromotable(unit, request.vp);
      }
      return { ...unit, current: { status: "Valid", key: unit.new.key, vp: unit.new.vp }, new: { status: "Empty" } };
    }
  }
}

/** IMPORT_WK (and GEN_WK): the key lands in the Empty new register, Full Uncommitted. */
function intoNewRegister(unit: UnitState, request: HsmRequest): UnitState {
  // IMPORT_WK into an occupied pending register is undocumented (research §11.3); the simulator refuses it.
  if (unit.new.status !== "Empty") throw new RegisterMismatchError(unit.id, `the new master key register is ${unit.new.status}, not Empty; nothing was loaded`);
  if (!request.key || verificationPattern(request.key) !== request.vp) throw new RegisterMismatchError(unit.id, "the key sent does not have the signed verification pattern");
  return { ...unit, new: { status: "Full Uncommitted", key: Buffer.from(request.key).toString("hex"), vp: request.vp } };
}

/** The refusal of set immediate on a unit whose new register is not Full Committed with `vp`. */
export function notPromotable(unit: UnitState, vp: Vp): RegisterMismatchError {
  return new RegisterMismatchError(unit.id, `set immediate needs the new register Full Committed with ${shortVp(vp)}; it is ${describeNew(unit)}; nothing was promoted`);
}

export function describeNew(unit: UnitState): string {
  return unit.new.status === "Empty" ? "Empty" : `${unit.new.status} with ${shortVp(unit.new.vp)}`;
}

export function describeCurrent(unit: UnitState): string {
  return unit.current.status === "Empty" ? "Empty" : `Valid with ${shortVp(unit.current.vp)}`;
}
