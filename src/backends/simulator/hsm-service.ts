import type { Vp } from "../../model/vp";
import type { Signature } from "./signing";
import { executeOnHsm, type HsmRequest } from "./hsm";
import type { AdminState, UnitState } from "./instance-state";
import { StateStore } from "./state-store";
import { findUnit } from "./workstation";

/**
 * The simulated crypto units as a service that receives EP11 requests already signed: what the TKE HTTP API emulator
 * stands on. Unlike the Backend, nothing here signs or selects: requests arrive with their signatures over the bytes
 * the client signed, and each unit applies the same rules (hsm.ts) as under the simulator's own commands.
 */

/** One unit as its HSM knows it: registers (VPs, no key bytes), thresholds, administrators with their keys, counter. */
export type HsmView = Omit<UnitState, "current" | "new" | "selected"> & {
  readonly current: { readonly status: UnitState["current"]["status"]; readonly vp?: Vp };
  readonly new: { readonly status: UnitState["new"]["status"]; readonly vp?: Vp };
  readonly admins: readonly AdminState[];
};

export function readHsms(dir: string, instanceId: string): HsmView[] {
  return new StateStore(dir, instanceId).read().units.map((unit) => ({
    id: unit.id,
    type: unit.type,
    location: unit.location,
    thresholds: unit.thresholds,
    admins: unit.admins,
    transactionCounter: unit.transactionCounter,
    current: unit.current.status === "Empty" ? { status: "Empty" } : { status: unit.current.status, vp: unit.current.vp },
    new: unit.new.status === "Empty" ? { status: "Empty" } : { status: unit.new.status, vp: unit.new.vp },
  }));
}

export interface SignedHsmCommand {
  readonly command: "commitNew" | "clearNew" | "setImmediate";
  /** The VP the command carries (commit and finalize); the HSM refuses a register holding another. */
  readonly vp: Vp;
  readonly counter: number;
  readonly signatures: readonly Signature[];
  /** The bytes the signatures cover: the DER xcpAdminBlk as the client sent it. */
  readonly signedBytes: Uint8Array;
}

/** executeSignedCommand — one unit applies a signed master key command, or throws its EP11 error. */
export async function executeSignedCommand(dir: string, instanceId: string, unitId: string, command: SignedHsmCommand): Promise<void> {
  const request: HsmRequest = { target: unitId, command: command.command, vp: command.vp, counter: command.counter, signatures: command.signatures, bindsVp: true };
  await new StateStore(dir, instanceId).update((state) => ({
    state: { ...state, units: state.units.map((u) => (u.id === unitId ? executeOnHsm(findUnit(state, unitId), request, command.signedBytes) : u)) },
  }));
}

/** Another administrator's signed command reached the unit meanwhile: its transaction counter moved on. */
export async function advanceTransactionCounter(dir: string, instanceId: string, unitId: string): Promise<void> {
  await new StateStore(dir, instanceId).update((state) => ({
    state: { ...state, units: state.units.map((u) => (u.id === unitId ? { ...u, transactionCounter: u.transactionCounter + 1 } : u)) },
  }));
}
