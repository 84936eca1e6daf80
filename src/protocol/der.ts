/**
 * A small DER codec: exactly what the TKE HTTP API's ASN.1 messages use (research tke-domain §6.3): SEQUENCE, OCTET
 * STRING, INTEGER, OBJECT IDENTIFIER, NULL and one context-specific primitive tag. The encoder writes minimal definite
 * lengths; the decoder also accepts a long-form length that is not minimal, because crypto modules send them (IBM's
 * SDK shows `30 82 00 66` in a domain-info response), and refuses indefinite lengths, multi-byte tags and anything cut
 * off with DerError rather than guess, since what it decodes decides what a backend believes about a crypto unit.
 */
import { count } from "../format/words";

export const TAG = {
  integer: 0x02,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  sequence: 0x30,
  /** `[0]` IMPLICIT, primitive: the SignerInfo's subject key identifier. */
  context0: 0x80,
} as const;

export class DerError extends Error {
  constructor(message: string) {
    super(`malformed DER: ${message}`);
    this.name = "DerError";
  }
}

function lengthBytes(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** One TLV: `tag`, the minimal definite length, `content`. */
export function tlv(tag: number, content: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(tag), lengthBytes(content.length), content);
}

export const sequence = (...items: readonly Uint8Array[]): Uint8Array => tlv(TAG.sequence, concatBytes(...items));
export const octetString = (content: Uint8Array): Uint8Array => tlv(TAG.octetString, content);
export const derNull = (): Uint8Array => tlv(TAG.null, new Uint8Array(0));

/** A non-negative INTEGER from its unsigned big-endian magnitude (leading zeros dropped, a sign byte added). */
export function unsignedInteger(magnitude: Uint8Array | number): Uint8Array {
  let bytes = typeof magnitude === "number" ? uintBytes(magnitude) : magnitude;
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  bytes = bytes.subarray(start);
  if (bytes.length === 0) bytes = Uint8Array.of(0);
  return tlv(TAG.integer, bytes[0] & 0x80 ? concatBytes(Uint8Array.of(0), bytes) : bytes);
}

function uintBytes(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not a non-negative integer: ${n}`);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Uint8Array.from(bytes.length ? bytes : [0]);
}

/** An OBJECT IDENTIFIER from its dotted form, e.g. `2.16.840.1.101.3.4.2.3`. */
export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split(".").map(Number);
  if (arcs.length < 2 || arcs.some((a) => !Number.isSafeInteger(a) || a < 0)) throw new RangeError(`not an OID: ${dotted}`);
  const body = [40 * arcs[0] + arcs[1], ...arcs.slice(2)].flatMap((arc) => {
    const groups: number[] = [arc % 128];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) groups.unshift(0x80 | v % 128);
    return groups;
  });
  return tlv(TAG.oid, Uint8Array.from(body));
}

/** A decoded TLV: its tag, its content, and the whole element's bytes as they were sent (what a signature covers). */
export interface Element {
  readonly tag: number;
  readonly content: Uint8Array;
  readonly raw: Uint8Array;
}

/** Reads one element at `offset`; `end` is where the next one starts. */
export function readElement(bytes: Uint8Array, offset = 0): Element & { readonly end: number } {
  if (offset + 2 > bytes.length) throw new DerError(`an element is cut off at byte ${offset}`);
  const tag = bytes[offset];
  if ((tag & 0x1f) === 0x1f) throw new DerError(`multi-byte tag at byte ${offset}`);
  let length = bytes[offset + 1];
  let header = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0) throw new DerError(`indefinite length at byte ${offset}`);
    if (count > 4 || offset + 2 + count > bytes.length) throw new DerError(`length of ${count} bytes at byte ${offset}`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[offset + 2 + i];
    header += count;
  }
  const end = offset + header + length;
  if (end > bytes.length) throw new DerError(`an element of ${length} bytes at byte ${offset} runs past the end (${bytes.length} bytes)`);
  return { tag, content: bytes.subarray(offset + header, end), raw: bytes.subarray(offset, end), end };
}

/** Exactly one element, with the tag expected, filling `bytes`. */
export function decodeOne(bytes: Uint8Array, tag: number, what: string): Element {
  const element = readElement(bytes);
  if (element.tag !== tag) throw new DerError(`${what}: expected tag 0x${hex2(tag)}, found 0x${hex2(element.tag)}`);
  if (element.end !== bytes.length) throw new DerError(`${what}: ${count(bytes.length - element.end, "byte")} after the element`);
  return element;
}

/** The elements of a SEQUENCE's content, in order. */
export function children(content: Uint8Array): Element[] {
  const out: Element[] = [];
  for (let offset = 0; offset < content.length; ) {
    const element = readElement(content, offset);
    out.push(element);
    offset = element.end;
  }
  return out;
}

/** The children of a SEQUENCE `element`, each with the tag expected (`undefined`: any tag). */
export function fields(element: Element, tags: readonly (number | undefined)[], what: string): Element[] {
  if (element.tag !== TAG.sequence) throw new DerError(`${what}: expected a SEQUENCE, found tag 0x${hex2(element.tag)}`);
  const items = children(element.content);
  if (items.length !== tags.length) throw new DerError(`${what}: expected ${tags.length} fields, found ${items.length}`);
  items.forEach((item, i) => {
    const tag = tags[i];
    if (tag !== undefined && item.tag !== tag) throw new DerError(`${what}: field ${i + 1} has tag 0x${hex2(item.tag)}, expected 0x${hex2(tag)}`);
  });
  return items;
}

/** The unsigned magnitude of an INTEGER element (a negative one is malformed here). */
export function integerMagnitude(element: Element): Uint8Array {
  if (element.tag !== TAG.integer || element.content.length === 0) throw new DerError("expected an INTEGER");
  if (element.content[0] & 0x80) throw new DerError("a negative INTEGER");
  return element.content[0] === 0 && element.content.length > 1 ? element.content.subarray(1) : element.content;
}

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

const hex2 = (n: number) => n.toString(16).padStart(2, "0");
