import { createHash, createPublicKey, verify, type KeyObject } from "node:crypto";
import { concatBytes } from "./der";
import { readU32, u32 } from "./bytes";
import type { TrustAnchor } from "./ibm-roots";

/**
 * Outbound-authentication (OA) certificates: how a crypto module proves which key signs its responses, chained to an
 * IBM root (research real-backends §4.3 e). Layouts as IBM's SDK reads them at fixed offsets (`ep11cmds/
 * oa2CertificateX.go`, `oa3CertificateX.go`, `verifyOA2Certificate.go`, `verifyOA3Certificate.go` at e023c2e):
 *
 * - OA2 (CEX6P/CEX7P, first byte 0x45): a 32-byte header with five section lengths (info, metadata, aux, SPKI,
 *   SignerInfo), each section followed by fixed padding (4, 3, 5, 2, 1 bytes). The metadata holds the subject's and
 *   the signer's SKIs at 87 and 121; the SPKI the P-521 point at 25..158; the SignerInfo r and s (66 bytes each) at 73
 *   and 141. The signed data is everything before the SignerInfo.
 * - OA3 (CEX8P/4770, exactly 7973 or 7810 bytes): metadata and aux data, then a SignerInfo area with an ECC part and
 *   a Dilithium part; only the ECC part can be checked here (as in IBM's SDK).
 *
 * Every signature is ECDSA P-521 over SHA-512. A certificate that signs itself is refused, as IBM's SDK refuses it.
 */

export type OaFormat = "OA2" | "OA3";

export interface OaCertificate {
  readonly format: OaFormat;
  /** The key this certificate certifies (hex). */
  readonly subjectSki: string;
  /** The key that signed it: its parent's subject, or a root. */
  readonly signerSki: string;
  /** 04 ‖ X ‖ Y, 133 bytes. */
  readonly point: Uint8Array;
  readonly signedData: Uint8Array;
  /** r ‖ s, 66 bytes each. */
  readonly signature: Uint8Array;
}

export class OaCertificateError extends Error {
  constructor(
    /** Which check failed, for the message a person reads: `format`, `signature`, `chain`, `root`, `self-signed`. */
    readonly check: string,
    message: string,
  ) {
    super(message);
    this.name = "OaCertificateError";
  }
}

const P521_COORDINATE = 66;
const POINT_BYTES = 1 + 2 * P521_COORDINATE;
const OA2_MAGIC = 0x45;
const OA2_HEADER = 32;
/** Padding after each OA2 section: info, metadata, aux, SPKI, SignerInfo. */
const OA2_PADS = [4, 3, 5, 2, 1] as const;
const OA2_METADATA_BYTES = 173;
const OA2_AUX_BYTES = 83;
const SPKI_BYTES = 158;
const OA2_SIGNER_BYTES = 207;
/** OA3: the two sizes IBM's SDK accepts, and where the ECC parts are in each (offsets in the SignerInfo area at 182). */
const OA3_LAYOUTS = {
  7973: { keyInfo: 61, keyValue: 198, r: 376, s: 444 },
  7810: { keyInfo: 59, keyValue: 116, r: 294, s: 362 },
} as const;
const OA3_SIGNER_AREA = 182;
const OA3_SIGNER_SKI = 9;
const OA3_DER4 = 54;
const KEYINFO_SUBJECT_SKI = 23;

/** The DER an SPKI of a P-521 key starts with, before the point: what the certificates' SPKI sections hold. */
const P521_SPKI_PREFIX = Buffer.from("30819b301006072a8648ce3d020106052b81040023038186" + "00", "hex");

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

/** The key identifier of an OA key: the first 32 bytes of SHA-512(04 ‖ X ‖ Y), as IBM's roots are named. */
export function oaSki(point: Uint8Array): string {
  return createHash("sha512").update(point).digest().subarray(0, 32).toString("hex");
}

export function p521PublicKey(point: Uint8Array): KeyObject {
  if (point.length !== POINT_BYTES || point[0] !== 0x04) throw new OaCertificateError("format", "a P-521 public key is 04 ‖ X ‖ Y, 133 bytes");
  return createPublicKey({ key: Buffer.concat([P521_SPKI_PREFIX, point]), format: "der", type: "spki" });
}

export function anchorPoint(anchor: TrustAnchor): Uint8Array {
  return concatBytes(Uint8Array.of(0x04), Buffer.from(anchor.x, "hex"), Buffer.from(anchor.y, "hex"));
}

export function parseOaCertificate(bytes: Uint8Array): OaCertificate {
  if (bytes.length in OA3_LAYOUTS) return parseOa3(bytes, OA3_LAYOUTS[bytes.length as keyof typeof OA3_LAYOUTS]);
  if (bytes[0] === OA2_MAGIC) return parseOa2(bytes);
  throw new OaCertificateError("format", `an OA certificate of ${bytes.length} bytes in the first format (CEX5P and earlier), which HPCS does not use; refused`);
}

function oa2Sections(bytes: Uint8Array): { start: number; length: number }[] {
  if (bytes.length < OA2_HEADER) throw new OaCertificateError("format", "an OA2 certificate shorter than its header");
  const sections: { start: number; length: number }[] = [];
  let at = OA2_HEADER;
  for (let i = 0; i < 5; i++) {
    const length = readU32(bytes, 8 + 4 * i);
    sections.push({ start: at, length });
    at += length + (length > 0 ? OA2_PADS[i] : 0);
  }
  if (at > bytes.length) throw new OaCertificateError("format", `the OA2 certificate's sections need ${at} bytes and it has ${bytes.length}`);
  return sections;
}

function parseOa2(bytes: Uint8Array): OaCertificate {
  const [, metadata, , spki, signer] = oa2Sections(bytes);
  if (metadata.length < OA2_METADATA_BYTES || spki.length < SPKI_BYTES || signer.length < OA2_SIGNER_BYTES) {
    throw new OaCertificateError("format", "an OA2 certificate whose metadata, SPKI or SignerInfo is shorter than its fixed layout");
  }
  const at = (section: { start: number }, from: number, to: number) => bytes.slice(section.start + from, section.start + to);
  return {
    format: "OA2",
    subjectSki: hex(at(metadata, 87, 119)),
    signerSki: hex(at(metadata, 121, 153)),
    point: at(spki, 25, 158),
    signedData: bytes.slice(0, signer.start),
    signature: concatBytes(at(signer, 73, 139), at(signer, 141, 207)),
  };
}

function parseOa3(bytes: Uint8Array, layout: (typeof OA3_LAYOUTS)[keyof typeof OA3_LAYOUTS]): OaCertificate {
  const area = (from: number, to: number) => bytes.slice(OA3_SIGNER_AREA + from, OA3_SIGNER_AREA + to);
  return {
    format: "OA3",
    subjectSki: hex(area(layout.keyInfo + KEYINFO_SUBJECT_SKI, layout.keyInfo + KEYINFO_SUBJECT_SKI + 32)),
    signerSki: hex(area(OA3_SIGNER_SKI, OA3_SIGNER_SKI + 32)),
    point: area(layout.keyValue + 25, layout.keyValue + 158),
    signedData: concatBytes(bytes.slice(4, OA3_SIGNER_AREA), area(OA3_DER4, layout.keyValue + SPKI_BYTES)),
    signature: concatBytes(area(layout.r, layout.r + P521_COORDINATE), area(layout.s, layout.s + P521_COORDINATE)),
  };
}

/** Whether `certificate` verifies under the P-521 key `point`. */
export function signedBy(certificate: OaCertificate, point: Uint8Array): boolean {
  return verify("sha512", certificate.signedData, { key: p521PublicKey(point), dsaEncoding: "ieee-p1363" }, certificate.signature);
}

/**
 * verifyOaChain — the module's OA certificate (index 0) up to a trusted root: each certificate must not sign itself,
 * must be signed by the next one (`parentAt(i + 1)`, whose subject must be its signer), and the last must be signed
 * by an anchor of its format whose SKI it names. `parentAt` answers undefined when the module has no certificate at
 * that index (EP11 return code 96, reason 60).
 */
export async function verifyOaChain(leaf: OaCertificate, parentAt: (index: number) => Promise<Uint8Array | undefined>, anchors: readonly TrustAnchor[], maxDepth = 8): Promise<void> {
  let child = leaf;
  for (let index = 1; index <= maxDepth; index++) {
    if (child.subjectSki === child.signerSki) throw new OaCertificateError("self-signed", "Self-signed OA certificates are not allowed");
    const parentBytes = await parentAt(index);
    if (parentBytes === undefined) {
      const root = anchors.find((a) => a.format === child.format && a.ski === child.signerSki);
      if (!root) throw new OaCertificateError("root", `Unrecognized IBM root key in OA certificate chain. (certificate ${index - 1} is signed by ${child.signerSki.slice(0, 16)}…)`);
      if (!signedBy(child, anchorPoint(root))) throw new OaCertificateError("signature", `OA certificate ${index - 1} does not verify under ${root.name}`);
      return;
    }
    const parent = parseOaCertificate(parentBytes);
    if (parent.format !== child.format || parent.subjectSki !== child.signerSki) throw new OaCertificateError("chain", "Incorrect parent certificate fetched in OA certificate chain.");
    if (!signedBy(child, parent.point)) throw new OaCertificateError("signature", `OA certificate ${index - 1} does not verify under its parent's key`);
    child = parent;
  }
  throw new OaCertificateError("chain", `the OA certificate chain is longer than ${maxDepth} certificates`);
}

/** What a certificate says, for building one (the emulator's modules, tests of the chain check). */
export interface OaCertificateFields {
  readonly point: Uint8Array;
  readonly signerSki: string;
  /** Signs the certificate's signed data: ECDSA P-521 over SHA-512, r ‖ s (66 bytes each). */
  readonly sign: (data: Uint8Array) => Uint8Array;
}

/**
 * An OA2 certificate with the layout above. IBM's SDK reads none of the bytes this leaves zero or fills with our own
 * DER headers; the fields it reads are where it reads them.
 */
export function encodeOa2Certificate(fields: OaCertificateFields): Uint8Array {
  const lengths = [4, OA2_METADATA_BYTES, OA2_AUX_BYTES, SPKI_BYTES, OA2_SIGNER_BYTES];
  const total = OA2_HEADER + lengths.reduce((n, length, i) => n + length + OA2_PADS[i], 0);
  const header = new Uint8Array(OA2_HEADER);
  header[0] = OA2_MAGIC;
  header[3] = lengths.length;
  header.set(u32(total), 4);
  lengths.forEach((length, i) => header.set(u32(length), 8 + 4 * i));
  const metadata = new Uint8Array(OA2_METADATA_BYTES + OA2_PADS[1]);
  metadata.set(Buffer.from(oaSki(fields.point), "hex"), 87);
  metadata.set(Buffer.from(fields.signerSki, "hex"), 121);
  const spki = concatBytes(P521_SPKI_PREFIX, fields.point, new Uint8Array(OA2_PADS[3]));
  const body = concatBytes(header, new Uint8Array(lengths[0] + OA2_PADS[0]), metadata, new Uint8Array(lengths[2] + OA2_PADS[2]), spki);
  const signature = fields.sign(body);
  if (signature.length !== 2 * P521_COORDINATE) throw new RangeError("an OA signature is r ‖ s, 132 bytes");
  // Our own SignerInfo DER: SEQ{ INTEGER 3, [0] SKI, SEQ{sha512}, SEQ{ecdsaWithSHA512}, OCTET STRING SEQ{r, s} }, r and s
  // as 66-byte INTEGERs, so that its fields sit at the offsets IBM's SDK reads.
  const signer = concatBytes(
    Buffer.from("3081cc020103", "hex"),
    Uint8Array.of(0x80, 0x20),
    Buffer.from(fields.signerSki, "hex"),
    Buffer.from("300b0609608648016503040203" + "300a06082a8648ce3d040304" + "04818b" + "308188" + "0242", "hex"),
    signature.subarray(0, P521_COORDINATE),
    Uint8Array.of(0x02, 0x42),
    signature.subarray(P521_COORDINATE),
    new Uint8Array(OA2_PADS[4]),
  );
  return concatBytes(body, signer);
}
