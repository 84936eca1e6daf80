import { createHash, generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { Ep11Error, RegisterMismatchError } from "../../engine/port/errors";
import { jsonOrUndefined } from "../../model/json-text";
import { EMPTY_VP } from "../../model/vp";
import { advanceTransactionCounter, executeSignedCommand, listSimulatedInstances, readHsms, type HsmView } from "../../backends/simulator";
import { encodeAdminCertificate } from "../../protocol/admin-certificate";
import { children, readElement } from "../../protocol/der";
import {
  ADMIN_COMMAND,
  ADMIN_QUERY,
  counterBytes,
  counterValue,
  decodeAdminRequest,
  decodeXcpInfoRequest,
  DOMAIN_ATTRIBUTE,
  DOMAIN_FLAGS,
  encodeAdminResponse,
  encodeAdminResponseBlock,
  encodeAttributes,
  encodeDomainInfo,
  encodeSignerInfo,
  encodeXcpInfoResponse,
  EP11_RC,
  FNID,
  XCP_INFO,
  type DecodedAdminRequest,
} from "../../protocol/ep11-admin";
import { concatBytes } from "../../protocol/der";
import { decodeHtpRequest, domainAddress, encodeCprb, encodeHtpResponse, moduleOf, readU32, u32 } from "../../protocol/htp";
import { OaIdentities, type ModuleIdentity } from "./identities";
import { TKE_API_TEXTS } from "./texts";

/**
 * The TKE HTTP API emulator: IBM's `tke.<region>.hs-crypto.cloud.ibm.com` and IAM's token endpoint on one plain HTTP
 * origin on 127.0.0.1, backed by the simulator's instances (research tke-domain §6, real-backends §4). Each crypto
 * module signs its admin responses with its own OA key and presents an OA2 chain to a test root; the registers come
 * back unsigned, as get_xcp_info does on the real service. Signed commands are checked by the same unit rules as the
 * simulator's own (transaction counter, signatures against the installed administrators, threshold, imprint mode, the
 * VP the command carries) and refused with EP11's return and reason codes.
 */

/** The signed commands by the names faults use, and their EP11 ids. */
const SIGNED_COMMANDS = ["commit", "finalize", "clear"] as const;
const COMMAND_IDS: Record<(typeof SIGNED_COMMANDS)[number], number> = { commit: ADMIN_COMMAND.commitWk, finalize: ADMIN_COMMAND.finalizeWk, clear: ADMIN_COMMAND.clearNextWk };

export const tkeApiFaultSchema = z.discriminatedUnion("fault", [
  /** The next matching requests (of a route, or carrying a signed command of a kind) are answered with this HTTP status and IBM's text. */
  z.object({
    fault: z.literal("httpStatus"),
    status: z.union([z.literal(401), z.literal(404), z.literal(500)]),
    route: z.enum(["hsms", "unit"]).optional(),
    command: z.enum(SIGNED_COMMANDS).optional(),
    times: z.number().int().min(1).default(1),
  }),
  /** A signed command (of a kind) takes effect, then the connection is dropped before the response. */
  z.object({ fault: z.literal("dropAfterCommand"), command: z.enum(SIGNED_COMMANDS).optional(), times: z.number().int().min(1).default(1) }),
  /** Admin responses (or those to a kind of signed command) are signed with a key the module's certificate does not name. */
  z.object({ fault: z.literal("badOaSignature"), command: z.enum(SIGNED_COMMANDS).optional(), times: z.number().int().min(1).default(1) }),
  /** A signed command takes effect, and the success it answers carries the counter from before it: an old answer replayed. */
  z.object({ fault: z.literal("replayedAnswer"), command: z.enum(SIGNED_COMMANDS).optional(), times: z.number().int().min(1).default(1) }),
  /** The module presents a certificate chain that ends at a root nobody trusts. */
  z.object({ fault: z.literal("unknownRoot"), times: z.number().int().min(1).default(1) }),
  /** GET /hsms reports another serial number for every unit than its module's. */
  z.object({ fault: z.literal("serialMismatch"), times: z.number().int().min(1).default(1) }),
  /** Another administrator's command reaches the unit just before the next signed command: its counter is stale. */
  z.object({ fault: z.literal("staleCounter"), times: z.number().int().min(1).default(1) }),
]);
export type TkeApiFault = z.input<typeof tkeApiFaultSchema>;
type ArmedFault = z.output<typeof tkeApiFaultSchema>;

export interface TkeApiEmulatorOptions {
  readonly simDir: string;
  readonly port?: number;
  /** The API key IAM accepts; any non-empty one when absent. */
  readonly apiKey?: string;
  readonly tokenLifetimeSeconds?: number;
  readonly clock?: () => number;
  /** Told of every request as it arrives (the `sim tke-api` command prints them). */
  readonly onRequest?: (request: RequestRecord) => void;
}

/** What the emulator was asked, per route: benchmarks and tests count rounds of requests with it. */
export interface RequestRecord {
  readonly route: "iam" | "hsms" | "unit";
  readonly unit?: string;
  readonly at: number;
}

export interface TkeApiEmulator {
  readonly url: string;
  /** The test root's file, for a client's explicit test configuration (`hpcs:tkeApiTestRootsFile`). */
  readonly rootsFile: string;
  readonly requests: RequestRecord[];
  arm(fault: TkeApiFault): void;
  close(): Promise<void>;
}

export async function startTkeApiEmulator(options: TkeApiEmulatorOptions): Promise<TkeApiEmulator> {
  const identities = new OaIdentities(options.simDir);
  const rootsFile = identities.writeAnchorFile();
  const faults: ArmedFault[] = [];
  const tokens = new Map<string, number>();
  const requests: RequestRecord[] = [];
  const clock = options.clock ?? Date.now;
  const lifetime = options.tokenLifetimeSeconds ?? 3600;
  /** A key no certificate names: what signs responses under the `badOaSignature` fault. */
  const stranger = generateKeyPairSync("ec", { namedCurve: "secp521r1" }).privateKey;

  const record = (request: RequestRecord) => {
    requests.push(request);
    options.onRequest?.(request);
  };
  const take = (kind: ArmedFault["fault"], matches: (f: ArmedFault) => boolean = () => true): ArmedFault | undefined => {
    const index = faults.findIndex((f) => f.fault === kind && matches(f));
    if (index < 0) return undefined;
    const fault = faults[index];
    if (--fault.times <= 0) faults.splice(index, 1);
    return fault;
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: Error) => send(response, 500, { message: `emulator error: ${error.message}` }));
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://emulator");
    const body = await readBody(request);
    if (request.method === "POST" && url.pathname === "/identity/token") return iam(body, response);
    const route = /^\/v1\/tke\/([^/]+)\/hsms(?:\/([^/]+))?$/.exec(url.pathname);
    if (!route) return send(response, 404, { message: "Not Found" });
    const [, instanceId, hsmId] = route;
    const kind = hsmId === undefined ? "hsms" : "unit";
    record({ route: kind, unit: hsmId, at: clock() });
    const expiresAt = tokens.get((request.headers.authorization ?? "").replace(/^Bearer /, ""));
    const status = take("httpStatus", (f) => f.fault === "httpStatus" && f.command === undefined && (f.route === undefined || f.route === kind));
    if (status?.fault === "httpStatus") return send(response, status.status, { message: TKE_API_TEXTS.http[status.status] });
    if (expiresAt === undefined || expiresAt <= clock()) return send(response, 401, { message: TKE_API_TEXTS.http[401] });
    if (!listSimulatedInstances(options.simDir).includes(instanceId)) return send(response, 404, { message: TKE_API_TEXTS.http[404] });
    const units = readHsms(options.simDir, instanceId);
    if (hsmId === undefined) return send(response, 200, hsmList(units));
    const unit = units.find((u) => u.id === hsmId);
    if (!unit || request.method !== "POST") return send(response, 404, { message: TKE_API_TEXTS.http[404] });
    const parsed = z.object({ request: z.string() }).safeParse(jsonOrUndefined(body));
    if (!parsed.success) return send(response, 400, { message: "the body must be {\"request\": \"<HTPRequest>\"}" });
    const answer = await unitRequest(instanceId, unit, parsed.data.request);
    if (answer === "drop") {
      response.socket?.destroy();
      return;
    }
    if (typeof answer === "number") return send(response, answer, { message: TKE_API_TEXTS.http[answer as 401 | 404 | 500] });
    send(response, 200, { response: answer });
  }

  function iam(body: string, response: ServerResponse): void {
    record({ route: "iam", at: clock() });
    const form = new URLSearchParams(body);
    const apiKey = form.get("apikey") ?? "";
    if (form.get("grant_type") !== "urn:ibm:params:oauth:grant-type:apikey" || apiKey.length === 0 || (options.apiKey !== undefined && apiKey !== options.apiKey)) {
      return send(response, 400, TKE_API_TEXTS.iamRefused);
    }
    const token = randomBytes(24).toString("base64url");
    tokens.set(token, clock() + lifetime * 1000);
    send(response, 200, { access_token: token, refresh_token: "not-supported", token_type: "Bearer", expires_in: lifetime, expiration: Math.floor(clock() / 1000) + lifetime });
  }

  function hsmList(units: readonly HsmView[]) {
    const mismatch = take("serialMismatch") !== undefined;
    const entry = (u: HsmView) => ({ hsm_id: u.id, location: u.location, state: "ACTIVE", version: 1, serial_number: mismatch ? "00000000" : identities.module(moduleOf(u.location)).serial });
    return {
      metadata: [{ collectionType: "application/vnd.ibm.hpcs.hsm+json", collectionTotal: units.length }],
      hsms: units.filter((u) => u.type === "operational").map(entry),
      source_hsms: units.filter((u) => u.type === "recovery").map(entry),
      failover_hsms: units.filter((u) => u.type === "failover").map(entry),
    };
  }

  /** The HTPResponse, an HTTP status (a fault on a signed command), or "drop" (the connection is cut). */
  async function unitRequest(instanceId: string, unit: HsmView, htpRequest: string): Promise<string | number | "drop"> {
    let decoded: ReturnType<typeof decodeHtpRequest>;
    try {
      decoded = decodeHtpRequest(htpRequest);
    } catch (error) {
      return encodeHtpResponse({ error: { errorType: "9", returnCode: "1", reasonCode: "0", programId: "TKEHTP", location: "request", text: (error as Error).message } });
    }
    const address = domainAddress(unit.location);
    if (decoded.cryptoModuleIndex !== address.cryptoModuleIndex || decoded.domainIndex !== address.domainIndex) {
      return encodeHtpResponse({ error: { errorType: "9", returnCode: "2", reasonCode: "0", programId: "TKEHTP", location: "request", text: `no domain ${decoded.cryptoModuleIndex}.${decoded.domainIndex} behind crypto unit ${unit.id}` } });
    }
    const reply = (payload: Uint8Array) => encodeHtpResponse({ cprb: encodeCprb({ domainIndex: address.domainIndex, payload }) });
    const fnid = readU32(children(readElement(decoded.payload).content)[0]?.content ?? new Uint8Array(0));
    if (fnid === FNID.getXcpInfo) {
      const { subtype } = decodeXcpInfoRequest(decoded.payload);
      if (subtype !== XCP_INFO.domain) return reply(encodeXcpInfoResponse(address.domainIndex, 84, new Uint8Array(0)));
      return reply(encodeXcpInfoResponse(address.domainIndex, 0, domainInfo(unit, address.domainIndex)));
    }
    const admin = decodeAdminRequest(decoded.payload);
    const onThisCommand = (f: ArmedFault) => "command" in f && f.command !== undefined && COMMAND_IDS[f.command] === admin.block.cmdId;
    const status = take("httpStatus", onThisCommand);
    if (status?.fault === "httpStatus") return status.status;
    const identity = identities.module(moduleOf(unit.location));
    const result = await adminRequest(instanceId, unit, identity, admin);
    if (result === "drop") return "drop";
    const after = readHsms(options.simDir, instanceId).find((u) => u.id === unit.id) ?? unit;
    const forThis = (f: ArmedFault) => !("command" in f) || f.command === undefined || COMMAND_IDS[f.command] === admin.block.cmdId;
    const replayed = result.returnCode === 0 && take("replayedAnswer", (f) => onThisCommand(f)) !== undefined;
    const blockDer = encodeAdminResponseBlock({
      cmdId: admin.block.cmdId,
      domainId: result.domainId ?? domainIdOf(unit, address.domainIndex),
      moduleId: moduleIdOf(identity),
      counter: counterBytes(after.transactionCounter - (replayed ? 1 : 0)),
      returnCode: result.returnCode,
      cmdOutput: result.output,
    });
    const signature = take("badOaSignature", forThis) ? new Uint8Array(sign("sha512", blockDer, stranger)) : identity.sign(blockDer);
    return reply(encodeAdminResponse({ cmdId: admin.block.cmdId, domainId: admin.block.domainId, returnCode: 0, blockDer, signerInfos: [encodeSignerInfo(Buffer.from(identity.ski, "hex"), signature)] }));
  }

  /** One admin query or signed command: its return code and output (the reason code first, on an error). */
  async function adminRequest(instanceId: string, unit: HsmView, identity: ModuleIdentity, admin: DecodedAdminRequest): Promise<{ returnCode: number; output: Uint8Array; domainId?: Uint8Array } | "drop"> {
    const ok = (output: Uint8Array) => ({ returnCode: 0, output });
    const fail = (returnCode: number, reason?: number) => ({ returnCode, output: reason === undefined ? new Uint8Array(0) : u32(reason) });
    const { cmdId, cmdInput } = admin.block;
    switch (cmdId) {
      case ADMIN_QUERY.deviceCertificate: {
        const chain = take("unknownRoot") ? identity.untrustedChain() : identity.chain;
        const certificate = chain[readU32(cmdInput)];
        return { ...(certificate ? ok(certificate) : fail(EP11_RC.keyHandleInvalid, EP11_RC.notFoundReason)), domainId: new Uint8Array(8) };
      }
      case ADMIN_QUERY.domainAttributes:
        return ok(encodeAttributes(new Map([[DOMAIN_ATTRIBUTE.signatureThreshold, unit.thresholds.signature], [DOMAIN_ATTRIBUTE.revocationThreshold, unit.thresholds.revocation], [DOMAIN_ATTRIBUTE.permissions, permissionsOf(unit)], [DOMAIN_ATTRIBUTE.mode, 0], [DOMAIN_ATTRIBUTE.standards, 0]])));
      case ADMIN_QUERY.domainAdmins: {
        if (cmdInput.length === 0) return ok(concatBytes(...unit.admins.map((a) => Buffer.from(a.ski, "hex"))));
        const wanted = Buffer.from(cmdInput).toString("hex");
        const found = unit.admins.find((a) => a.ski === wanted);
        return found ? ok(encodeAdminCertificate({ name: found.name, point: new Uint8Array(Buffer.from(found.publicKey, "base64").subarray(-133)) })) : fail(32, 32);
      }
      case ADMIN_COMMAND.commitWk:
      case ADMIN_COMMAND.finalizeWk:
      case ADMIN_COMMAND.clearNextWk: {
        const address = domainAddress(unit.location);
        if (Buffer.compare(admin.block.domainId, domainIdOf(unit, address.domainIndex)) !== 0) return fail(3);
        if (Buffer.compare(admin.block.moduleId, moduleIdOf(identity)) !== 0) return fail(32);
        const carriesVp = cmdId !== ADMIN_COMMAND.clearNextWk;
        if (carriesVp ? cmdInput.length !== 32 : cmdInput.length !== 0) return fail(33);
        if (take("staleCounter")) await advanceTransactionCounter(options.simDir, instanceId, unit.id);
        try {
          await executeSignedCommand(options.simDir, instanceId, unit.id, {
            command: cmdId === ADMIN_COMMAND.commitWk ? "commitNew" : cmdId === ADMIN_COMMAND.finalizeWk ? "setImmediate" : "clearNew",
            vp: carriesVp ? Buffer.from(cmdInput).toString("hex") : EMPTY_VP,
            counter: counterValue(admin.block.counter),
            signatures: admin.signers.map((s) => ({ ski: Buffer.from(s.ski).toString("hex"), signature: Buffer.from(s.signature).toString("base64") })),
            signedBytes: admin.blockDer,
          });
        } catch (error) {
          if (error instanceof Ep11Error) return fail(error.returnCode, error.reasonCode);
          // A finalize on a register that is not Full Committed with the VP it carries (the unit's own rule). EP11's
          // code for it is not public (research real-backends §10.6): CKR_KEY_CHANGED, without a reason.
          if (error instanceof RegisterMismatchError) return fail(101);
          throw error;
        }
        if (take("dropAfterCommand", (f) => !("command" in f) || f.command === undefined || COMMAND_IDS[f.command] === cmdId)) return "drop";
        return ok(new Uint8Array(0));
      }
      default:
        return fail(84);
    }
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    rootsFile,
    requests,
    arm: (fault) => faults.push(tkeApiFaultSchema.parse(fault)),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function domainInfo(unit: HsmView, domainIndex: number): Uint8Array {
  const vp = (register: { vp?: string }) => (register.vp ? Buffer.from(register.vp, "hex") : new Uint8Array(32));
  const flags =
    (unit.admins.length > 0 ? DOMAIN_FLAGS.adminsPresent : 0) |
    (unit.current.status === "Valid" ? DOMAIN_FLAGS.currentWk : 0) |
    (unit.new.status !== "Empty" ? DOMAIN_FLAGS.nextWk : 0) |
    (unit.new.status === "Full Committed" ? DOMAIN_FLAGS.nextCommitted : 0) |
    (unit.thresholds.signature > 0 ? DOMAIN_FLAGS.imprinted : 0);
  return encodeDomainInfo({ domainIndex, currentVp: vp(unit.current), newVp: vp(unit.new), flags });
}

/** The domain ID a module answers with: the domain index and an instance number of its own. */
function domainIdOf(unit: HsmView, domainIndex: number): Uint8Array {
  return concatBytes(u32(domainIndex), createHash("sha256").update(unit.id).digest().subarray(0, 4));
}

/** The module ID: the 8-character serial and an 8-byte module instance. */
function moduleIdOf(identity: ModuleIdentity): Uint8Array {
  return concatBytes(Buffer.from(identity.serial, "latin1"), new Uint8Array(8));
}

/** Permission bits (research tke-domain §3): import, single-part import and one-signature zeroize; recovery units export and generate. */
function permissionsOf(unit: HsmView): number {
  return unit.type === "recovery" ? 0x01 | 0x02 | 0x04 | 0x08 | 0x40 : 0x01 | 0x04 | 0x40;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "Content-Type": "application/json" });
  response.end(JSON.stringify(body));
}

