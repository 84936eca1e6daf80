import { concatBytes } from "./der";
export { readU32, u32 } from "./bytes";

/**
 * The TKE HTTP API's framing around an EP11 request (research tke-domain §6.2; IBM's SDK `ep11cmds/ep11cprb.go`,
 * `NewXPNUMRequest`, `NewCPRB`, `ParseResponse`, `GetRspPayload`, at e023c2e):
 *
 * - HTPRequest: `<length>;PCI request;XPNUM   ;<crypto module index>;<8 spaces>;<CPRB as upper-case hex>`, where
 *   `<length>` is the decimal count of every character after itself.
 * - CPRB: a 32-byte header (length 0x0020, version 4, flags 0x80, `T4`, partition 0, domain index, return code,
 *   payload length), then the payload (DER).
 * - HTPResponse: `;`-separated: a length, an error block of at least 156 characters (error type `00` = none), the
 *   response CPRB as hex. A response CPRB's return code field holds a 16-bit return code and a 16-bit reason code.
 */

export const CPRB_HEADER_BYTES = 32;
const HTP_HEADER = ";PCI request;XPNUM   ;";
const HTP_BLANK_FIELD = ";        ;";
/** Character widths of the HTPResponse error block's fields: type, return code, reason code, program, location, text. */
const ERROR_FIELDS = [2, 8, 8, 8, 30, 100] as const;
const ERROR_BLOCK_CHARS = ERROR_FIELDS.reduce((a, b) => a + b, 0);

export class HtpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HtpError";
  }
}

/** Where a request goes: the crypto module and the domain in it, from a location `[zone].[host].[module].[domain]`. */
export interface DomainAddress {
  readonly cryptoModuleIndex: number;
  readonly domainIndex: number;
}

/** The module and domain indexes of a location as GET /hsms reports it; a location of another form is refused. */
export function domainAddress(location: string): DomainAddress {
  const parts = location.split(".");
  const index = (part: string | undefined) => (part && /^\[\d+\]$/.test(part) ? Number(part.slice(1, -1)) : NaN);
  const address = { cryptoModuleIndex: index(parts[2]), domainIndex: index(parts[3]) };
  if (parts.length !== 4 || !Number.isSafeInteger(address.cryptoModuleIndex) || !Number.isSafeInteger(address.domainIndex)) {
    throw new HtpError(`location ${JSON.stringify(location)} is not of the form [zone].[host].[module].[domain]`);
  }
  return address;
}

/** The module part of a location (`[zone].[host].[module]`): units with the same one share a crypto module and its OA key. */
export function moduleOf(location: string): string {
  return location.split(".").slice(0, 3).join(".");
}

/** A CPRB: header, then `payload`. `returnCode`/`reasonCode` are 0 in requests. */
export function encodeCprb(fields: { readonly domainIndex: number; readonly payload: Uint8Array; readonly returnCode?: number; readonly reasonCode?: number }): Uint8Array {
  const header = new Uint8Array(CPRB_HEADER_BYTES);
  const view = new DataView(header.buffer);
  view.setUint16(0, CPRB_HEADER_BYTES);
  header[2] = 0x04;
  header[5] = 0x80;
  header.set([0x54, 0x34], 6); // "T4"
  view.setUint32(12, fields.domainIndex);
  view.setUint16(16, fields.returnCode ?? 0);
  view.setUint16(18, fields.reasonCode ?? 0);
  view.setUint32(28, fields.payload.length);
  return concatBytes(header, fields.payload);
}

export interface Cprb {
  readonly domainIndex: number;
  readonly returnCode: number;
  readonly reasonCode: number;
  readonly payload: Uint8Array;
}

export function decodeCprb(bytes: Uint8Array): Cprb {
  if (bytes.length < CPRB_HEADER_BYTES) throw new HtpError(`a CPRB of ${bytes.length} bytes is shorter than its 32-byte header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const length = view.getUint32(28);
  if (CPRB_HEADER_BYTES + length > bytes.length) throw new HtpError(`the CPRB announces ${length} payload bytes and carries ${bytes.length - CPRB_HEADER_BYTES}`);
  return {
    domainIndex: view.getUint32(12),
    returnCode: view.getUint16(16),
    reasonCode: view.getUint16(18),
    payload: bytes.subarray(CPRB_HEADER_BYTES, CPRB_HEADER_BYTES + length),
  };
}

export function encodeHtpRequest(address: DomainAddress, payload: Uint8Array): string {
  const rest = `${HTP_HEADER}${address.cryptoModuleIndex}${HTP_BLANK_FIELD}${Buffer.from(encodeCprb({ domainIndex: address.domainIndex, payload })).toString("hex").toUpperCase()}`;
  return `${rest.length}${rest}`;
}

/** What a server reads from an HTPRequest. Its declared length must match, as must the fixed fields. */
export function decodeHtpRequest(request: string): DomainAddress & { readonly payload: Uint8Array } {
  const match = /^(\d+)(;PCI request;XPNUM {3};)(\d+)(; {8};)([0-9A-Fa-f]*)$/.exec(request);
  if (!match) throw new HtpError("not an HTPRequest (expected <length>;PCI request;XPNUM   ;<module>;        ;<CPRB hex>)");
  if (Number(match[1]) !== request.length - match[1].length) throw new HtpError(`the HTPRequest announces ${match[1]} characters and has ${request.length - match[1].length}`);
  const cprb = decodeCprb(hexBytes(match[5]));
  return { cryptoModuleIndex: Number(match[3]), domainIndex: cprb.domainIndex, payload: cprb.payload };
}

/** An error the TKE catcher reports in the HTPResponse's error block (error type not `00`). */
export interface HtpErrorBlock {
  readonly errorType: string;
  readonly returnCode: string;
  readonly reasonCode: string;
  readonly programId: string;
  readonly location: string;
  readonly text: string;
}

/** An HTPResponse: a CPRB (success), or the catcher's error block. Error fields are space-padded to their widths. */
export function encodeHtpResponse(body: { readonly cprb: Uint8Array } | { readonly error: HtpErrorBlock }): string {
  const fields = "cprb" in body ? ["00", "0", "0", "", "", ""] : [body.error.errorType, body.error.returnCode, body.error.reasonCode, body.error.programId, body.error.location, body.error.text];
  const block = fields.map((f, i) => f.slice(0, ERROR_FIELDS[i]).padStart(i < 3 ? ERROR_FIELDS[i] : 0).padEnd(ERROR_FIELDS[i])).join("");
  const rest = `;${block}` + ("cprb" in body ? `;${Buffer.from(body.cprb).toString("hex").toUpperCase()}` : "");
  return `${rest.length}${rest}`;
}

export function decodeHtpResponse(response: string): { readonly cprb: Cprb } | { readonly error: HtpErrorBlock } {
  const parts = response.split(";");
  const block = parts[1];
  if (block === undefined) throw new HtpError("Invalid HTPResponse, error information not found.");
  if (block.length < ERROR_BLOCK_CHARS) throw new HtpError("Invalid HTPResponse, invalid error information.");
  const fields: string[] = [];
  for (let i = 0, at = 0; i < ERROR_FIELDS.length; at += ERROR_FIELDS[i], i++) fields.push(block.slice(at, at + ERROR_FIELDS[i]));
  const [errorType, returnCode, reasonCode, programId, location, text] = fields.map((f) => f.trim());
  if (fields[0] !== "00") return { error: { errorType, returnCode, reasonCode, programId, location, text } };
  if (!parts[2]) throw new HtpError("Invalid HTPResponse: no error and no CPRB");
  return { cprb: decodeCprb(hexBytes(parts[2])) };
}

function hexBytes(text: string): Uint8Array {
  if (text.length % 2 !== 0 || !/^[0-9A-Fa-f]*$/.test(text)) throw new HtpError("the CPRB is not an even number of hex digits");
  return new Uint8Array(Buffer.from(text, "hex"));
}
