import { children, concatBytes, DerError, derNull, fields, integerMagnitude, octetString, oid, readElement, sequence, TAG, tlv, unsignedInteger, type Element } from "./der";
import { readU32, u32 } from "./bytes";

/**
 * EP11 administration messages as the TKE HTTP API carries them (research tke-domain §6.3; IBM's SDK
 * `ep11cmds/ep11cprb.go`, `signerInfo.go`, `queryDomainInfo.go` at e023c2e). Every field of these SEQUENCEs is an
 * OCTET STRING (an empty one is `04 00`, never left out):
 *
 * - xcpAdminReq  = SEQ{ fnid 00010029, domain (4), xcpAdminBlk DER, SignerInfos (concatenated) }
 * - xcpAdminBlk  = SEQ{ cmdID (4), domainID (8: index ‖ instance), moduleID, transaction counter, cmdInput }
 * - xcpAdminRsp  = SEQ{ cmdID, domainID, rc (4), xcpAdminRspBlk DER, OA SignerInfos }, or its first three on an error
 * - xcpAdminRspBlk = SEQ{ cmdID, domainID, moduleID, transaction counter, rc (4), cmdOutput }
 * - get_xcp_info = SEQ{ fnid 00010026, domain (4), subtype (4), 00000000 } → SEQ{ fnid, domain, rc, payload }
 *
 * A signature (an administrator's, or a module's OA signature) is ECDSA P-521 over SHA-512 of a block's complete DER
 * (tag and length included), encoded as DER SEQ{r, s}.
 */

export const FNID = { admin: 0x00010029, getXcpInfo: 0x00010026 } as const;

/** Admin query ids (`XCP_ADMQ_*`). The admins query with an SKI as input returns that administrator's certificate. */
export const ADMIN_QUERY = { domainAdmins: 0x00010002, deviceCertificate: 0x00010003, domainAttributes: 0x0001000a } as const;

/** The signed master key commands this project sends (`XCP_ADM_*`). */
export const ADMIN_COMMAND = { commitWk: 0x0000000d, finalizeWk: 0x0000000e, clearNextWk: 0x0000001c } as const;

/** get_xcp_info subtypes. */
export const XCP_INFO = { module: 1, domain: 3 } as const;

/** Domain attribute ids (`XCP_ADMINT_*`). */
export const DOMAIN_ATTRIBUTE = { signatureThreshold: 1, revocationThreshold: 2, permissions: 3, mode: 4, standards: 5 } as const;

/** EP11 return and reason codes with a meaning here. */
export const EP11_RC = { keyHandleInvalid: 96, notFoundReason: 60 } as const;

export const OIDS = {
  sha512: "2.16.840.1.101.3.4.2.3",
  ecdsaWithSha512: "1.2.840.10045.4.3.4",
} as const;

const octets = (element: Element) => element.content;
const allOctetStrings = (n: number) => Array.from({ length: n }, () => TAG.octetString);

// ---- xcpAdminBlk -------------------------------------------------------------------------------------------------

export interface AdminBlock {
  readonly cmdId: number;
  /** 8 bytes: the domain index (BE u32) ‖ the domain instance (4 bytes; zero in queries). */
  readonly domainId: Uint8Array;
  /** Empty in queries; in a signed command, as the module's last response gave it (its first 8 bytes: the serial). */
  readonly moduleId: Uint8Array;
  /** Empty in queries; in a signed command, the module's counter + 1 at the same width. */
  readonly counter: Uint8Array;
  readonly cmdInput: Uint8Array;
}

export function encodeAdminBlock(block: AdminBlock): Uint8Array {
  return sequence(octetString(u32(block.cmdId)), octetString(block.domainId), octetString(block.moduleId), octetString(block.counter), octetString(block.cmdInput));
}

export function decodeAdminBlock(der: Uint8Array): AdminBlock {
  const [cmdId, domainId, moduleId, counter, cmdInput] = fields(readOne(der, "xcpAdminBlk"), allOctetStrings(5), "xcpAdminBlk").map(octets);
  return { cmdId: readU32(cmdId), domainId, moduleId, counter, cmdInput };
}

/** The domainID of a query: the domain index and a zero instance. */
export function queryDomainId(domainIndex: number): Uint8Array {
  return concatBytes(u32(domainIndex), new Uint8Array(4));
}

/** The module's transaction counter + 1, at the same width (wrapping like IBM's `IncrementTransactionCounter`). */
export function incrementCounter(counter: Uint8Array): Uint8Array {
  const next = Uint8Array.from(counter.length ? counter : [0]);
  for (let i = next.length - 1; i >= 0; i--) {
    next[i] = (next[i] + 1) & 0xff;
    if (next[i] !== 0) break;
  }
  return next;
}

/** A counter as a number, for comparisons (counters this large are never reached). */
export function counterValue(counter: Uint8Array): number {
  return counter.reduce((n, b) => n * 256 + b, 0);
}

export function counterBytes(value: number, width = 16): Uint8Array {
  const out = new Uint8Array(width);
  for (let i = width - 1, v = value; i >= 0 && v > 0; i--, v = Math.floor(v / 256)) out[i] = v % 256;
  return out;
}

// ---- SignerInfo --------------------------------------------------------------------------------------------------

export interface SignerInfo {
  /** 32 bytes: SHA-256 of the signer's 04 ‖ X ‖ Y (an administrator), or the OA key's identifier. */
  readonly ski: Uint8Array;
  /** DER SEQ{r, s}. */
  readonly signature: Uint8Array;
  /** Dotted OID of the signature algorithm: ecdsaWithSHA512 for every signature this project makes or accepts. */
  readonly signatureAlgorithm: string;
}

/** An EC P-521 SignerInfo as IBM's SDK sends it: version 3, [0] SKI, sha512 + NULL, ecdsaWithSHA512 + NULL. */
export function encodeSignerInfo(ski: Uint8Array, signature: Uint8Array): Uint8Array {
  if (ski.length !== 32) throw new RangeError("a signer's SKI is 32 bytes");
  return sequence(unsignedInteger(3), tlv(TAG.context0, ski), sequence(oid(OIDS.sha512), derNull()), sequence(oid(OIDS.ecdsaWithSha512), derNull()), octetString(signature));
}

/**
 * Every SignerInfo of a concatenation; the algorithm identifiers may carry a NULL or not. `skipOthers`: a response's
 * SignerInfos may include kinds this codec does not read (a Dilithium one on CEX8P modules, whose shape is not
 * public): those are left out instead of refusing the response; the caller picks the ECC one it needs.
 */
export function decodeSignerInfos(bytes: Uint8Array, options: { skipOthers?: boolean } = {}): SignerInfo[] {
  return children(bytes).flatMap((info, i) => {
    try {
      return [decodeSignerInfo(info, i)];
    } catch (error) {
      if (options.skipOthers && error instanceof DerError) return [];
      throw error;
    }
  });
}

function decodeSignerInfo(info: Element, i: number): SignerInfo {
  const what = `SignerInfo ${i + 1}`;
  const [version, ski, , algorithm, signature] = fields(info, [TAG.integer, TAG.context0, TAG.sequence, TAG.sequence, TAG.octetString], what);
  if (integerMagnitude(version)[0] !== 3) throw new DerError(`${what}: version is not 3`);
  if (ski.content.length !== 32) throw new DerError(`${what}: the SKI is ${ski.content.length} bytes, not 32`);
  const algorithmOid = children(algorithm.content)[0];
  if (!algorithmOid || algorithmOid.tag !== TAG.oid) throw new DerError(`${what}: no signature algorithm`);
  return { ski: ski.content, signature: signature.content, signatureAlgorithm: dottedOid(algorithmOid.content) };
}

function dottedOid(content: Uint8Array): string {
  const arcs: number[] = [];
  let value = 0;
  for (const byte of content) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      arcs.push(value);
      value = 0;
    }
  }
  const first = arcs.shift() ?? 0;
  return [Math.min(2, Math.floor(first / 40)), first - 40 * Math.min(2, Math.floor(first / 40)), ...arcs].join(".");
}

// ---- xcpAdminReq -------------------------------------------------------------------------------------------------

export interface AdminRequest {
  readonly domainIndex: number;
  /** The complete DER of the xcpAdminBlk: the bytes the signatures cover. */
  readonly blockDer: Uint8Array;
  readonly signerInfos: readonly Uint8Array[];
}

export function encodeAdminRequest(request: AdminRequest): Uint8Array {
  return sequence(octetString(u32(FNID.admin)), octetString(u32(request.domainIndex)), octetString(request.blockDer), octetString(concatBytes(...request.signerInfos)));
}

export interface DecodedAdminRequest {
  readonly domainIndex: number;
  readonly blockDer: Uint8Array;
  readonly block: AdminBlock;
  readonly signers: readonly SignerInfo[];
}

export function decodeAdminRequest(payload: Uint8Array): DecodedAdminRequest {
  const [fnid, domain, blockDer, signerInfos] = fields(readOne(payload, "xcpAdminReq"), allOctetStrings(4), "xcpAdminReq").map(octets);
  if (readU32(fnid) !== FNID.admin) throw new DerError(`xcpAdminReq: function id 0x${readU32(fnid).toString(16)} is not m_admin`);
  return { domainIndex: readU32(domain), blockDer, block: decodeAdminBlock(blockDer), signers: decodeSignerInfos(signerInfos) };
}

// ---- xcpAdminRsp / xcpAdminRspBlk -------------------------------------------------------------------------------

export interface AdminResponseBlock {
  readonly cmdId: number;
  readonly domainId: Uint8Array;
  readonly moduleId: Uint8Array;
  readonly counter: Uint8Array;
  readonly returnCode: number;
  /** On an error, its first 4 bytes are the reason code. */
  readonly cmdOutput: Uint8Array;
}

export function encodeAdminResponseBlock(block: AdminResponseBlock): Uint8Array {
  return sequence(...[u32(block.cmdId), block.domainId, block.moduleId, block.counter, u32(block.returnCode), block.cmdOutput].map(octetString));
}

export function decodeAdminResponseBlock(der: Uint8Array): AdminResponseBlock {
  const [cmdId, domainId, moduleId, counter, returnCode, cmdOutput] = fields(readOne(der, "xcpAdminRspBlk"), allOctetStrings(6), "xcpAdminRspBlk").map(octets);
  return { cmdId: readU32(cmdId), domainId, moduleId, counter, returnCode: readU32(returnCode), cmdOutput };
}

/** An xcpAdminRsp: the module's signed block and its OA SignerInfos, or only a return code (an error outside the block). */
export type AdminResponse =
  | { readonly kind: "signed"; readonly returnCode: number; readonly blockDer: Uint8Array; readonly block: AdminResponseBlock; readonly signers: readonly SignerInfo[] }
  | { readonly kind: "error"; readonly returnCode: number };

export function encodeAdminResponse(response: { readonly cmdId: number; readonly domainId: Uint8Array; readonly returnCode: number; readonly blockDer?: Uint8Array; readonly signerInfos?: readonly Uint8Array[] }): Uint8Array {
  const head = [u32(response.cmdId), response.domainId, u32(response.returnCode)];
  const tail = response.blockDer ? [response.blockDer, concatBytes(...(response.signerInfos ?? []))] : [];
  return sequence(...[...head, ...tail].map(octetString));
}

export function decodeAdminResponse(payload: Uint8Array): AdminResponse {
  const outer = readOne(payload, "xcpAdminRsp");
  const count = children(outer.content).length;
  if (count === 3) {
    const [, , returnCode] = fields(outer, allOctetStrings(3), "xcpAdminRsp").map(octets);
    const rc = readU32(returnCode);
    if (rc === 0) throw new DerError("xcpAdminRsp returnValue is zero, but following fields are missing.");
    return { kind: "error", returnCode: rc };
  }
  const [, , returnCode, blockDer, signerInfos] = fields(outer, allOctetStrings(5), "xcpAdminRsp").map(octets);
  return { kind: "signed", returnCode: readU32(returnCode), blockDer, block: decodeAdminResponseBlock(blockDer), signers: decodeSignerInfos(signerInfos, { skipOthers: true }) };
}

// ---- get_xcp_info ------------------------------------------------------------------------------------------------

export function encodeXcpInfoRequest(domainIndex: number, subtype: number): Uint8Array {
  return sequence(...[u32(FNID.getXcpInfo), u32(domainIndex), u32(subtype), u32(0)].map(octetString));
}

export function decodeXcpInfoRequest(payload: Uint8Array): { readonly domainIndex: number; readonly subtype: number } {
  const [fnid, domain, subtype] = fields(readOne(payload, "get_xcp_info request"), allOctetStrings(4), "get_xcp_info request").map(octets);
  if (readU32(fnid) !== FNID.getXcpInfo) throw new DerError("get_xcp_info request: wrong function id");
  return { domainIndex: readU32(domain), subtype: readU32(subtype) };
}

export function encodeXcpInfoResponse(domainIndex: number, returnCode: number, payload: Uint8Array): Uint8Array {
  return sequence(...[u32(FNID.getXcpInfo), u32(domainIndex), u32(returnCode), payload].map(octetString));
}

export function decodeXcpInfoResponse(payload: Uint8Array): { readonly domainIndex: number; readonly returnCode: number; readonly info: Uint8Array } {
  const [, domain, returnCode, info] = fields(readOne(payload, "get_xcp_info response"), allOctetStrings(4), "get_xcp_info response").map(octets);
  return { domainIndex: readU32(domain), returnCode: readU32(returnCode), info };
}

// ---- payloads ----------------------------------------------------------------------------------------------------

/** Domain-info flag bits (payload byte 71 and up): current WK present, next WK present, next WK committed. */
export const DOMAIN_FLAGS = { adminsPresent: 0x01, currentWk: 0x02, nextWk: 0x04, nextCommitted: 0x08, imprinted: 0x10 } as const;

export interface DomainInfo {
  readonly domainIndex: number;
  readonly currentVp: Uint8Array;
  readonly newVp: Uint8Array;
  readonly flags: number;
}

const DOMAIN_INFO_BYTES = 80;

/** The domain-info payload: domain (4), current VP (32), new VP (32), flags (4), mode (8). */
export function encodeDomainInfo(info: DomainInfo): Uint8Array {
  if (info.currentVp.length !== 32 || info.newVp.length !== 32) throw new RangeError("a VP is 32 bytes");
  return concatBytes(u32(info.domainIndex), info.currentVp, info.newVp, u32(info.flags), new Uint8Array(8));
}

export function decodeDomainInfo(payload: Uint8Array): DomainInfo {
  if (payload.length < DOMAIN_INFO_BYTES) throw new DerError("Query domain information response is too short.");
  return { domainIndex: readU32(payload, 0), currentVp: payload.slice(4, 36), newVp: payload.slice(36, 68), flags: readU32(payload, 68) };
}

/** Domain attributes: (id, value) pairs of BE u32. */
export function encodeAttributes(attributes: ReadonlyMap<number, number>): Uint8Array {
  return concatBytes(...[...attributes].flatMap(([id, value]) => [u32(id), u32(value)]));
}

export function decodeAttributes(output: Uint8Array): Map<number, number> {
  const attributes = new Map<number, number>();
  for (let i = 0; i + 8 <= output.length; i += 8) attributes.set(readU32(output, i), readU32(output, i + 4));
  return attributes;
}

/** The admins query's output: 32-byte SKIs back to back. */
export function decodeSkiList(output: Uint8Array): string[] {
  if (output.length % 32 !== 0) throw new DerError("Command output length is not a multiple of 32");
  return Array.from({ length: output.length / 32 }, (_, i) => Buffer.from(output.subarray(32 * i, 32 * i + 32)).toString("hex"));
}

function readOne(bytes: Uint8Array, what: string): Element {
  const element = readElement(bytes);
  if (element.tag !== TAG.sequence) throw new DerError(`${what}: expected a SEQUENCE`);
  return element;
}
