import { verifySignature, type SignatureKey } from "../../model/signature-key-file";
import type { Vp } from "../../model/vp";
import type { AdministrationRequest } from "./administration";
import { ep11Error } from "./ep11";
import type { AdminState } from "./instance-state";
import type { SignedCommand } from "../../model/signers";

/**
 * Signed administrative commands, the simulator's stand-in for EP11 `xcpAdminBlk` + SignerInfos (research §6.3):
 * the workstation signs canonical bytes naming the target, the command, its parameter and the transaction counter
 * it expects the unit to accept next; the simulated HSM rebuilds the same bytes and verifies every signature
 * against its installed administrators' public keys.
 */

export type { SignedCommand } from "../../model/signers";
export { chooseSigners, requiredSignatures } from "../../model/signers";

export interface AdminRequest {
  /** The HSM id, or the instance id for the instance-level rewrap request. */
  readonly target: string;
  readonly command: SignedCommand;
  /** The verification pattern the command is bound to. */
  readonly vp: Vp;
  /** The unit's transaction counter + 1 (0 for the instance-level rewrap request). */
  readonly counter: number;
}

export interface Signature {
  readonly ski: string;
  /** DER ECDSA signature, base64. */
  readonly signature: string;
}

export interface SignedRequest extends AdminRequest {
  readonly signatures: readonly Signature[];
}

const DOMAIN_SEPARATOR = "hpcs-sim/admin-command/v1";

/** A request of either kind: a master key command bound to a VP, or an administration command and its parameter. */
type AnyRequest = AdminRequest | AdministrationRequest;

/** The bytes that are signed: fixed field order, so both sides build the same ones. */
export function commandBytes(request: AnyRequest): Uint8Array {
  const subject = "vp" in request ? request.vp : request.parameter;
  return Buffer.from(JSON.stringify([DOMAIN_SEPARATOR, request.target, request.command, subject, request.counter]), "utf8");
}

export function signRequest<R extends AnyRequest>(request: R, keys: readonly SignatureKey[]): R & { readonly signatures: readonly Signature[] } {
  const bytes = commandBytes(request);
  return { ...request, signatures: keys.map((k) => ({ ski: k.ski, signature: Buffer.from(k.sign(bytes)).toString("base64") })) };
}

/**
 * authorize — the HSM's signature check: every signer must be an installed administrator (3-257), every signature
 * must verify (3-192), and enough distinct administrators must have signed (3-208). `unit` names the unit in errors.
 */
export function authorize(unit: string, admins: readonly AdminState[], request: AnyRequest & { readonly signatures: readonly Signature[] }, required: number): void {
  authorizeBytes(unit, admins, commandBytes(request), request.signatures, required);
}

/**
 * The same check over bytes signed in another encoding: the TKE API emulator's, where the signed bytes are the DER
 * `xcpAdminBlk` the client sent (research tke-domain §6.3).
 */
export function authorizeBytes(unit: string, admins: readonly AdminState[], bytes: Uint8Array, signatures: readonly Signature[], required: number): void {
  const signers = new Set<string>();
  for (const s of signatures) {
    const admin = admins.find((a) => a.ski === s.ski);
    if (!admin) throw ep11Error(unit, "unauthorizedSigner");
    if (!verifySignature(admin.publicKey, bytes, Buffer.from(s.signature, "base64"))) throw ep11Error(unit, "invalidSignature");
    signers.add(s.ski);
  }
  if (signers.size < required) throw ep11Error(unit, "notEnoughSignatures");
}
