import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { IBM_ROOTS, type TrustAnchor } from "../../src/protocol/ibm-roots";
import { anchorPoint, encodeOa2Certificate, oaSki, p521PublicKey, parseOaCertificate, verifyOaChain } from "../../src/protocol/oa-certificate";

/**
 * OA certificates and their chains, at the offsets IBM's SDK reads (research real-backends §4.3 e): a chain verifies
 * only up to a root of its own format, each link checked, and every failure names its check.
 */
interface TestKey {
  readonly privateKey: KeyObject;
  readonly point: Uint8Array;
  readonly ski: string;
}

function newKey(): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "secp521r1" });
  const point = new Uint8Array(publicKey.export({ format: "der", type: "spki" }).subarray(-133));
  return { privateKey, point, ski: oaSki(point) };
}

const signer = (key: TestKey) => (data: Uint8Array) => new Uint8Array(sign("sha512", data, { key: key.privateKey, dsaEncoding: "ieee-p1363" }));
const anchorOf = (key: TestKey, format: TrustAnchor["format"] = "OA2"): TrustAnchor => ({
  name: "test root",
  format,
  ski: key.ski,
  x: Buffer.from(key.point.subarray(1, 67)).toString("hex"),
  y: Buffer.from(key.point.subarray(67)).toString("hex"),
});

describe("IBM's root keys", () => {
  test.each(IBM_ROOTS)("$name: a P-521 point whose SKI is the first half of SHA-512(04 ‖ X ‖ Y)", (root) => {
    const point = anchorPoint(root);
    expect(() => p521PublicKey(point)).not.toThrow();
    expect(createHash("sha512").update(point).digest("hex").slice(0, 64)).toBe(root.ski);
  });
});

describe("OA2 certificates", () => {
  const root = newKey();
  const intermediate = newKey();
  const module = newKey();
  const leaf = encodeOa2Certificate({ point: module.point, signerSki: intermediate.ski, sign: signer(intermediate) });
  const middle = encodeOa2Certificate({ point: intermediate.point, signerSki: root.ski, sign: signer(root) });
  const chain = (certificates: Uint8Array[]) => async (index: number) => certificates[index];

  test("sit where IBM's SDK reads them", () => {
    expect(leaf).toHaveLength(672);
    expect(leaf[0]).toBe(0x45);
    expect(Buffer.from(leaf.subarray(32 + 8 + 87, 32 + 8 + 119)).toString("hex")).toBe(module.ski);
    expect(Buffer.from(leaf.subarray(32 + 8 + 121, 32 + 8 + 153)).toString("hex")).toBe(intermediate.ski);
    const spki = 32 + 8 + 176 + 88;
    expect(leaf.subarray(spki + 25, spki + 158)).toEqual(module.point);
    const parsed = parseOaCertificate(leaf);
    expect(parsed).toMatchObject({ format: "OA2", subjectSki: module.ski, signerSki: intermediate.ski });
    expect(parsed.signedData).toHaveLength(464);
  });

  test("a chain to a trusted root verifies", async () => {
    await expect(verifyOaChain(parseOaCertificate(leaf), chain([leaf, middle]), [anchorOf(root)])).resolves.toBeUndefined();
  });

  test("IBM's roots do not trust a test root", async () => {
    await expect(verifyOaChain(parseOaCertificate(leaf), chain([leaf, middle]), IBM_ROOTS)).rejects.toMatchObject({ check: "root", message: expect.stringMatching(/^Unrecognized IBM root key in OA certificate chain/) });
  });

  test("a root of the other format does not end an OA2 chain", async () => {
    await expect(verifyOaChain(parseOaCertificate(leaf), chain([leaf, middle]), [anchorOf(root, "OA3")])).rejects.toMatchObject({ check: "root" });
  });

  test("a changed byte breaks the signature", async () => {
    const tampered = Uint8Array.from(leaf);
    tampered[32 + 8 + 20] ^= 1;
    await expect(verifyOaChain(parseOaCertificate(tampered), chain([tampered, middle]), [anchorOf(root)])).rejects.toMatchObject({ check: "signature" });
  });

  test("a parent that is not the signer is refused", async () => {
    const stranger = encodeOa2Certificate({ point: newKey().point, signerSki: root.ski, sign: signer(root) });
    await expect(verifyOaChain(parseOaCertificate(leaf), chain([leaf, stranger]), [anchorOf(root)])).rejects.toMatchObject({ check: "chain" });
  });

  test("a self-signed certificate is refused even when it is trusted", async () => {
    const selfSigned = encodeOa2Certificate({ point: module.point, signerSki: module.ski, sign: signer(module) });
    await expect(verifyOaChain(parseOaCertificate(selfSigned), chain([selfSigned]), [anchorOf(module)])).rejects.toMatchObject({ check: "self-signed" });
  });

  test("a certificate of the first format (CEX5P) is refused", () => {
    expect(() => parseOaCertificate(new Uint8Array(600))).toThrow(/first format/);
  });
});

describe("OA3 certificates (CEX8P / 4770)", () => {
  /** A 7973-byte certificate with the ECC fields at the offsets of IBM's SDK and the Dilithium part left zero. */
  function oa3(subject: TestKey, by: TestKey): Uint8Array {
    const cert = new Uint8Array(7973);
    const area = 182;
    cert.set(Buffer.from(by.ski, "hex"), area + 9);
    cert.set(Buffer.from(subject.ski, "hex"), area + 61 + 23);
    cert.set(subject.point, area + 198 + 25);
    cert.fill(7, 4, area); // metadata and aux data: covered by the signature
    const signed = Buffer.concat([cert.subarray(4, area), cert.subarray(area + 54, area + 356)]);
    const signature = signer(by)(signed);
    cert.set(signature.subarray(0, 66), area + 376);
    cert.set(signature.subarray(66), area + 444);
    return cert;
  }

  test("verify up to an OA3 root; a change in the metadata breaks them", async () => {
    const root = newKey();
    const module = newKey();
    const leaf = oa3(module, root);
    await expect(verifyOaChain(parseOaCertificate(leaf), async () => undefined, [anchorOf(root, "OA3")])).resolves.toBeUndefined();
    leaf[10] ^= 1;
    await expect(verifyOaChain(parseOaCertificate(leaf), async () => undefined, [anchorOf(root, "OA3")])).rejects.toMatchObject({ check: "signature" });
  });
});
