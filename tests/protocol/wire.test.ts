import { createHash, generateKeyPairSync } from "node:crypto";
import { decodeAdminCertificate, encodeAdminCertificate } from "../../src/protocol/admin-certificate";
import { readElement } from "../../src/protocol/der";
import {
  ADMIN_QUERY,
  decodeAdminRequest,
  decodeAdminResponse,
  decodeAttributes,
  decodeDomainInfo,
  decodeSignerInfos,
  decodeXcpInfoResponse,
  encodeAdminBlock,
  encodeAdminRequest,
  encodeSignerInfo,
  encodeXcpInfoRequest,
  incrementCounter,
  queryDomainId,
  XCP_INFO,
} from "../../src/protocol/ep11-admin";
import { decodeHtpRequest, decodeHtpResponse, domainAddress, encodeHtpRequest, encodeHtpResponse, u32 } from "../../src/protocol/htp";

/**
 * Byte-level vectors written by hand from the documented layouts (research tke-domain §6.2–6.3 and IBM's SDK
 * `ep11cmds/ep11cprb.go` at e023c2e: every field an OCTET STRING, the HTPRequest's length counting what follows it).
 * The hex below is typed from those layouts, not produced by the code under test.
 */
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex").toUpperCase();
const bytes = (text: string) => new Uint8Array(Buffer.from(text.replace(/\s+/g, ""), "hex"));

describe("HTPRequest and CPRB", () => {
  const address = domainAddress("[1].[2].[3].[4]");

  test("a location names the crypto module and the domain", () => {
    expect(address).toEqual({ cryptoModuleIndex: 3, domainIndex: 4 });
    expect(domainAddress("[us-south].[AZ3-CS3].[02].[17]")).toEqual({ cryptoModuleIndex: 2, domainIndex: 17 });
    expect(() => domainAddress("[a].[b].[c]")).toThrow(/not of the form/);
  });

  test("Query Domain Attributes: admin block, admin request and the whole HTPRequest", () => {
    const block = encodeAdminBlock({ cmdId: ADMIN_QUERY.domainAttributes, domainId: queryDomainId(4), moduleId: new Uint8Array(0), counter: new Uint8Array(0), cmdInput: new Uint8Array(0) });
    expect(hex(block)).toBe("30160404" + "0001000A" + "0408" + "0000000400000000" + "0400" + "0400" + "0400");
    const request = encodeAdminRequest({ domainIndex: 4, blockDer: block, signerInfos: [] });
    expect(hex(request)).toBe("3028" + "040400010029" + "040400000004" + "0418" + hex(block) + "0400");
    const cprb = "0020" + "04" + "0000" + "80" + "5434" + "00000000" + "00000004" + "00000000" + "0000000000000000" + "0000002A";
    const htp = encodeHtpRequest(address, request);
    expect(htp).toBe(`181;PCI request;XPNUM   ;3;        ;${cprb}${hex(request)}`);
    expect(decodeHtpRequest(htp)).toEqual({ cryptoModuleIndex: 3, domainIndex: 4, payload: request });
  });

  test("get_xcp_info for the domain", () => {
    const request = encodeXcpInfoRequest(4, XCP_INFO.domain);
    expect(hex(request)).toBe("3018" + "040400010026" + "040400000004" + "040400000003" + "040400000000");
    expect(encodeHtpRequest(address, request)).toBe(
      "149;PCI request;XPNUM   ;3;        ;002004000080543400000000000000040000000000000000000000000000001A3018040400010026040400000004040400000003040400000000",
    );
  });

  test("Query Device Certificate 0: the admin block names domain 0, the request and CPRB the unit's domain", () => {
    const block = encodeAdminBlock({ cmdId: ADMIN_QUERY.deviceCertificate, domainId: queryDomainId(0), moduleId: new Uint8Array(0), counter: new Uint8Array(0), cmdInput: u32(0) });
    expect(encodeHtpRequest(address, encodeAdminRequest({ domainIndex: 4, blockDer: block, signerInfos: [] }))).toBe(
      "189;PCI request;XPNUM   ;3;        ;002004000080543400000000000000040000000000000000000000000000002E302C040400010029040400000004041C301A04040001000304080000000000000000040004000404000000000400",
    );
  });

  test("a request whose length or fixed fields are wrong is refused", () => {
    const good = encodeHtpRequest(address, encodeXcpInfoRequest(4, XCP_INFO.domain));
    expect(() => decodeHtpRequest(`150${good.slice(3)}`)).toThrow(/announces 150/);
    expect(() => decodeHtpRequest(good.replace("XPNUM   ", "XPNUM  "))).toThrow(/not an HTPRequest/);
  });

  test("HTPResponse: a CPRB after a clean error block, or the catcher's error", () => {
    const cprb = bytes("0020 04 0000 80 5434 00000000 00000004 00000000 0000000000000000 00000002 3000");
    const ok = encodeHtpResponse({ cprb });
    const [, block, cprbHex] = ok.split(";");
    expect(block).toHaveLength(156);
    expect(block.slice(0, 2)).toBe("00");
    expect(cprbHex).toBe(hex(cprb));
    expect(Number(ok.split(";")[0])).toBe(ok.length - ok.split(";")[0].length);
    const decoded = decodeHtpResponse(ok);
    expect("cprb" in decoded && hex(decoded.cprb.payload)).toBe("3000");

    const failed = encodeHtpResponse({ error: { errorType: "13", returnCode: "5", reasonCode: "0", programId: "CSFPCI", location: "TKEHTP", text: "External error" } });
    expect(decodeHtpResponse(failed)).toEqual({ error: { errorType: "13", returnCode: "5", reasonCode: "0", programId: "CSFPCI", location: "TKEHTP", text: "External error" } });
    expect(() => decodeHtpResponse("12;00short")).toThrow("Invalid HTPResponse, invalid error information.");
  });

  test("a response CPRB splits its return code field into return and reason codes", () => {
    const response = encodeHtpResponse({ cprb: bytes("0020 04 0000 80 5434 00000000 00000004 000C0003 0000000000000000 00000000") });
    const decoded = decodeHtpResponse(response);
    expect("cprb" in decoded && [decoded.cprb.returnCode, decoded.cprb.reasonCode]).toEqual([12, 3]);
  });
});

describe("EP11 admin messages", () => {
  const ski = bytes("11".repeat(32));

  test("a SignerInfo as IBM's SDK sends it", () => {
    const info = encodeSignerInfo(ski, bytes("3006020101020102"));
    expect(hex(info)).toBe(
      "304C" + "020103" + "8020" + "11".repeat(32) + "300D0609608648016503040203" + "0500" + "300C06082A8648CE3D040304" + "0500" + "0408" + "3006020101020102",
    );
    expect(decodeSignerInfos(info)).toEqual([{ ski, signature: bytes("3006020101020102"), signatureAlgorithm: "1.2.840.10045.4.3.4" }]);
  });

  test("a signed request round-trips, its block and signers intact", () => {
    const block = encodeAdminBlock({ cmdId: 0x0d, domainId: bytes("0000000400000007"), moduleId: bytes("3933414243313233" + "00".repeat(8)), counter: bytes("00".repeat(15) + "06"), cmdInput: bytes("ab".repeat(32)) });
    const request = encodeAdminRequest({ domainIndex: 4, blockDer: block, signerInfos: [encodeSignerInfo(ski, bytes("3006020101020102")), encodeSignerInfo(ski, bytes("3006020102020102"))] });
    const decoded = decodeAdminRequest(request);
    expect(decoded.blockDer).toEqual(block);
    expect(decoded.block.cmdId).toBe(0x0d);
    expect(hex(decoded.block.cmdInput)).toBe("AB".repeat(32));
    expect(decoded.signers).toHaveLength(2);
  });

  test("the transaction counter is incremented at its width, wrapping like IBM's", () => {
    expect(hex(incrementCounter(bytes("0001")))).toBe("0002");
    expect(hex(incrementCounter(bytes("00FF")))).toBe("0100");
    expect(hex(incrementCounter(bytes("FFFF")))).toBe("0000");
  });

  test("a signed answer: five fields, the block's DER kept as sent (what the OA signature covers), its fields read", () => {
    const blockHex = "303C" + "04040000000D" + "04080000000400000007" + "0410" + "39334142433132330000000000000000" + "0410" + "00".repeat(15) + "07" + "040400000000" + "0400";
    const signer = hex(encodeSignerInfo(bytes("22".repeat(32)), bytes("3006020101020102")));
    const body = "04040000000D" + "04080000000400000007" + "040400000000" + "043E" + blockHex + "044E" + signer;
    const response = decodeAdminResponse(bytes(`3081${(body.length / 2).toString(16).toUpperCase()}${body}`));
    expect(response.kind).toBe("signed");
    if (response.kind !== "signed") return;
    expect(hex(response.blockDer)).toBe(blockHex);
    expect(response.block).toMatchObject({ cmdId: 0x0d, returnCode: 0 });
    expect(Buffer.from(response.block.moduleId.subarray(0, 8)).toString("latin1")).toBe("93ABC123");
    expect(hex(response.block.counter)).toBe("00".repeat(15) + "07");
    expect(response.signers).toHaveLength(1);
  });

  test("an error outside the signed block: three fields", () => {
    expect(decodeAdminResponse(bytes("3012" + "04040001000D" + "040400000004" + "0404000000A3"))).toEqual({ kind: "error", returnCode: 163 });
  });

  test("IBM's domain-info sample, with the non-minimal lengths a module sends", () => {
    const payload = "00000000" + "aa".repeat(32) + "bb".repeat(32) + "80000003" + "00000000" + "00000001";
    const response = bytes("30820066" + "040400010026" + "040400000000" + "040400000000" + "04820050" + payload);
    const { returnCode, info } = decodeXcpInfoResponse(response);
    expect(returnCode).toBe(0);
    const domain = decodeDomainInfo(info);
    expect(hex(domain.currentVp)).toBe("AA".repeat(32));
    expect(hex(domain.newVp)).toBe("BB".repeat(32));
    expect(domain.flags & 0xff).toBe(0x03);
    expect(() => decodeDomainInfo(info.subarray(0, 79))).toThrow("Query domain information response is too short.");
  });

  test("domain attributes are (id, value) pairs", () => {
    expect([...decodeAttributes(bytes("00000001 00000002 00000002 00000001 00000003 00000045"))]).toEqual([
      [1, 2],
      [2, 1],
      [3, 0x45],
    ]);
  });

  test("malformed DER is refused, not guessed", () => {
    expect(() => readElement(bytes("3080"))).toThrow(/indefinite/);
    expect(() => readElement(bytes("3005 0400"))).toThrow(/runs past the end/);
    expect(() => decodeAdminRequest(bytes("3004 0400 0400"))).toThrow(/expected 4 fields/);
  });
});

describe("an administrator's certificate", () => {
  test("lays out as IBM's SDK template: name at 66 and 174, key at 228, SKI at 377 of the 409-byte TBS", () => {
    const { publicKey } = generateKeyPairSync("ec", { namedCurve: "secp521r1" });
    const point = publicKey.export({ format: "der", type: "spki" }).subarray(-133);
    const der = encodeAdminCertificate({ name: "Key custodian 1", point });
    const tbs = readElement(der.subarray(4)).raw;
    expect(tbs).toHaveLength(409);
    expect(hex(tbs.subarray(0, 4))).toBe("30820195");
    expect(Buffer.from(tbs.subarray(66, 96)).toString("latin1")).toBe("Key custodian 1".padEnd(30));
    expect(Buffer.from(tbs.subarray(174, 204)).toString("latin1")).toBe("Key custodian 1".padEnd(30));
    expect(hex(tbs.subarray(228, 230))).toBe("0004");
    const ski = createHash("sha256").update(point).digest("hex");
    expect(Buffer.from(tbs.subarray(377, 409)).toString("hex")).toBe(ski);
    expect(decodeAdminCertificate(der)).toEqual({ name: "Key custodian 1", ski });
  });
});

describe("u32", () => {
  test("is big-endian", () => expect(hex(u32(0x0001000a))).toBe("0001000A"));
});
