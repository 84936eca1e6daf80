import { verify } from "node:crypto";
import { HpcsError } from "../../model/errors";
import type { SignatureKey } from "../../model/signature-key-file";
import { Ep11Error } from "../../engine/port/errors";
import { decodeAdminCertificate } from "../../protocol/admin-certificate";
import { DerError } from "../../protocol/der";
import {
  ADMIN_QUERY,
  decodeAdminResponse,
  decodeAttributes,
  decodeDomainInfo,
  decodeSkiList,
  decodeXcpInfoResponse,
  DOMAIN_ATTRIBUTE,
  encodeAdminBlock,
  encodeAdminRequest,
  encodeSignerInfo,
  encodeXcpInfoRequest,
  EP11_RC,
  incrementCounter,
  OIDS,
  queryDomainId,
  XCP_INFO,
  type AdminResponseBlock,
  type DomainInfo,
} from "../../protocol/ep11-admin";
import { ep11Text } from "../../protocol/ep11-errors";
import { decodeHtpResponse, domainAddress, encodeHtpRequest, HtpError, moduleOf, readU32, u32 } from "../../protocol/htp";
import type { TrustAnchor } from "../../protocol/ibm-roots";
import { OaCertificateError, p521PublicKey, parseOaCertificate, verifyOaChain } from "../../protocol/oa-certificate";
import type { ListedHsm, TkeHttp } from "./http";

/**
 * The TKE API client for crypto units: EP11 queries and signed commands over `TkeHttp`, each admin response checked
 * before it is used. A module is trusted once per run: its OA certificate (index 0) names the key that signs its
 * responses; the domain attributes, signed with that key, must give the serial number GET /hsms reports; and the
 * certificate's chain must end at a trusted root (IBM's, unless a test configuration named others). After that,
 * every admin response of that module must carry a valid OA signature with that key. The register query
 * (get_xcp_info) is not signed by the module (research real-backends §4.3 b): it is authenticated by TLS only.
 */

/**
 * A response failed a check: it names the unit and the check, and its content was not used. When it answered a command,
 * that command may have taken effect: the next run reads the registers again before it does anything.
 */
export class TkeVerificationError extends HpcsError {
  readonly retryable = false;
  constructor(
    readonly unit: string,
    readonly check: "oa-signature" | "oa-chain" | "serial" | "format" | "binding" | "register-cross-check",
    detail: string,
  ) {
    super(`crypto unit ${unit}: the TKE API's response failed the ${check} check (${detail}); it was not used, and this run stops. If it answered a command, the command may have taken effect: the next run reads the registers again before anything else.`);
  }
}

/** What a signed answer must be the answer to: the command sent, its domain, and for a signed command its module and counter. */
interface Expected {
  readonly cmdId: number;
  readonly domainIndex: number;
  readonly command?: { readonly domainId: Uint8Array; readonly moduleId: Uint8Array; readonly counter: Uint8Array };
  readonly allowNotFound?: boolean;
}

export interface VerifiedModule {
  /** 04 ‖ X ‖ Y of the module's OA key. */
  readonly point: Uint8Array;
  readonly serial: string;
}

/** The admin-block fields a signed command copies from the attributes query: domain ID, module ID, and the counter. */
interface CommandContext {
  readonly domainId: Uint8Array;
  readonly moduleId: Uint8Array;
  readonly counter: Uint8Array;
}

export interface UnitReading {
  readonly domainInfo: DomainInfo;
  readonly thresholds: { readonly signature: number; readonly revocation: number };
  readonly adminSkis: readonly string[];
  readonly context: CommandContext;
}

export class TkeApiClient {
  private readonly modules = new Map<string, Promise<VerifiedModule>>();
  private readonly adminNames = new Map<string, Promise<string>>();

  constructor(
    private readonly http: TkeHttp,
    private readonly anchors: readonly TrustAnchor[],
  ) {}

  /**
   * The unit's module, verified (once per run and module): OA certificate 0, the serial from signed attributes against
   * GET /hsms, the chain to a trusted root. A unit whose serial differs from its module's verified one is refused.
   */
  async module(unit: ListedHsm, signal?: AbortSignal): Promise<VerifiedModule> {
    const key = moduleOf(unit.location);
    let verified = this.modules.get(key);
    if (!verified) {
      verified = this.verifyModule(unit, signal);
      this.modules.set(key, verified);
      verified.catch(() => this.modules.delete(key));
    }
    const module = await verified;
    if (module.serial !== unit.serialNumber) throw new TkeVerificationError(label(unit), "serial", `Serial number mismatch detected: GET /hsms says ${unit.serialNumber}, the module's signed module ID says ${module.serial}`);
    return module;
  }

  private async verifyModule(unit: ListedHsm, signal?: AbortSignal): Promise<VerifiedModule> {
    const certificateAt = async (index: number, point: Uint8Array | undefined) => {
      const block = await this.adminQuery(unit, point, ADMIN_QUERY.deviceCertificate, u32(index), { moduleLevel: true, signal, allowNotFound: true });
      return block === undefined ? undefined : block.cmdOutput;
    };
    // Certificate 0 cannot be checked before its key is known; everything after it is checked with that key.
    const leafBytes = await certificateAt(0, undefined);
    if (!leafBytes) throw new TkeVerificationError(label(unit), "oa-chain", "the module has no OA certificate");
    let leaf;
    try {
      leaf = parseOaCertificate(leafBytes);
      p521PublicKey(leaf.point);
    } catch (error) {
      throw new TkeVerificationError(label(unit), "oa-chain", (error as Error).message);
    }
    const attributes = await this.adminQuery(unit, leaf.point, ADMIN_QUERY.domainAttributes, new Uint8Array(0), { signal });
    if (!attributes) throw new TkeVerificationError(label(unit), "format", "no domain attributes");
    const serial = Buffer.from(attributes.moduleId.subarray(0, 8)).toString("latin1");
    if (serial !== unit.serialNumber) throw new TkeVerificationError(label(unit), "serial", `Serial number mismatch detected: GET /hsms says ${unit.serialNumber}, the module's signed module ID says ${serial}`);
    try {
      await verifyOaChain(leaf, (index) => certificateAt(index, leaf.point), this.anchors);
    } catch (error) {
      if (error instanceof OaCertificateError) throw new TkeVerificationError(label(unit), "oa-chain", error.message);
      throw error;
    }
    return { point: leaf.point, serial };
  }

  /** One round of three requests: registers (unsigned), attributes and the administrators' SKIs (both OA-signed). */
  async read(unit: ListedHsm, signal?: AbortSignal): Promise<UnitReading> {
    const module = await this.module(unit, signal);
    const [domainInfo, attributes, admins] = await Promise.all([
      this.domainInfo(unit, signal),
      this.adminQuery(unit, module.point, ADMIN_QUERY.domainAttributes, new Uint8Array(0), { signal }),
      this.adminQuery(unit, module.point, ADMIN_QUERY.domainAdmins, new Uint8Array(0), { signal }),
    ]);
    if (!attributes || !admins) throw new TkeVerificationError(label(unit), "format", "an empty admin response");
    const values = decodeAttributes(attributes.cmdOutput);
    return {
      domainInfo,
      thresholds: { signature: values.get(DOMAIN_ATTRIBUTE.signatureThreshold) ?? 999, revocation: values.get(DOMAIN_ATTRIBUTE.revocationThreshold) ?? 999 },
      adminSkis: this.guard(unit, () => decodeSkiList(admins.cmdOutput)),
      context: { domainId: attributes.domainId, moduleId: attributes.moduleId, counter: attributes.counter },
    };
  }

  /** An administrator's name, from its certificate (asked once per SKI and run: names do not change). */
  adminName(unit: ListedHsm, ski: string, signal?: AbortSignal): Promise<string> {
    let name = this.adminNames.get(ski);
    if (!name) {
      name = this.module(unit, signal).then(async (module) => {
        const block = await this.adminQuery(unit, module.point, ADMIN_QUERY.domainAdmins, Buffer.from(ski, "hex"), { signal });
        const certificate = this.guard(unit, () => decodeAdminCertificate(block?.cmdOutput ?? new Uint8Array(0)));
        if (certificate.ski !== ski) throw new TkeVerificationError(label(unit), "format", `the certificate of administrator ${ski.slice(0, 16)}… holds the key of ${certificate.ski.slice(0, 16)}…`);
        return certificate.name;
      });
      this.adminNames.set(ski, name);
      name.catch(() => this.adminNames.delete(ski));
    }
    return name;
  }

  /** The registers: get_xcp_info, unsigned on the real service (TLS only), checked to answer for the domain asked. */
  async domainInfo(unit: ListedHsm, signal?: AbortSignal): Promise<DomainInfo> {
    const address = domainAddress(unit.location);
    const payload = await this.exchange(unit, encodeXcpInfoRequest(address.domainIndex, XCP_INFO.domain), signal);
    const { domainIndex, returnCode, info } = this.guard(unit, () => decodeXcpInfoResponse(payload));
    if (returnCode !== 0) throw new Ep11Error(label(unit), returnCode, undefined, ep11Text(returnCode));
    if (domainIndex !== address.domainIndex) throw new TkeVerificationError(label(unit), "binding", `the register query answered for domain ${domainIndex}, not ${address.domainIndex}`);
    return this.guard(unit, () => decodeDomainInfo(info));
  }

  /**
   * A signed command (commit, finalize, clear): the admin block takes the domain ID, module ID and counter + 1 of
   * `context` (a signed attributes query read for this command), is signed by `keys`, and the module's signed answer
   * must report success. Any EP11 refusal is an Ep11Error with IBM's text.
   */
  async command(unit: ListedHsm, cmdId: number, cmdInput: Uint8Array, context: CommandContext, keys: readonly SignatureKey[], signal?: AbortSignal): Promise<void> {
    const module = await this.module(unit, signal);
    const counter = incrementCounter(context.counter);
    const blockDer = encodeAdminBlock({ cmdId, domainId: context.domainId, moduleId: context.moduleId, counter, cmdInput });
    const signerInfos = keys.map((k) => encodeSignerInfo(Buffer.from(k.ski, "hex"), k.sign(blockDer)));
    const domainIndex = readU32(context.domainId);
    const request = encodeAdminRequest({ domainIndex, blockDer, signerInfos });
    await this.verifiedBlock(unit, module.point, await this.exchange(unit, request, signal), { cmdId, domainIndex, command: { domainId: context.domainId, moduleId: context.moduleId, counter } });
  }

  /**
   * An unsigned admin query, its response verified with `point` (unless it is certificate 0, whose key is not known
   * yet). `moduleLevel`: a query of the crypto module (its certificates), addressed to domain 0 in the admin block.
   */
  private async adminQuery(unit: ListedHsm, point: Uint8Array | undefined, cmdId: number, cmdInput: Uint8Array, options: { moduleLevel?: boolean; signal?: AbortSignal; allowNotFound?: boolean }): Promise<AdminResponseBlock | undefined> {
    const address = domainAddress(unit.location);
    const blockDomain = options.moduleLevel ? 0 : address.domainIndex;
    const blockDer = encodeAdminBlock({ cmdId, domainId: queryDomainId(blockDomain), moduleId: new Uint8Array(0), counter: new Uint8Array(0), cmdInput });
    const payload = await this.exchange(unit, encodeAdminRequest({ domainIndex: address.domainIndex, blockDer, signerInfos: [] }), options.signal);
    return this.verifiedBlock(unit, point, payload, { cmdId, domainIndex: blockDomain, allowNotFound: options.allowNotFound });
  }

  /**
   * The module's answer, used only if its OA signature verifies with `point` and it answers what was sent: the same
   * command and domain, and for a signed command the same domain instance, module and transaction counter. The
   * module signs the answers of all its domains with one key, so the signature alone would not tell them apart.
   */
  private async verifiedBlock(unit: ListedHsm, point: Uint8Array | undefined, payload: Uint8Array, expected: Expected): Promise<AdminResponseBlock | undefined> {
    const response = this.guard(unit, () => decodeAdminResponse(payload));
    if (response.returnCode !== 0) throw new Ep11Error(label(unit), response.returnCode, undefined, ep11Text(response.returnCode));
    if (response.kind === "error") throw new TkeVerificationError(label(unit), "format", "an xcpAdminRsp with return code 0 and no signed block");
    if (point) {
      const oa = response.signers.find((s) => s.signatureAlgorithm === OIDS.ecdsaWithSha512);
      if (!oa) throw new TkeVerificationError(label(unit), "oa-signature", "Invalid response, ECC OA signature not found");
      if (!verify("sha512", response.blockDer, { key: p521PublicKey(point), dsaEncoding: "der" }, oa.signature)) {
        throw new TkeVerificationError(label(unit), "oa-signature", "Invalid signature in xcpAdminRsp: the module's OA key did not sign this response");
      }
    }
    const block = response.block;
    const unbound = bindingProblem(block, expected);
    if (unbound) throw new TkeVerificationError(label(unit), "binding", unbound);
    if (block.returnCode === 0) return block;
    const reason = block.cmdOutput.length >= 4 ? readU32(block.cmdOutput) : undefined;
    if (expected.allowNotFound && block.returnCode === EP11_RC.keyHandleInvalid && reason === EP11_RC.notFoundReason) return undefined;
    throw new Ep11Error(label(unit), block.returnCode, reason, ep11Text(block.returnCode, reason));
  }

  /** One HTPRequest to the unit; the response CPRB's payload, or the catcher's or the CPRB's error. */
  private async exchange(unit: ListedHsm, payload: Uint8Array, signal?: AbortSignal): Promise<Uint8Array> {
    const response = await this.http.send(unit.id, encodeHtpRequest(domainAddress(unit.location), payload), signal);
    const decoded = this.guard(unit, () => decodeHtpResponse(response));
    if ("error" in decoded) {
      const e = decoded.error;
      throw new TkeApiRequestError(label(unit), `HTPResponse error. Error type: ${e.errorType}, return code: ${e.returnCode}, reason code: ${e.reasonCode}. ${e.text}`);
    }
    if (decoded.cprb.returnCode !== 0 || decoded.cprb.reasonCode !== 0) {
      throw new TkeApiRequestError(label(unit), `Error reported in EP11 CPRB. Return code: ${decoded.cprb.returnCode}, reason code: ${decoded.cprb.reasonCode}`);
    }
    return decoded.cprb.payload;
  }

  private guard<T>(unit: ListedHsm, decode: () => T): T {
    try {
      return decode();
    } catch (error) {
      if (error instanceof DerError || error instanceof HtpError || error instanceof RangeError) throw new TkeVerificationError(label(unit), "format", error.message);
      throw error;
    }
  }
}

/** What makes a signed block the answer to something else than what was sent, or undefined. */
function bindingProblem(block: AdminResponseBlock, expected: Expected): string | undefined {
  const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
  if (block.cmdId !== expected.cmdId) return `it answers command 0x${block.cmdId.toString(16)}, not 0x${expected.cmdId.toString(16)}`;
  if (block.domainId.length < 4 || readU32(block.domainId) !== expected.domainIndex) return `it answers for another domain than ${expected.domainIndex}`;
  const command = expected.command;
  if (!command) return undefined;
  if (hex(block.domainId) !== hex(command.domainId) || hex(block.moduleId) !== hex(command.moduleId)) return "it answers for another domain instance or module than the command was signed for";
  // A refusal leaves the counter where it was; a success must carry the counter the command was signed with.
  if (block.returnCode === 0 && hex(block.counter) !== hex(command.counter)) return `it carries transaction counter ${hex(block.counter)}, not the command's ${hex(command.counter)}`;
  return undefined;
}

/** The TKE service reported an error for the request (its HTPResponse error block, or the CPRB's return code). */
export class TkeApiRequestError extends HpcsError {
  readonly retryable = false;
  constructor(unit: string, detail: string) {
    super(`crypto unit ${unit}: ${detail}`);
  }
}

/** How units are named in messages: the location a person sees in IBM's tools, and the HSM id. */
export function label(unit: ListedHsm): string {
  return `${unit.location} (${unit.id})`;
}
