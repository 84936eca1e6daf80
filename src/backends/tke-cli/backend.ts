import { createHash, randomBytes } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { InputError, KeyPartFileError, SignatureKeyFileError } from "../../model/errors";
import { KEY_MATERIAL_MAX_BYTES, readBoundedFile } from "../../files/read-file";
import { sameVp, shortVp, vpIdentity, type Vp } from "../../model/vp";
import { generationUnavailable } from "../../model/recovery-units";
import type {
  AutoRotateOptions,
  Backend,
  GenerateNewRequest,
  CallOptions,
  KeyPartFileRef,
  KeyParts,
  LoadNewRequest,
  RewrapStatus,
  RotateOptions,
  SignatureKeyFileRef,
  Signers,
  UnitRef,
  UnitsCommand,
  UnitStatus,
} from "../../engine/port/backend";
import { CLI_LIKE_CAPABILITIES, describeCapabilities, type Capabilities } from "../../engine/port/capabilities";
import { PrecheckFailedError, RegisterMismatchError, SameKeyError, SelectionError, TransientError, UnsupportedCommandError } from "../../engine/port/errors";
import { TKE_COMMAND } from "../../engine/port/tke-commands";
import { converse, type Answer, type ExchangeResult, type SpawnTerminal, type Transcript } from "./conversation";
import { outcomeOf, TkeSetupError } from "./outcome";
import { parseCompare, parseContext, parseKeyParts, parsePluginVersion, parseSigkeys, parseUnitListing, TkeOutputError, type ComparedUnit, type InstanceListing, type ListedUnit } from "./parse";
import { OUTCOMES, SIGNER_LINE, VALIDATED_VERSIONS, type PromptId, type PromptText } from "./prompts";
import { Workspace } from "./workspace";

/**
 * TkeCliBackend — the engine's port over IBM's TKE CLI plug-in (`ibmcloud tke …`), in the shape the checks prove for
 * it: it cannot report the rewrap, `cryptounit-mk-rotate` rewraps and promotes in one command, the VP of a command is
 * checked by a read first, and it opens key part files itself (capabilities.ts, CLI_LIKE_CAPABILITIES).
 *
 * - Units are named by their location (`[region].[zone].[module].[domain]`): the listing shows no HSM id, and a
 *   CRYPTO UNIT NUM is valid only for the listing it comes from, so numbers are taken from the listing each
 *   `cryptounit-add` / `cryptounit-rm` prints before its own prompt, never kept.
 * - The selection the engine sees is this backend's own (it starts with every unit of the instance): `select` and
 *   `deselect` change it without a command, and each master key command gets exactly its units selected in the run's
 *   private workspace before it runs, as IBM's procedures do by hand (`cryptounit-rm`, then `cryptounit-mk-setimm`).
 * - Every mutation is read first (the VP binding) and confirmed by a fresh read after it; OK or FAILED alone decides
 *   nothing, and output that ends before either is a transient error: the engine re-observes before it does anything.
 */
export interface TkeCliOptions {
  readonly instanceId: string;
  /** The `ibmcloud` executable. */
  readonly ibmcloud: string;
  /** The IBM Cloud home whose installed plug-ins to use. */
  readonly ibmcloudHome?: string;
  /** A secret: written to a 0600 file for `ibmcloud login --apikey @FILE`, removed right after. */
  readonly apiKey: string;
  readonly apiEndpoint: string;
  readonly region: string;
  readonly resourceGroup: string;
  /** The person's environment; only an allow-list of it reaches the plug-in (workspace.ts). */
  readonly environment: NodeJS.ProcessEnv;
  /**
   * Opens a key part file in our own format (`hpcs-mk keypart create`): its value, or undefined when the file is not
   * ours (then it is IBM's, for the plug-in to open). Handed in by the composition root: this backend reads no key
   * part format of its own.
   */
  readonly openOwnKeyPart: (file: KeyPartFileRef) => Uint8Array | undefined;
  readonly spawn: SpawnTerminal;
  /** Every command's redacted transcript, as it ends. */
  readonly onTranscript?: (transcript: Transcript) => void;
}

/** A read of every unit of the instance: the listing (by location) and each unit's registers, thresholds and admins. */
interface Snapshot {
  readonly at: number;
  readonly units: readonly UnitStatus[];
}

/** Reads are shared by the calls of one observation, and never outlive a mutation or a second. */
const SNAPSHOT_TTL_MS = 1000;

export async function openTkeCli(options: TkeCliOptions): Promise<TkeCliBackend> {
  const backend = new TkeCliBackend(options, new Workspace({ ibmcloudHome: options.ibmcloudHome, environment: options.environment }));
  try {
    await backend.start();
    return backend;
  } catch (error) {
    await backend.close();
    throw error;
  }
}

export class TkeCliBackend implements Backend {
  readonly capabilities: Capabilities = CLI_LIKE_CAPABILITIES;
  readonly instanceId: string;
  description: string;
  identity = "";
  /** The plug-in version the run found, once started. */
  pluginVersion = "";

  get version(): string | undefined {
    return this.pluginVersion === "" ? undefined : `ibmcloud tke plug-in ${this.pluginVersion}`;
  }
  private snapshotPromise: { readonly taken: number; readonly promise: Promise<Snapshot> } | undefined;
  /** The engine's selection (locations); every unit of the instance at the start. */
  private selection: Set<string> | undefined;
  private readonly secrets = new Set<string>();
  /** Key part files prepared in the workspace: SHA-256 → KEYNUM and the password that opens the workspace's copy. */
  private readonly keyParts = new Map<string, { keynum: number; password: string }>();
  private signersReady: readonly SignatureKeyFileRef[] | undefined;
  /** Which units the plug-in has selected in the workspace (locations), as the last listing showed; only this run changes it. */
  private pluginSelected: ReadonlySet<string> | undefined;
  /** The listing start's cryptounit-add printed after OK, until the first read uses it. */
  private firstListing: InstanceListing[] | undefined;

  constructor(
    private readonly options: TkeCliOptions,
    private readonly workspace: Workspace,
  ) {
    this.instanceId = options.instanceId;
    this.description = "TKE CLI";
    this.secrets.add(options.apiKey);
  }

  /** Logs in (non-interactively) and checks the plug-in: its version must be one the prompt table was written for. */
  async start(): Promise<void> {
    if (!this.workspace.plugins) throw new TkeSetupError(`no IBM Cloud CLI plug-ins are installed in ${this.options.ibmcloudHome ?? "the user's IBM Cloud home"}: run ibmcloud plugin install tke (or set hpcs:ibmcloudHome to the home that has it)`);
    const keyFile = this.workspace.secretFile("apikey", this.options.apiKey);
    try {
      const login = await this.run(["login", "-a", this.options.apiEndpoint, "--apikey", `@${keyFile}`, "-r", this.options.region, "-g", this.options.resourceGroup], []);
      if (login.exitCode !== 0) throw new TkeSetupError(`ibmcloud login failed (exit ${login.exitCode ?? "unknown"}): ${login.output.split("\n").slice(-3).join(" ")}`);
    } finally {
      rmSync(keyFile, { force: true });
    }
    const shown = await this.run(["plugin", "show", "tke"], []);
    const version = parsePluginVersion(shown.output);
    if (!version) throw new TkeSetupError("the tke plug-in is not installed (ibmcloud plugin show tke found none): run ibmcloud plugin install tke");
    if (!VALIDATED_VERSIONS.test(version)) {
      throw new TkeSetupError(`the tke plug-in is version ${version}, for which this driver's prompt table (src/backends/tke-cli/prompts.ts) has not been validated; it refuses rather than guess. Validated: ${VALIDATED_VERSIONS.source}`);
    }
    this.pluginVersion = version;
    // The run starts with every unit of the instance selected in its workspace; what cryptounit-add prints before its
    // prompt (the context and the listing) also names the account, and its listing after OK serves the first read.
    const added = await this.changeSelection("addUnits", (listing) => this.ourInstance(listing).units.filter((u) => !u.selected));
    this.firstListing = added.listing;
    const context = parseContext(added.output.split("\n"));
    this.identity = `ibm-cloud:${context.account ?? "unknown account"}:${context.region ?? this.options.region}`;
    this.description = [`TKE CLI ${version} (${context.region ?? this.options.region}, resource group ${context.resourceGroup ?? this.options.resourceGroup})`, ...describeCapabilities(this.capabilities)].join(", ");
  }

  async close(): Promise<void> {
    this.workspace.dispose();
  }

  // Reads ------------------------------------------------------------------------------------------------------------

  async listUnits(): Promise<readonly UnitRef[]> {
    return (await this.snapshot()).units.map(({ id, type, location }) => ({ id, type, location }));
  }

  async queryUnit(unit: string): Promise<UnitStatus> {
    const found = (await this.snapshot()).units.find((u) => u.id === unit);
    if (!found) throw new SelectionError(`crypto unit ${unit} is not a unit of service instance ${this.instanceId}`);
    return found;
  }

  async rewrapStatus(): Promise<RewrapStatus> {
    return { state: "unknown" };
  }

  /**
   * Forgets the reads shared within an observation: another writer changed the instance (the TKE API backend, which
   * sends commit and set immediate itself when it drives this one for load and rotate).
   */
  forgetReads(): void {
    this.snapshotPromise = undefined;
  }

  private snapshot(): Promise<Snapshot> {
    const now = Date.now();
    if (this.snapshotPromise && now - this.snapshotPromise.taken < SNAPSHOT_TTL_MS) return this.snapshotPromise.promise;
    const promise = this.read();
    this.snapshotPromise = { taken: now, promise };
    promise.then(
      (s) => {
        if (this.snapshotPromise?.promise === promise) this.snapshotPromise = { taken: s.at, promise };
      },
      () => {
        if (this.snapshotPromise?.promise === promise) this.snapshotPromise = undefined;
      },
    );
    return promise;
  }

  /**
   * A fresh read of every unit: the listing (the one start's cryptounit-add printed, for the first read of the run),
   * every unit of the instance selected, then `cryptounit-compare`.
   */
  private async read(): Promise<Snapshot> {
    const listing = this.firstListing ?? (await this.listing());
    this.firstListing = undefined;
    const instance = this.ourInstance(listing);
    await this.selectExactly(instance.units.map((u) => u.location));
    const compared = parseCompare((await this.run(["tke", TKE_COMMAND.queryUnit], [])).output).get(this.instanceId) ?? [];
    const selection = (this.selection ??= new Set(instance.units.map((u) => u.location)));
    const units = instance.units.map((u) => statusOf(u, compared.find((c) => c.num === u.num), selection.has(u.location)));
    return { at: Date.now(), units };
  }

  // Selection ------------------------------------------------------------------------------------------------------

  async select(units: readonly string[], options?: CallOptions): Promise<void> {
    options?.signal?.throwIfAborted();
    await this.checkUnits(units);
    units.forEach((u) => this.selection?.add(u));
    this.snapshotPromise = undefined;
  }

  async deselect(units: readonly string[], options?: CallOptions): Promise<void> {
    options?.signal?.throwIfAborted();
    await this.checkUnits(units);
    units.forEach((u) => this.selection?.delete(u));
    this.snapshotPromise = undefined;
  }

  private async checkUnits(units: readonly string[]): Promise<void> {
    const known = (await this.snapshot()).units.map((u) => u.id);
    const unknown = units.filter((u) => !known.includes(u));
    if (unknown.length > 0) throw new SelectionError(`crypto units ${unknown.join(", ")} are not units of service instance ${this.instanceId}; its units are ${known.join(", ")}`);
  }

  /**
   * Makes the plug-in's selection in the workspace exactly `locations` (units of this instance), with `cryptounit-rm`
   * and `cryptounit-add` only where it differs, each answered from the listing the command prints just before its prompt.
   */
  private async selectExactly(locations: readonly string[]): Promise<void> {
    const targets = new Set(locations);
    const selected = this.pluginSelected ?? new Set(this.ourInstance(await this.listing()).units.filter((u) => u.selected).map((u) => u.location));
    if ([...selected].some((l) => !targets.has(l))) {
      await this.changeSelection("removeUnits", (listing) => listing.flatMap((i) => i.units).filter((u) => u.selected && !targets.has(u.location)));
    }
    if ([...targets].some((l) => !(this.pluginSelected ?? selected).has(l))) {
      await this.changeSelection("addUnits", (listing) => this.ourInstance(listing).units.filter((u) => !u.selected && targets.has(u.location)));
    }
  }

  private ourInstance(listing: readonly InstanceListing[]): InstanceListing {
    const ours = listing.find((i) => i.instanceId === this.instanceId);
    if (!ours || ours.units.length === 0) {
      const found = listing.map((i) => i.instanceId).join(", ") || "none";
      throw new TkeSetupError(`service instance ${this.instanceId} is not listed by ibmcloud tke cryptounits in resource group ${this.options.resourceGroup}, region ${this.options.region} (instances listed: ${found}); check hpcs:region and hpcs:resourceGroup`);
    }
    return ours;
  }

  /** `cryptounits`, fresh: the source of every CRYPTO UNIT NUM, and of which units the plug-in has selected. */
  private async listing(): Promise<InstanceListing[]> {
    const result = await this.run(["tke", TKE_COMMAND.listUnits], []);
    this.assertOk(TKE_COMMAND.listUnits, result);
    return this.noteSelection(parseUnitListing(result.output, TKE_COMMAND.listUnits));
  }

  private noteSelection(listing: InstanceListing[]): InstanceListing[] {
    this.pluginSelected = new Set(listing.flatMap((i) => i.units).filter((u) => u.selected).map((u) => u.location));
    return listing;
  }

  /**
   * `cryptounit-add` / `cryptounit-rm`: the units to name are computed from the listing printed before the prompt;
   * the listing printed after OK is the selection now. Not run when the listing shows nothing to change.
   */
  private async changeSelection(prompt: "addUnits" | "removeUnits", pick: (listing: InstanceListing[]) => ListedUnit[]): Promise<{ output: string; listing: InstanceListing[] }> {
    const command = prompt === "addUnits" ? TKE_COMMAND.select : TKE_COMMAND.deselect;
    let unchanged: InstanceListing[] | undefined;
    const result = await this.run(["tke", command], [prompt], (_p, _m, output) => {
      const listing = parseUnitListing(output, command);
      const units = pick(listing);
      if (units.length > 0) return { text: units.map((u) => u.num).join(" "), secret: false };
      // Nothing to change: the plug-in is stopped at its prompt, before it changes anything.
      unchanged = listing;
      return undefined;
    });
    if (unchanged) return { output: result.output, listing: this.noteSelection(unchanged) };
    this.assertOk(command, result);
    const after = result.output.split("\n");
    const ok = after.findIndex((l) => l.trim() === "OK");
    return { output: result.output, listing: this.noteSelection(parseUnitListing(after.slice(ok + 1).join("\n"), command)) };
  }

  // Master key commands --------------------------------------------------------------------------------------------

  async loadNew(request: LoadNewRequest, signers: Signers, options?: CallOptions): Promise<Vp> {
    const files = filesOf(request.keyParts);
    const before = await this.fresh(request.units);
    const done = before.every((u) => u.new.status !== "Empty" && request.expectedVp !== undefined && sameVp(u.new.vp, request.expectedVp));
    if (done && request.expectedVp) return request.expectedVp;
    const occupied = before.filter((u) => u.new.status !== "Empty");
    if (occupied.length > 0) throw new RegisterMismatchError(occupied.map((u) => u.id).join(", "), `the new master key register holds ${occupied.map((u) => `${u.new.status} ${shortVp(u.new.vp)}`).join(", ")}, not Empty; nothing was loaded`);
    const keynums = await this.prepareKeyParts(files, options);
    await this.prepareSigners(signers);
    const result = await this.mutation(TKE_COMMAND.loadNew, request.units, ["loadKeynums", "signerPassword", "keyFilePassword"], options, (prompt, match) => {
      if (prompt.id === "loadKeynums") return { text: keynums.map((k) => k.keynum).join(" "), secret: false };
      if (prompt.id === "keyFilePassword") {
        const part = keynums[Number(match[0][1]) - 1];
        return part && { text: part.password, secret: true };
      }
      return this.signerAnswer(prompt, match);
    });
    const after = await this.fresh(request.units);
    const outcome = outcomeOf(TKE_COMMAND.loadNew, result);
    if (outcome.kind === "failed") {
      if (outcome.sameKey && before[0].current.status === "Valid") throw new SameKeyError(before[0].id, before[0].current.vp);
      throw outcome.error;
    }
    const loaded = [...new Set(after.map((u) => (u.new.status === "Empty" ? "Empty" : u.new.vp)))];
    if (outcome.kind === "unknown") throw new TransientError(`the output of ibmcloud tke ${TKE_COMMAND.loadNew} ended before it said OK or FAILED; the new registers now hold ${loaded.join(", ")}`);
    if (loaded.length !== 1 || loaded[0] === "Empty") throw new TkeOutputError(TKE_COMMAND.loadNew, `it said OK, but the new registers of the units hold ${loaded.join(", ")}`);
    return loaded[0];
  }

  commitNew(command: UnitsCommand, signers: Signers, options?: CallOptions): Promise<void> {
    return this.registerCommand(TKE_COMMAND.commitNew, command, signers, options, {
      done: (u) => u.new.status === "Full Committed" && sameVp(u.new.vp, command.expectedVp),
      ready: (u) => u.new.status === "Full Uncommitted" && sameVp(u.new.vp, command.expectedVp),
      expects: ["signerPassword"],
    });
  }

  clearNew(command: UnitsCommand, signers: Signers, options?: CallOptions): Promise<void> {
    return this.registerCommand(TKE_COMMAND.clearNew, command, signers, options, {
      done: (u) => u.new.status === "Empty",
      ready: (u) => u.new.status !== "Empty" && sameVp(u.new.vp, command.expectedVp),
      expects: ["signerPassword"],
    });
  }

  setImmediate(command: UnitsCommand, signers: Signers, options?: CallOptions): Promise<void> {
    return this.registerCommand(TKE_COMMAND.setImmediate, command, signers, options, {
      done: (u) => u.new.status === "Empty" && u.current.status === "Valid" && sameVp(u.current.vp, command.expectedVp),
      ready: (u) => u.new.status === "Full Committed" && sameVp(u.new.vp, command.expectedVp),
      expects: ["setimmConfirm", "signerPassword"],
    });
  }

  async rewrap(): Promise<void> {
    throw new UnsupportedCommandError("rewrap", "the TKE CLI rewraps key storage and promotes every unit in one command, cryptounit-mk-rotate (rotate)");
  }

  async generateNew(): Promise<Vp> {
    throw new UnsupportedCommandError("generateNew", "the TKE CLI generates a key in a recovery unit only inside auto-mk-rotate (autoRotate), which also commits, rewraps and promotes");
  }

  async copyNew(): Promise<void> {
    throw new UnsupportedCommandError("copyNew", "the TKE CLI copies a generated key only inside auto-mk-rotate (autoRotate)");
  }

  /**
   * auto-mk-rotate: every unit of the instance, read first (IBM's initial conditions on the current registers, and a
   * recovery unit to generate in); "Delaying 30 seconds…" and the marker are reported the moment their lines arrive.
   * The plug-in prints no VP, so `onGenerated` is never called: the key is the one a fresh read shows every unit on
   * afterwards, different from the key it rotated from.
   */
  async autoRotate(request: GenerateNewRequest, signers: Signers, options: AutoRotateOptions = {}): Promise<Vp> {
    const all = (await this.snapshot()).units.map((u) => u.id);
    const before = await this.fresh(all);
    const fromVp = before[0]?.current.vp;
    if (fromVp === undefined || before.some((u) => u.current.status !== "Valid" || !sameVp(u.current.vp, fromVp))) {
      throw new PrecheckFailedError(["The current master key registers are not all in the Valid state with the same verification pattern."]);
    }
    const unavailable = generationUnavailable(before);
    if (unavailable !== undefined) throw new UnsupportedCommandError("autoRotate", unavailable);
    const missing = request.units.filter((u) => !all.includes(u));
    if (missing.length > 0) throw new SelectionError(`auto-mk-rotate acts on every unit of the instance; ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not one of them`);
    await this.prepareSigners(signers);
    let delaying = false;
    const rotation = rotationOutput(options);
    const result = await this.mutation(
      TKE_COMMAND.autoRotate,
      all,
      ["rotatePrecheckConfirm", "signerPassword"],
      options,
      (prompt, match) => (prompt.id === "rotatePrecheckConfirm" ? { text: "y", secret: false } : this.signerAnswer(prompt, match)),
      (line) => {
        if (!delaying && OUTCOMES.delaying.test(line.trim())) {
          delaying = true;
          options.onDelaying?.();
        }
        rotation(line);
      },
    );
    const rotatedTo = (u: UnitStatus) => u.new.status === "Empty" && u.current.status === "Valid" && !sameVp(u.current.vp, fromVp);
    await this.confirm(TKE_COMMAND.autoRotate, all, result, (u) => rotatedTo(u));
    const after = await this.fresh(all);
    const keys = new Set(after.map((u) => u.current.vp));
    if (keys.size !== 1) throw new TkeOutputError(TKE_COMMAND.autoRotate, `it said OK, but the current registers hold ${[...keys].map(shortVp).join(", ")}`);
    return after[0].current.vp;
  }

  /**
   * cryptounit-mk-rotate: every unit of the instance, read first (all committed with the target); the marker is
   * reported the moment its line arrives; success is a fresh read showing every unit on the target.
   */
  async rotate(targetVp: Vp, signers: Signers, options: RotateOptions = {}): Promise<void> {
    const all = (await this.snapshot()).units.map((u) => u.id);
    const before = await this.fresh(all);
    const reasons = [
      ...(before.every((u) => u.new.status === "Full Committed" && sameVp(u.new.vp, targetVp)) ? [] : [`the new master key registers are not all Full Committed with ${shortVp(targetVp)}`]),
      ...(new Set(before.map((u) => vpIdentity(u.current.vp))).size === 1 && before.every((u) => u.current.status === "Valid") ? [] : ["the current master key registers are not all Valid with the same verification pattern"]),
    ];
    if (reasons.length > 0) throw new PrecheckFailedError(reasons);
    await this.prepareSigners(signers);
    const result = await this.mutation(
      TKE_COMMAND.rotate,
      all,
      ["rotatePrecheckConfirm", "signerPassword"],
      options,
      (prompt, match) => (prompt.id === "rotatePrecheckConfirm" ? { text: "y", secret: false } : this.signerAnswer(prompt, match)),
      rotationOutput(options),
    );
    await this.confirm(TKE_COMMAND.rotate, all, result, (u) => u.new.status === "Empty" && u.current.status === "Valid" && sameVp(u.current.vp, targetVp));
  }

  /** commit, clear and set immediate: read first, only the units that still need it, then a confirming read. */
  private async registerCommand(command: string, cmd: UnitsCommand, signers: Signers, options: CallOptions | undefined, rule: { done(u: UnitStatus): boolean; ready(u: UnitStatus): boolean; expects: PromptId[] }): Promise<void> {
    const before = await this.fresh(cmd.units);
    const pending = before.filter((u) => !rule.done(u));
    if (pending.length === 0) return;
    const wrong = pending.filter((u) => !rule.ready(u));
    if (wrong.length > 0) {
      throw new RegisterMismatchError(wrong.map((u) => u.id).join(", "), `${command} is bound to ${shortVp(cmd.expectedVp)}, but the new register holds ${wrong.map((u) => `${u.new.status} ${shortVp(u.new.vp)}`).join(", ")}; nothing was sent`);
    }
    await this.prepareSigners(signers);
    const units = pending.map((u) => u.id);
    const result = await this.mutation(command, units, rule.expects, options, (prompt, match) => (prompt.id === "setimmConfirm" ? { text: "y", secret: false } : this.signerAnswer(prompt, match)));
    await this.confirm(command, units, result, rule.done);
  }

  /** Judges a mutation by a fresh read: done is done whatever the output said; otherwise the output says why not. */
  private async confirm(command: string, units: readonly string[], result: ExchangeResult, done: (u: UnitStatus) => boolean): Promise<void> {
    const after = await this.fresh(units);
    const outcome = outcomeOf(command, result);
    if (after.every(done) && outcome.kind !== "failed") return;
    if (outcome.kind === "failed") throw outcome.error;
    if (outcome.kind === "unknown") throw new TransientError(`the output of ibmcloud tke ${command} ended before it said OK or FAILED, and a fresh read shows it did not finish on ${after.filter((u) => !done(u)).map((u) => u.id).join(", ")}`);
    throw new TkeOutputError(command, `it said OK, but a fresh read shows ${after.filter((u) => !done(u)).map((u) => `${u.id} current ${u.current.status} ${shortVp(u.current.vp)}, new ${u.new.status} ${shortVp(u.new.vp)}`).join("; ")}`);
  }

  /** Runs a master key command with exactly `units` selected in the workspace, after checking the engine selected them. */
  private async mutation(command: string, units: readonly string[], expects: PromptId[], options: CallOptions | undefined, answer: (prompt: PromptText, match: readonly RegExpExecArray[]) => Answer | undefined, onLine?: (line: string) => void): Promise<ExchangeResult> {
    options?.signal?.throwIfAborted();
    const unselected = units.filter((u) => !this.selection?.has(u));
    if (unselected.length > 0) throw new SelectionError(`crypto units ${unselected.join(", ")} are not selected; select them (cryptounit-add) before sending them master key commands`);
    this.snapshotPromise = undefined;
    await this.selectExactly(units);
    try {
      return await this.run(["tke", command], expects, answer, onLine, options?.signal);
    } finally {
      this.snapshotPromise = undefined;
    }
  }

  /**
   * `units` as read after the last mutation: the observation the engine just made when it is still fresh (the VP
   * binding's read first), or a new read (the confirmation after a mutation, which invalidates every earlier read).
   */
  private async fresh(units: readonly string[]): Promise<UnitStatus[]> {
    const snapshot = await this.snapshot();
    return units.map((id) => {
      const found = snapshot.units.find((u) => u.id === id);
      if (!found) throw new SelectionError(`crypto unit ${id} is not a unit of service instance ${this.instanceId}`);
      return found;
    });
  }

  // Key parts and signers ------------------------------------------------------------------------------------------

  /**
   * Puts the declared key parts into the workspace once per run, and returns their KEYNUMs in the declared order with
   * the password of the workspace's copy. Our own key part files are added with `mk-add --value` under a random
   * one-time password; IBM's are copied (bytes checked against the SHA-256 the run identified), one at a time, and
   * each one's KEYNUM is the row `mks` shows for it.
   */
  private async prepareKeyParts(files: readonly KeyPartFileRef[], options: CallOptions | undefined): Promise<{ keynum: number; password: string }[]> {
    const missing = files.filter((f) => !this.keyParts.has(f.sha256));
    // The workspace is this run's own: the key parts in it are the ones this run added, so no listing is needed first.
    let listed: readonly { keynum: number }[] = [...this.keyParts.values()];
    for (const file of missing) {
      options?.signal?.throwIfAborted();
      const bytes = readBoundedFile(file.file, KEY_MATERIAL_MAX_BYTES, (detail, cause) => new KeyPartFileError(file.file, "unreadable", detail, { cause }));
      if (createHash("sha256").update(bytes).digest("hex") !== file.sha256) throw new InputError(`key part file ${file.file} changed since the run identified it; nothing was loaded`, "keyParts");
      const own = this.options.openOwnKeyPart(file);
      const password = own ? await this.bridgeKeyPart(file, own) : file.password;
      if (!own) writeFileSync(join(this.workspace.tkeFiles, basename(file.file)), bytes, { mode: 0o600, flag: "wx" });
      this.secrets.add(password);
      const before = new Set(listed.map((p) => p.keynum));
      listed = parseKeyParts((await this.run(["tke", "mks"], [])).output);
      const added = listed.filter((p) => !before.has(p.keynum));
      if (added.length !== 1) throw new TkeOutputError("mks", `after adding ${file.file} it lists ${added.length} new key parts, not one`);
      this.keyParts.set(file.sha256, { keynum: added[0].keynum, password });
    }
    return files.map((f) => {
      const part = this.keyParts.get(f.sha256);
      if (!part) throw new TkeOutputError("mks", `${f.file} is not among the key parts it lists`);
      return part;
    });
  }

  /** Adds one of our own key parts to the workspace with `mk-add --value`, under a random one-time password (returned). */
  private async bridgeKeyPart(file: KeyPartFileRef, value: Uint8Array): Promise<string> {
    const password = randomBytes(18).toString("base64url");
    const hex = Buffer.from(value).toString("hex");
    value.fill(0);
    this.secrets.add(password).add(hex);
    const answers: Partial<Record<PromptId, string>> = { keyPartValue: hex, keyPartDescription: `hpcs-mk ${file.sha256.slice(0, 12)}`, keyPartPassword: password, reenterPassword: password };
    const added = await this.run(["tke", "mk-add", "--value"], ["keyPartValue", "keyPartDescription", "keyPartPassword", "reenterPassword"], (prompt) => {
      const text = answers[prompt.id];
      return text === undefined ? undefined : { text, secret: prompt.id !== "keyPartDescription" };
    });
    this.assertOk("mk-add", added);
    return password;
  }

  /**
   * Copies the declared signature key files into the workspace and selects them all (`sigkey-sel`), answering each
   * password prompt by the SKI the listing shows for that KEYNUM. Once per run.
   */
  private async prepareSigners(signers: Signers): Promise<void> {
    if (this.signersReady) return;
    const files = signers.files;
    if (!files || files.length === 0) throw new InputError("the TKE CLI needs the signature key files themselves (N.sigkey), not only their keys", "signatureKeys");
    files.forEach((f, i) => {
      const bytes = readBoundedFile(f.file, KEY_MATERIAL_MAX_BYTES, (detail, cause) => new SignatureKeyFileError(f.file, "unreadable", detail, { cause }));
      writeFileSync(join(this.workspace.tkeFiles, `${i + 1}.sigkey`), bytes, { mode: 0o600 });
      this.secrets.add(f.password);
    });
    const result = await this.run(["tke", "sigkey-sel"], ["selectSigkeys", "sigkeyKeynumPassword"], (prompt, match, output) => {
      const listed = parseSigkeys(output);
      if (prompt.id === "selectSigkeys") return { text: listed.map((k) => k.keynum).join(" "), secret: false };
      const key = listed.find((k) => k.keynum === Number(match[0][1]));
      const file = key && files.find((f) => f.ski.startsWith(key.skiPrefix));
      return file && { text: file.password, secret: true };
    });
    this.assertOk("sigkey-sel", result);
    this.signersReady = files;
  }

  /** A signer prompt names the administrator and the first 30 hex digits of its SKI: answered by the SKI, never by position. */
  private signerAnswer(prompt: PromptText, match: readonly RegExpExecArray[]): Answer | undefined {
    if (prompt.id !== "signerPassword") return undefined;
    const skiPrefix = SIGNER_LINE.exec(match[1][0])?.[2];
    const file = skiPrefix ? this.signersReady?.find((f) => f.ski.startsWith(skiPrefix)) : undefined;
    return file && { text: file.password, secret: true };
  }

  // Running commands -----------------------------------------------------------------------------------------------

  private assertOk(command: string, result: ExchangeResult): void {
    const outcome = outcomeOf(command, result);
    if (outcome.kind === "failed") throw outcome.error;
    if (result.exitCode !== 0) throw new TransientError(`ibmcloud tke ${command} ended with exit status ${result.exitCode ?? "unknown"} without saying why`);
  }

  private async run(args: readonly string[], expects: readonly PromptId[], answer?: (prompt: PromptText, match: readonly RegExpExecArray[], output: string) => Answer | undefined, onLine?: (line: string) => void, signal?: AbortSignal): Promise<ExchangeResult> {
    let output = "";
    const result = await converse(
      {
        args,
        expects,
        answer: (prompt, match) => answer?.(prompt, match, output),
        onLine: (line) => {
          output += `${line}\n`;
          onLine?.(line);
        },
        signal,
      },
      { spawn: this.options.spawn, ibmcloud: this.options.ibmcloud, env: this.workspace.env(), secrets: () => [...this.secrets] },
    );
    this.options.onTranscript?.(result.transcript);
    return result;
  }
}

/** Reads a rotate command's output as it arrives: the marker (reported once), and the rewrap's progress. */
function rotationOutput(options: RotateOptions): (line: string) => void {
  let marker = false;
  return (line) => {
    const text = line.trim();
    if (!marker && OUTCOMES.marker.test(text)) {
      marker = true;
      options.onMarker?.();
    }
    const progress = OUTCOMES.rewrapProgress.exec(text);
    if (progress) options.onProgress?.({ done: Number(progress[1]), total: Number(progress[2]) });
  };
}

function filesOf(keyParts: KeyParts): readonly KeyPartFileRef[] {
  if (keyParts.kind !== "files") throw new UnsupportedCommandError("loadNew", "the TKE CLI loads key part files itself (keyParts: opaque): give it files");
  return keyParts.files;
}

/** A unit's status from the listing (its identity) and the compare output (its registers, thresholds, admins). */
function statusOf(listed: ListedUnit, compared: ComparedUnit | undefined, selected: boolean): UnitStatus {
  if (!compared?.current || !compared.new || !compared.thresholds) throw new TkeOutputError(TKE_COMMAND.queryUnit, `crypto unit ${listed.num} (${listed.location}) is missing from its output`);
  return { id: listed.location, type: listed.type, location: listed.location, selected, current: compared.current, new: compared.new, thresholds: compared.thresholds, admins: compared.admins };
}
