import type { Vp } from "../model/vp";
import { sameVp } from "../model/vp";
import type { Backend, KeyParts, Lease, Signers } from "./port/backend";
import { isSameKeyError, isTransient } from "./port/errors";
import { HpcsError } from "../model/errors";
import { classify } from "./classify";
import { systemClock, type Clock } from "./clock";
import type { Action, Refusal } from "./decision";
import { beginStep, completeJournal, endStep, generates, journalBinding, recordDelaying, recordGenerated, recordMarker, recordUnboundMarker, type Journal, type JournalBinding } from "./journal";
import type { Observation } from "./observation";
import { observe } from "./observe";
import type { Phase } from "./phases";
import { observedRegisters, plan, withBoundGeneration, type Desired } from "./plan";
import type { ProgressListener } from "./progress";

/** What a run loads and signs with; the caller opens it and zeroes it after the run. */
export interface Material {
  /** Of the kind the backend takes (`capabilities.keyParts`): decrypted values, or files only the backend opens. */
  readonly keyParts: KeyParts;
  readonly signers: Signers;
}

export interface ExecutorOptions {
  readonly backend: Backend;
  readonly desired: Desired;
  readonly material: Material;
  readonly journal?: Journal;
  /** Called after every step with the new journal; a run fails if it throws (the step is not trusted unrecorded). */
  readonly persist?: (journal: Journal) => void | Promise<void>;
  readonly clock?: Clock;
  readonly newRotationId?: () => string;
  readonly onProgress?: ProgressListener;
  /** The whole run's budget (Pulumi gives dynamic providers no timeout). Default 30 minutes. */
  readonly deadlineMs?: number;
  /** One backend step's budget. Default 10 minutes (a rewrap of large key storage is one step). */
  readonly stepTimeoutMs?: number;
  /** Consecutive transient failures tolerated before giving up. Default 5. */
  readonly retries?: number;
  /** Steps one run may take; a sound plan converges far sooner. Default 64. */
  readonly maxSteps?: number;
  /** Who holds the lease, for the message another run sees. */
  readonly owner?: string;
  /** Unit ids known from before (stored outputs), so the first observation needs one round trip, not two. */
  readonly knownUnits?: readonly string[];
  /** How long the run waits, when it ends, for a backend call it gave up on to settle before releasing the lease. Default 30 s. */
  readonly settleMs?: number;
}

export interface RunResult {
  readonly outcome: "done" | "refused";
  readonly phase: Phase;
  readonly observation: Observation;
  readonly journal: Journal | undefined;
  readonly refusal?: Refusal;
  readonly steps: number;
}

/** A run stopped by an error after it may have changed something; carries what the provider needs for partial state. */
export class ExecutionError extends HpcsError {
  constructor(
    message: string,
    readonly journal: Journal | undefined,
    readonly lastObservation: Observation | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class DeadlineExceededError extends HpcsError {
  readonly retryable = false;
}

/**
 * A load reported a key other than the one it was bound to: key part files only the backend can open made `madeVp`,
 * not the declared `expectedVp`. The journal records what they made; the next run refuses (KeyPartsMismatch).
 */
export class LoadedKeyMismatchError extends HpcsError {
  readonly retryable = false;
  constructor(
    readonly expectedVp: Vp,
    readonly madeVp: Vp,
    readonly step: "load" | "generation" = "load",
  ) {
    super(
      step === "load"
        ? `the key part files made the master key ${madeVp}, not the expected ${expectedVp}; it is loaded, uncommitted, and the journal records it: run again for the next safe step`
        : `the generation reported the key ${expectedVp} when the recovery unit made it, but ended with ${madeVp}; the journal records both: run again for the next safe step`,
    );
  }
}

const DEFAULTS = { deadlineMs: 30 * 60_000, stepTimeoutMs: 10 * 60_000, retries: 5, maxSteps: 64, settleMs: 30_000 };

/**
 * The lease lasts two of the longest calls (a step, then the observation after it) plus a margin, and is renewed
 * before every step, so a run that is still running never loses it without a timer, and one that stopped soon does.
 */
const LEASE_MARGIN_MS = 60_000;

function randomId(): string {
  return `rot-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/**
 * Executor — loops observe → classify → plan → act until done or refused. Every mutating step follows a fresh
 * observation; a command goes to all the units it is for in one backend call; the journal is persisted after every step.
 */
export class Executor {
  private journal: Journal | undefined;
  private readonly clock: Clock;
  private readonly started: number;
  private readonly binding: JournalBinding;
  private lastObservation: Observation | undefined;
  /** Backend calls not yet settled, including those a timeout gave up on: the lease outlives them. */
  private readonly inFlight = new Set<Promise<unknown>>();
  /** What a command's callbacks journal while it runs (the marker, auto-mk-rotate's lines), awaited when it settles. */
  private during: Promise<void> | undefined;
  /** The newest journal a callback made and is still persisting: the next callback builds on it. */
  private unsaved: Journal | undefined;
  /** Aborted when the run ends: every backend call still running is asked to stop before its next change. */
  private readonly ending = new AbortController();

  constructor(private readonly options: ExecutorOptions) {
    if (options.material.keyParts.kind !== (options.backend.capabilities.keyParts === "material" ? "material" : "files")) {
      throw new HpcsError(`${options.backend.description} takes key parts as ${options.backend.capabilities.keyParts}, and the run was given ${options.material.keyParts.kind}; this is a bug, please report it`);
    }
    this.journal = options.journal;
    this.clock = options.clock ?? systemClock;
    this.started = this.clock.now();
    this.binding = journalBinding(options.backend);
  }

  private get elapsedMs(): number {
    return this.clock.now() - this.started;
  }

  private get stepTimeoutMs(): number {
    return this.options.stepTimeoutMs ?? DEFAULTS.stepTimeoutMs;
  }

  private emit: ProgressListener = (event) => this.options.onProgress?.(event);

  async run(): Promise<RunResult> {
    const lease = await this.acquireLease();
    try {
      return await this.loop(lease);
    } finally {
      this.ending.abort(new DeadlineExceededError("the run ended; the call was abandoned"));
      // Releasing while an abandoned call may still change the instance would let another run in beside it: wait
      // for it to settle, and if it does not, keep the lease and let it expire.
      if (lease && (await this.settled())) await lease.release().catch(() => undefined);
    }
  }

  private async acquireLease(): Promise<Lease | undefined> {
    const { backend, owner } = this.options;
    return backend.acquireLease?.(owner ?? `pid ${process.pid}`, 2 * this.stepTimeoutMs + LEASE_MARGIN_MS);
  }

  private async settled(): Promise<boolean> {
    if (this.inFlight.size === 0) return true;
    const waiting = new AbortController();
    const all = Promise.allSettled([...this.inFlight]).then(() => true);
    const timeout = this.clock.sleep(this.options.settleMs ?? DEFAULTS.settleMs, waiting.signal).then(() => false);
    try {
      return await Promise.race([all, timeout]);
    } finally {
      waiting.abort();
    }
  }

  private async loop(lease: Lease | undefined): Promise<RunResult> {
    const { maxSteps = DEFAULTS.maxSteps, retries = DEFAULTS.retries } = this.options;
    let failures = 0;
    for (let steps = 0; ; ) {
      this.checkDeadline();
      let observation: Observation;
      let phase: Phase;
      try {
        observation = await this.withTimeout(() => observe(this.options.backend, this.lastObservation?.units.map((u) => u.id) ?? this.options.knownUnits), "observe the instance");
        this.lastObservation = observation;
        phase = classify(observation);
        this.emit({ type: "observed", phase: phase.name, observation, elapsedMs: this.elapsedMs });
        const input = withBoundGeneration({ phase, observation, journal: this.journal, binding: this.binding, desired: this.options.desired, capabilities: this.options.backend.capabilities });
        // A generation whose key the registers now name is journaled with it before anything acts on it.
        if (input.journal !== this.journal) await this.save(input.journal);
        const decision = plan(input);
        if (decision.kind === "done") {
          await this.save(completeJournal(this.journal, this.binding, decision.vp, new Date(this.clock.now()).toISOString()));
          this.emit({ type: "done", vp: decision.vp, elapsedMs: this.elapsedMs });
          return { outcome: "done", phase, observation, journal: this.journal, steps };
        }
        if (decision.kind === "refuse") {
          this.emit({ type: "refused", refusal: decision, elapsedMs: this.elapsedMs });
          return { outcome: "refused", phase, observation, journal: this.journal, refusal: decision, steps };
        }
        if (steps >= maxSteps) {
          throw new ExecutionError(`the rotation did not converge within ${maxSteps} steps (last phase ${phase.name}); this is a bug, please report it`, this.journal, observation);
        }
        // Renewed before every step: the lease then lasts as long as the longest step, and is lost only by a run that stopped.
        await lease?.renew();
        this.emit({ type: "step", action: decision.action.kind, units: decision.action.units, vp: decision.action.vp, reason: decision.reason, elapsedMs: this.elapsedMs });
        await this.perform(decision.action, phase, observation);
        steps++;
        failures = 0;
      } catch (error) {
        if (!isTransient(error) || ++failures > retries) throw this.wrap(error);
        const delayMs = Math.min(200 * 2 ** (failures - 1), 5_000);
        this.emit({ type: "retry", attempt: failures, message: (error as Error).message, delayMs, elapsedMs: this.elapsedMs });
        await this.clock.sleep(delayMs);
      }
    }
  }

  /** Journals the step as started, runs it, journals the outcome. The journal is written before and after. */
  private async perform(action: Action, phase: Phase, observation: Observation): Promise<void> {
    const now = () => new Date(this.clock.now()).toISOString();
    const began = this.clock.now();
    const context = { now: now(), newRotationId: this.options.newRotationId ?? randomId, binding: this.binding, observed: observedRegisters(phase, observation) };
    await this.save(beginStep(this.journal, action, context));
    let madeVp: Vp | undefined;
    try {
      madeVp = (await this.withTimeout((signal) => this.dispatch(action, signal), `${action.kind} on ${action.units.join(", ") || "the instance"}`)) ?? undefined;
      await this.during;
    } catch (error) {
      await this.during?.catch(() => undefined);
      if (action.kind === "loadNew" && isSameKeyError(error)) {
        // Not a failure to retry: the load tells that the declared key is the current one, and nothing was loaded.
        await this.save(endStep(this.journal as Journal, action, "failed", now(), { message: error.message, madeVp: error.currentVp }));
        this.emit({ type: "keyLearned", vp: error.currentVp, current: true, elapsedMs: this.elapsedMs });
        return;
      }
      // Best effort: a crashed process would not get here, and the registers stay the evidence either way.
      await this.save(endStep(this.journal as Journal, action, "failed", now(), { message: (error as Error).message })).catch(() => undefined);
      throw error;
    }
    // A generation's key is bound by what it reported first (journaled before any copy): the two must agree.
    const generation = generates(action.kind);
    const expected = action.vp ?? (generation ? this.generatedVp() : undefined);
    if (madeVp !== undefined && expected !== undefined && !sameVp(madeVp, expected)) {
      const mismatch = new LoadedKeyMismatchError(expected, madeVp, generation ? "generation" : "load");
      await this.save(endStep(this.journal as Journal, action, "failed", now(), { message: mismatch.message, madeVp }));
      throw mismatch;
    }
    await this.save(endStep(this.journal as Journal, action, "ok", now(), { madeVp }));
    if (madeVp !== undefined && action.kind === "loadNew" && action.vp === undefined) this.emit({ type: "keyLearned", vp: madeVp, current: false, elapsedMs: this.elapsedMs });
    this.emit({ type: "stepDone", action: action.kind, units: action.units, elapsedMs: this.elapsedMs, durationMs: this.clock.now() - began });
  }

  /** Runs the backend command of `action`; a load returns the key it reports loading (the others, nothing). */
  private async dispatch(action: Action, signal: AbortSignal): Promise<Vp | void> {
    const { backend, material } = this.options;
    const { signers, keyParts } = material;
    const options = { signal };
    const onProgress = ({ done, total }: { done: number; total: number }) => this.emit({ type: "rewrapProgress", done, total, elapsedMs: this.elapsedMs });
    const onGenerated = (vp: Vp) => this.generated(vp);
    this.during = undefined;
    switch (action.kind) {
      case "select":
        return backend.select(action.units, options);
      case "deselect":
        return backend.deselect(action.units, options);
      case "loadNew":
        return backend.loadNew({ units: action.units, expectedVp: action.vp, keyParts }, signers, options);
      case "commitNew":
        return backend.commitNew({ units: action.units, expectedVp: action.vp }, signers, options);
      case "clearNew":
        return backend.clearNew({ units: action.units, expectedVp: action.vp }, signers, options);
      case "setImmediate":
        return backend.setImmediate({ units: action.units, expectedVp: action.vp }, signers, options);
      case "rewrap":
        return backend.rewrap(action.vp, signers, { signal, onProgress });
      case "rotate":
        return backend.rotate(action.vp, signers, { signal, onProgress, onMarker: () => this.markerSeen(action.vp) });
      case "recordRewrap":
        return; // journal only: endStep records the proof
      case "generateNew":
        return backend.generateNew({ units: action.units }, signers, { signal, onGenerated });
      case "copyNew":
        return backend.copyNew({ units: action.units, expectedVp: action.vp }, signers, options);
      case "autoRotate":
        return backend.autoRotate({ units: action.units }, signers, {
          signal,
          onProgress,
          onGenerated,
          onDelaying: () => this.delayingSeen(),
          onMarker: () => this.markerSeen(this.generatedVp()),
        });
    }
  }

  /** The key the generation under way reported, once it did. */
  private generatedVp(): Vp | undefined {
    return (this.unsaved ?? this.journal)?.generated?.madeVp ?? undefined;
  }

  /**
   * A generation reported its key before copying it anywhere: journaled durably before the backend goes on (it awaits
   * this), so that every later state of the instance is one the journal explains.
   */
  private async generated(vp: Vp): Promise<void> {
    await this.during;
    const journal = this.unsaved ?? this.journal;
    if (journal) await this.save(recordGenerated(journal, vp, new Date(this.clock.now()).toISOString()));
    this.emit({ type: "keyGenerated", vp, elapsedMs: this.elapsedMs });
  }

  /** auto-mk-rotate printed "Delaying 30 seconds…": from now on its key may protect records; journaled at once. */
  private delayingSeen(): void {
    this.emit({ type: "delaying", vp: this.generatedVp(), elapsedMs: this.elapsedMs });
    this.journalDuring((journal) => recordDelaying(journal, new Date(this.clock.now()).toISOString()));
  }

  /**
   * The combined rotate printed its marker and goes on promoting without waiting: the proof is journaled at once (the
   * caller's persist starts in this very call), so that a run killed part-way through the promotions leaves it behind.
   */
  private markerSeen(vp: Vp | undefined): void {
    const now = new Date(this.clock.now()).toISOString();
    this.emit({ type: "rewrapMarker", vp, elapsedMs: this.elapsedMs });
    // An auto-mk-rotate whose key was not reported (IBM's CLI prints none): kept unbound, bound from the registers later.
    this.journalDuring((journal) => (vp !== undefined ? recordMarker(journal, vp, now) : recordUnboundMarker(journal, now)));
  }

  /**
   * Journals while a command is still running, starting the persist in this very call: each update builds on the
   * newest journal, persisted or not, and all are awaited once the command settles (perform).
   */
  private journalDuring(update: (journal: Journal) => Journal): void {
    const base = this.unsaved ?? this.journal;
    if (!base) return;
    const next = update(base);
    if (next === base) return;
    this.unsaved = next;
    const saving = this.save(next).finally(() => {
      if (this.unsaved === next) this.unsaved = undefined;
    });
    this.during = Promise.all([this.during, saving]).then(() => undefined);
    // Awaited once the command settles; until then a failed persist must not end the process unhandled.
    this.during.catch(() => undefined);
  }

  /** Persists, then adopts: a journal that could not be written is never planned on (its proof would be a claim). */
  private async save(journal: Journal | undefined): Promise<void> {
    if (journal === undefined || journal === this.journal) return;
    await this.options.persist?.(journal);
    this.journal = journal;
  }

  private checkDeadline(): void {
    const deadlineMs = this.options.deadlineMs ?? DEFAULTS.deadlineMs;
    if (this.elapsedMs > deadlineMs) {
      throw this.wrap(new DeadlineExceededError(`the run exceeded its deadline of ${Math.round(deadlineMs / 1000)} s; run again to resume from where it stopped`));
    }
  }

  /**
   * Runs one backend call with the step budget. On timeout the call's signal is aborted and the call stays tracked
   * until it settles, so the lease is not released under it.
   */
  private async withTimeout<T>(work: (signal: AbortSignal) => Promise<T>, what: string): Promise<T> {
    const ms = this.stepTimeoutMs;
    const call = new AbortController();
    const stop = () => call.abort(this.ending.signal.reason);
    this.ending.signal.addEventListener("abort", stop, { once: true });
    const settled = new AbortController();
    const pending = work(call.signal);
    const tracked = pending.catch(() => undefined).finally(() => {
      this.inFlight.delete(tracked);
      this.ending.signal.removeEventListener("abort", stop);
    });
    this.inFlight.add(tracked);
    const timeout = this.clock.sleep(ms, settled.signal).then(() => {
      if (settled.signal.aborted) return undefined as never;
      const error = new DeadlineExceededError(`could not ${what} within ${Math.round(ms / 1000)} s; the call may still complete: run again to resume`);
      call.abort(error);
      throw error;
    });
    try {
      return await Promise.race([pending, timeout]);
    } finally {
      settled.abort();
    }
  }

  private wrap(error: unknown): ExecutionError {
    if (error instanceof ExecutionError) return error;
    return new ExecutionError((error as Error)?.message ?? String(error), this.journal, this.lastObservation, { cause: error });
  }
}
