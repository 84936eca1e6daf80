import { verifySignature, type SignatureKey } from "../../model/signature-key-file";
import type { Vp } from "../../model/vp";
import type { AdministrationRequest } from "./administration";
import { ep11Error } from "./ep11";
import type { AdminState } from "./instance-state";

/**
 * Signed administrative commands, the simulator's stand-in for EP11 `xcpAdminBlk` + SignerInfos (research §6.3):
 * the workstation signs canonical bytes naming the target, the command, its parameter and the transaction counter
 * it expects the unit to accept next; the simulated HSM rebuilds the same bytes and verifies every signature
 * against its installed administrators' public keys.
 */

export type SignedCommand = "loadNew" | "commitNew" | "clearNew" | "setImmediate" | "rewrap";

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

/**
 * Required signatures per command (research §1.3 table, after imprint mode): commit needs the signature
 * threshold; load, clear, set immediate and the rotate request need one.
 */
export function requiredSignatures(command: SignedCommand, signatureThreshold: number): number {
  return command === "commitNew" ? signatureThreshold : 1;
}

/**
 * chooseSigners — what the TKE CLI does with the selected signature keys: installed administrators first (each
 * once), then the others, up to `count`. Too few keys are sent as they are; the unit answers "Not enough
 * signatures", and a key that is not an administrator makes it answer "An unauthorized administrator signed".
 */
export function chooseSigners(keys: readonly SignatureKey[], admins: readonly Pick<AdminState, "ski">[], count: number): SignatureKey[] {
  const installed = new Set(admins.map((a) => a.ski));
  const distinct = keys.filter((k, i) => keys.findIndex((o) => o.ski === k.ski) === i);
  const ordered = [...distinct.filter((k) => installed.has(k.ski)), ...distinct.filter((k) => !installed.has(k.ski))];
  return ordered.slice(0, count);
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
  const bytes = commandBytes(request);
  const signers = new Set<string>();
  for (const s of request.signatures) {
    const admin = admins.find((a) => a.ski === s.ski);
    if (!admin) throw ep11Error(unit, "unauthorizedSigner");
    if (!verifySignature(admin.publicKey, bytes, Buffer.from(s.signature, "base64"))) throw ep11Error(unit, "invalidSignature");
    signers.add(s.ski);
  }
  if (signers.size < required) throw ep11Error(unit, "notEnoughSignatures");
}
