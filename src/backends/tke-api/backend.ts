import { InputError } from "../../model/errors";
import { chooseSigners, requiredSignatures } from "../../model/signers";
import { EMPTY_VP, sameVp, shortVp, type Vp } from "../../model/vp";
import type { CurrentRegister, NewRegister } from "../../model/registers";
import type { AutoRotateOptions, Backend, CallOptions, GenerateNewRequest, LoadNewRequest, RewrapStatus, RotateOptions, Signers, UnitRef, UnitsCommand, UnitStatus } from "../../engine/port/backend";
import { describeCapabilities, type Capabilities } from "../../engine/port/capabilities";
import { RegisterMismatchError, SelectionError, UnsupportedCommandError } from "../../engine/port/errors";
import { ADMIN_COMMAND, DOMAIN_FLAGS, type DomainInfo } from "../../protocol/ep11-admin";
import { IBM_ROOTS, type TrustAnchor } from "../../protocol/ibm-roots";
import { label, TkeApiClient, TkeVerificationError, type UnitReading } from "./client";
import type { Endpoints } from "./endpoints";
import { TkeHttp, type ListedHsm } from "./http";
import { IamTokenSource } from "./iam";

/**
 * TkeApiBackend — the engine's port over IBM's TKE HTTP API (research real-backends §9.2): it reads every crypto unit
 * directly and checks what each module signs, and it sends commit, set immediate (EP11 finalize) and clear as signed
 * EP11 commands. Commit and set immediate carry the engine's expected VP, so the HSM itself refuses a register that
 * holds another key (`vpBinding: "hsm"`; IBM's SDK instead sends whatever the register shows). Clear carries no VP:
 * it is bound by a read of the register and the transaction counter of the same read, which any other command in
 * between makes stale (EP11 3-163).
 *
 * There is no public API for the key storage rewrap or for loading key part files: those are the TKE CLI's. Alone, this
 * backend observes and refuses them, naming `tke-api+cli`; configured with the CLI driver (`cli`), it hands them to it.
 * Its shape is therefore the CLI's, with the HSM's VP binding: no rewrap status, the combined rotate, key part files the
 * plug-in opens.
 *
 * Units are named by their location, as the TKE CLI backend names them, so journals and outputs are the same whichever
 * of the two runs. The selection is this run's own (every unit at the start); with the CLI it is forwarded to it.
 */
export interface TkeApiOptions {
  readonly instanceId: string;
  readonly region: string;
  readonly endpoints: Endpoints;
  /** A secret: exchanged at IAM, never logged. */
  readonly apiKey: string;
  /** IBM's roots, or (only with a test endpoint) the roots a test configuration names. */
  readonly anchors: readonly TrustAnchor[];
  readonly fetch?: typeof fetch;
  /** The TKE CLI backend, for load and rotate (`tke-api+cli`). */
  readonly cli?: CliDelegate;
}

/** The TKE CLI backend as this one drives it: the port, and a way to tell it that this backend changed the instance. */
export interface CliDelegate extends Backend {
  /** Its reads shared within an observation are stale: the next command reads afresh. */
  forgetReads(): void;
}

export const TKE_API_CAPABILITIES: Capabilities = { rewrapStatus: "hidden", rotation: "combined", vpBinding: "hsm", keyParts: "opaque" };

export function openTkeApi(options: TkeApiOptions): TkeApiBackend {
  if (options.apiKey.length === 0) throw new InputError("the TKE API backend needs an API key: set hpcs:apiKey (a secret) or IBMCLOUD_API_KEY", "apiKey");
  const isIbmRoot = (a: TrustAnchor) => IBM_ROOTS.some((r) => r.ski === a.ski && r.x === a.x && r.y === a.y && r.format === a.format);
  if (!options.endpoints.test && !options.anchors.every(isIbmRoot)) throw new InputError("trust anchors other than IBM's roots are only accepted with a test endpoint (hpcs:tkeApiTestEndpoint)", "tkeApiTestRootsFile");
  return new TkeApiBackend(options);
}

export class TkeApiBackend implements Backend {
  readonly capabilities = TKE_API_CAPABILITIES;
  readonly instanceId: string;
  readonly description: string;
  readonly identity: string;
  private readonly client: TkeApiClient;
  private readonly http: TkeHttp;
  private listed: Map<string, ListedHsm> | undefined;
  private selection: Set<string> | undefined;
  private cliUnitsChecked = false;

  constructor(private readonly options: TkeApiOptions) {
    this.instanceId = options.instanceId;
    const fetcher = options.fetch ?? fetch;
    const iam = new IamTokenSource({ apiKey: options.apiKey, endpoint: options.endpoints.iam, fetch: fetcher });
    this.http = new TkeHttp({ endpoints: options.endpoints, instanceId: options.instanceId, iam, fetch: fetcher });
    this.client = new TkeApiClient(this.http, options.anchors);
    // A journal is evidence only for the service that wrote it: a rehearsal's emulator is not the real instance.
    this.identity = options.cli?.identity ?? (options.endpoints.test ? `tke-api-emulator:${options.endpoints.tke}` : `ibm-cloud-tke:${options.region}`);
    const uses = options.cli ? "load and rotate through the TKE CLI" : "observing only: load and rotate need hpcs:backend tke-api+cli";
    this.description = [`TKE API (${options.endpoints.test ? options.endpoints.tke : options.region})`, uses, ...describeCapabilities(this.capabilities)].join(", ");
  }

  /** The TKE plug-in's version, where the CLI loads and rotates. */
  get version(): string | undefined {
    return this.options.cli?.version;
  }

  async close(): Promise<void> {
    await this.options.cli?.close?.();
  }

  // Reads ------------------------------------------------------------------------------------------------------------

  async listUnits(): Promise<readonly UnitRef[]> {
    const hsms = await this.listHsms();
    await Promise.all(hsms.map((u) => this.client.module(u)));
    await this.sameUnitsAsCli(hsms);
    return hsms.map((u) => ({ id: u.location, type: u.type, location: u.location }));
  }

  /** With the CLI driver: both must see the same crypto units, or load and rotate would go to another instance than the reads. */
  private async sameUnitsAsCli(hsms: readonly ListedHsm[]): Promise<void> {
    if (!this.options.cli || this.cliUnitsChecked) return;
    const key = (units: readonly { location: string; type: string }[]) => units.map((u) => `${u.type} ${u.location}`).sort().join(", ");
    const cliUnits = await this.options.cli.listUnits();
    if (key(cliUnits) !== key(hsms)) {
      throw new SelectionError(`the TKE CLI and the TKE API see different crypto units for service instance ${this.instanceId} (CLI: ${key(cliUnits)}; API: ${key(hsms)}); check hpcs:region and the CLI's login before anything is changed`);
    }
    this.cliUnitsChecked = true;
  }

  async queryUnit(unit: string): Promise<UnitStatus> {
    const hsm = await this.hsm(unit);
    const reading = await this.client.read(hsm);
    const names = await Promise.all(reading.adminSkis.map((ski) => this.client.adminName(hsm, ski)));
    return {
      id: hsm.location,
      type: hsm.type,
      location: hsm.location,
      selected: (await this.selected()).has(hsm.location),
      ...registersOf(reading.domainInfo),
      thresholds: reading.thresholds,
      admins: reading.adminSkis.map((ski, i) => ({ ski, name: names[i] })),
    };
  }

  async rewrapStatus(): Promise<RewrapStatus> {
    return { state: "unknown" };
  }

  // Selection ------------------------------------------------------------------------------------------------------

  // The CLI's selection changes first: if it refuses, this one has not moved, and the two never disagree.
  async select(units: readonly string[], options?: CallOptions): Promise<void> {
    await Promise.all(units.map((u) => this.hsm(u)));
    await this.options.cli?.select(units, options);
    const selection = await this.selected();
    units.forEach((u) => selection.add(u));
  }

  async deselect(units: readonly string[], options?: CallOptions): Promise<void> {
    await Promise.all(units.map((u) => this.hsm(u)));
    await this.options.cli?.deselect(units, options);
    const selection = await this.selected();
    units.forEach((u) => selection.delete(u));
  }

  // What only the TKE CLI can do -------------------------------------------------------------------------------------

  async loadNew(request: LoadNewRequest, signers: Signers, options?: CallOptions): Promise<Vp> {
    if (!this.options.cli) throw this.needsCli("loadNew", "there is no public API to load key part files into the new master key registers");
    return this.options.cli.loadNew(request, signers, options);
  }

  async rewrap(): Promise<void> {
    throw new UnsupportedCommandError("rewrap", "the TKE API backend rotates with the TKE CLI's cryptounit-mk-rotate (rotate), which rewraps key storage and promotes in one command");
  }

  async rotate(targetVp: Vp, signers: Signers, options?: RotateOptions): Promise<void> {
    if (!this.options.cli) throw this.needsCli("rotate", "there is no public API for the key storage rewrap (cryptounit-mk-rotate)");
    return this.options.cli.rotate(targetVp, signers, options);
  }

  async generateNew(): Promise<Vp> {
    throw new UnsupportedCommandError("generateNew", "the TKE API backend generates a key in a recovery unit with the TKE CLI's auto-mk-rotate (autoRotate), which also commits, rewraps and promotes");
  }

  async copyNew(): Promise<void> {
    throw new UnsupportedCommandError("copyNew", "the TKE API backend copies a generated key only inside the TKE CLI's auto-mk-rotate (autoRotate)");
  }

  async autoRotate(request: GenerateNewRequest, signers: Signers, options?: AutoRotateOptions): Promise<Vp> {
    if (!this.options.cli) throw this.needsCli("autoRotate", "there is no public API for the key storage rewrap that auto-mk-rotate ends with");
    return this.options.cli.autoRotate(request, signers, options);
  }

  private needsCli(command: string, why: string): UnsupportedCommandError {
    return new UnsupportedCommandError(command, `${why}. Configure hpcs:backend tke-api+cli (the TKE API for reads, commit, set immediate and clear; IBM's TKE CLI plug-in for load and rotate), or run this step with hpcs:backend tke-cli`);
  }

  // Signed commands --------------------------------------------------------------------------------------------------

  commitNew(command: UnitsCommand, signers: Signers, options?: CallOptions): Promise<void> {
    return this.eachUnit(command, async (hsm, reading) => {
      const now = registersOf(reading.domainInfo).new;
      if (now.status === "Full Committed" && sameVp(now.vp, command.expectedVp)) return;
      await this.signed(hsm, reading, ADMIN_COMMAND.commitWk, bindingVp(command.expectedVp, reading), "commitNew", signers, options);
      await this.confirm(hsm, "commit", (r) => r.new.status === "Full Committed" && sameVp(r.new.vp, command.expectedVp), options);
    }, options);
  }

  setImmediate(command: UnitsCommand, signers: Signers, options?: CallOptions): Promise<void> {
    return this.eachUnit(command, async (hsm, reading) => {
      const now = registersOf(reading.domainInfo);
      if (now.current.status === "Valid" && sameVp(now.current.vp, command.expectedVp) && now.new.status === "Empty") return;
      await this.signed(hsm, reading, ADMIN_COMMAND.finalizeWk, bindingVp(command.expectedVp, reading), "setImmediate", signers, options);
      await this.confirm(hsm, "set immediate", (r) => r.current.status === "Valid" && sameVp(r.current.vp, command.expectedVp) && r.new.status === "Empty", options);
    }, options);
  }

  clearNew(command: UnitsCommand, signers: Signers, options?: CallOptions): Promise<void> {
    return this.eachUnit(command, async (hsm, reading) => {
      // EP11's clear carries no VP: a register read taken after the transaction counter binds it, since anyone's
      // command after that read makes ours stale (3-163). The reading's register query ran alongside its counter, so
      // it is read again.
      const now = registersOf(await this.client.domainInfo(hsm, options?.signal)).new;
      if (now.status === "Empty") return;
      if (!sameVp(now.vp, command.expectedVp)) throw new RegisterMismatchError(label(hsm), `the new register holds ${shortVp(now.vp)}, not ${shortVp(command.expectedVp)}; nothing was cleared`);
      await this.signed(hsm, reading, ADMIN_COMMAND.clearNextWk, new Uint8Array(0), "clearNew", signers, options);
      await this.confirm(hsm, "clear", (r) => r.new.status === "Empty", options);
    }, options);
  }

  /**
   * A set command: every unit in parallel, each read afresh (registers, counter, admins) and then commanded; every
   * unit settles before the first failure is reported.
   */
  private async eachUnit(command: UnitsCommand, run: (hsm: ListedHsm, reading: UnitReading) => Promise<void>, options?: CallOptions): Promise<void> {
    const results = await Promise.allSettled(
      command.units.map(async (unit) => {
        options?.signal?.throwIfAborted();
        if (!(await this.selected()).has(unit)) throw new SelectionError(`crypto unit ${unit} is not selected; select it (cryptounit-add) before a master key command`);
        const hsm = await this.hsm(unit);
        await run(hsm, await this.client.read(hsm, options?.signal));
      }),
    );
    this.options.cli?.forgetReads();
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  }

  private async signed(hsm: ListedHsm, reading: UnitReading, cmdId: number, cmdInput: Uint8Array, command: "commitNew" | "setImmediate" | "clearNew", signers: Signers, options?: CallOptions): Promise<void> {
    options?.signal?.throwIfAborted();
    const keys = chooseSigners(signers.keys, reading.adminSkis.map((ski) => ({ ski })), requiredSignatures(command, reading.thresholds.signature));
    await this.client.command(hsm, cmdId, cmdInput, reading.context, keys, options?.signal);
  }

  /**
   * The register query is not signed: after a command the module signed as done, a fresh read must show its effect, or
   * the register query is not to be trusted and the run stops.
   */
  private async confirm(hsm: ListedHsm, what: string, holds: (registers: ReturnType<typeof registersOf>) => boolean, options?: CallOptions): Promise<void> {
    const registers = registersOf(await this.client.domainInfo(hsm, options?.signal));
    if (!holds(registers)) {
      throw new TkeVerificationError(label(hsm), "register-cross-check", `the module signed the ${what} as done, but the register query then shows current ${describe(registers.current)}, new ${describe(registers.new)}`);
    }
  }

  // Units ------------------------------------------------------------------------------------------------------------

  private async listHsms(): Promise<ListedHsm[]> {
    const hsms = await this.http.listHsms();
    const locations = new Set(hsms.map((h) => h.location));
    if (locations.size !== hsms.length) throw new TkeVerificationError(this.instanceId, "format", "GET /hsms lists two crypto units at the same location");
    this.listed = new Map(hsms.map((h) => [h.location, h]));
    this.selection ??= new Set(hsms.map((h) => h.location));
    return hsms;
  }

  private async hsm(unit: string): Promise<ListedHsm> {
    if (!this.listed?.has(unit)) await this.listHsms();
    const hsm = this.listed?.get(unit);
    if (!hsm) throw new SelectionError(`crypto unit ${unit} is not a unit of service instance ${this.instanceId}`);
    return hsm;
  }

  /** The run's selection: every unit of the first listing, then what select and deselect made of it. */
  private async selected(): Promise<Set<string>> {
    if (!this.selection) await this.listHsms();
    return this.selection ?? new Set();
  }
}

/** The registers as the domain-info flags state them (IBM's SDK: 0x02 current, 0x04 new, 0x08 new committed). */
export function registersOf(info: DomainInfo): { current: CurrentRegister; new: NewRegister } {
  const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
  const flags = info.flags & 0xff;
  return {
    current: flags & DOMAIN_FLAGS.currentWk ? { status: "Valid", vp: hex(info.currentVp) } : { status: "Empty", vp: EMPTY_VP },
    new: flags & DOMAIN_FLAGS.nextWk ? { status: flags & DOMAIN_FLAGS.nextCommitted ? "Full Committed" : "Full Uncommitted", vp: hex(info.newVp) } : { status: "Empty", vp: EMPTY_VP },
  };
}

/**
 * What commit and finalize carry: the engine's expected VP. Its first 28 bytes are the key's (our VPs compare on them);
 * the last 4 are what this module's firmware shows there (old firmware does not zero them), taken from the register
 * only when the first 28 agree, so the HSM compares the engine's key, not the register's.
 */
function bindingVp(expected: Vp, reading: UnitReading): Uint8Array {
  const register = Buffer.from(reading.domainInfo.newVp).toString("hex");
  return Buffer.from(sameVp(register, expected) ? expected.slice(0, 56) + register.slice(56) : expected, "hex");
}

function describe(register: { status: string; vp: Vp }): string {
  return register.status === "Empty" ? "Empty" : `${register.status} with ${shortVp(register.vp)}`;
}
