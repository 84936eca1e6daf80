import { createHash } from "node:crypto";
import { children, DerError, fields, oid, readElement, sequence, TAG, tlv, unsignedInteger } from "./der";

/**
 * A domain administrator's certificate, as the admins query returns it for one SKI (research tke-domain §1.3; IBM's SDK
 * `ep11cmds/adminCertECP521.go` template and `ep11cprb.go` `Certificate` at e023c2e): an X.509-shaped certificate whose
 * issuer and subject are `OU=TKE Administration, CN=<name, space-padded to 30>`, with the P-521 key and a subject key
 * identifier extension. The administrator's name is the issuer's common name, trimmed.
 */

const ORG = "TKE Administration";
const NAME_WIDTH = 30;
const OID_OU = "2.5.4.11";
const OID_CN = "2.5.4.3";
const OID_SKI_EXTENSION = "2.5.29.14";
const OID_EC_PUBLIC_KEY = "1.2.840.10045.2.1";
const OID_P521 = "1.3.132.0.35";
const OID_ECDSA_SHA512 = "1.2.840.10045.4.3.4";
const TAGS = { set: 0x31, printable: 0x13, generalizedTime: 0x18, bitString: 0x03, explicit0: 0xa0, explicit3: 0xa3 } as const;

const ascii = (text: string) => new Uint8Array(Buffer.from(text, "latin1"));

function name(commonName: string): Uint8Array {
  const rdn = (type: string, value: string) => tlv(TAGS.set, sequence(oid(type), tlv(TAGS.printable, ascii(value))));
  return sequence(rdn(OID_OU, ORG), rdn(OID_CN, commonName.padEnd(NAME_WIDTH)));
}

export interface AdminCertificateFields {
  readonly name: string;
  /** 04 ‖ X ‖ Y. */
  readonly point: Uint8Array;
}

/**
 * The certificate of an installed administrator. Its signature is left empty: the simulated unit keeps the
 * administrator's key and name, not the certificate its TKE sent, and nothing reads the signature (IBM's SDK does not).
 */
export function encodeAdminCertificate(cert: AdminCertificateFields): Uint8Array {
  if (cert.name.length > NAME_WIDTH) throw new RangeError("Administrator name is too long.");
  const ski = createHash("sha256").update(cert.point).digest();
  const tbs = sequence(
    tlv(TAGS.explicit0, unsignedInteger(2)),
    unsignedInteger(0),
    sequence(oid(OID_ECDSA_SHA512)),
    name(cert.name),
    sequence(tlv(TAGS.generalizedTime, ascii("20000101000000Z")), tlv(TAGS.generalizedTime, ascii("21001231235959Z"))),
    name(cert.name),
    sequence(sequence(oid(OID_EC_PUBLIC_KEY), oid(OID_P521)), tlv(TAGS.bitString, Uint8Array.of(0, ...cert.point))),
    tlv(TAGS.explicit3, sequence(sequence(oid(OID_SKI_EXTENSION), tlv(TAG.octetString, tlv(TAG.octetString, ski))))),
  );
  return sequence(tbs, sequence(oid(OID_ECDSA_SHA512)), tlv(TAGS.bitString, Uint8Array.of(0)));
}

export interface AdminCertificate {
  readonly name: string;
  /** SHA-256 of the certificate's public point: what the unit lists as the administrator's SKI. */
  readonly ski: string;
}

export function decodeAdminCertificate(der: Uint8Array): AdminCertificate {
  const certificate = readElement(der);
  const [tbs] = fields(certificate, [TAG.sequence, TAG.sequence, TAGS.bitString], "administrator certificate");
  const parts = children(tbs.content);
  const [issuer, spki] = [parts[3], parts[6]];
  if (!issuer || !spki) throw new DerError("administrator certificate: too few fields");
  const rdns = children(issuer.content);
  if (rdns.length !== 2) throw new DerError("administrator certificate: the issuer is not OU, CN");
  const [attribute] = children(rdns[1].content);
  const commonName = attribute ? children(attribute.content)[1] : undefined;
  if (!commonName || commonName.tag !== TAGS.printable) throw new DerError("administrator certificate: no common name");
  const [, key] = fields(spki, [TAG.sequence, TAGS.bitString], "administrator certificate key");
  return { name: Buffer.from(commonName.content).toString("latin1").trim(), ski: createHash("sha256").update(key.content.subarray(1)).digest("hex") };
}
