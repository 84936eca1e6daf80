import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { lock } from "proper-lockfile";
import { HpcsError } from "../../model/errors";
import { TransientError, UnknownInstanceError } from "../../engine/port/errors";
import { writeFileAtomic } from "../../files/atomic-file";
import { readTextFile } from "../../files/read-file";
import { instanceState, type InstanceState } from "./instance-state";

/**
 * Persistence of simulated instances, safe across processes (the Pulumi plugin and the CLI use one directory at the
 * same time): every file is replaced atomically, and every read-modify-write runs under a per-instance lock.
 *
 * Layout: `<dir>/instances/<instance-id>/instance.json` and `<dir>/instances/<instance-id>/keystore/chunk-NNNNN.json`.
 */
export const INSTANCES = "instances";
export const STATE_FILE = "instance.json";
export const KEYSTORE = "keystore";
const LOCK = ".lock";

/**
 * Lock timing: a holder refreshes the lock every second; a lock not refreshed for 5 s belongs to a dead process and
 * is taken over. Waiters retry for about 15 s, so a lock left by a killed process never blocks others for good.
 */
const LOCK_OPTIONS = { stale: 5000, update: 1000, realpath: false, retries: { retries: 120, factor: 1.3, minTimeout: 2, maxTimeout: 150 } };

/** A wait for the lock shorter than this is ordinary contention and goes unmentioned. */
const LOCK_WAIT_NOTICE_MS = 500;

/** Corrupt or hand-broken simulator files: a bug or an edit, never an expected outcome. */
export class SimulatorStateError extends HpcsError {
  readonly retryable = false;
  constructor(
    readonly file: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`simulator state file ${file} ${detail}`, options);
  }
}

export function instanceDir(dir: string, instanceId: string): string {
  return join(dir, INSTANCES, instanceId);
}

export function chunkFileName(index: number): string {
  return `chunk-${String(index).padStart(5, "0")}.json`;
}

export function chunkFile(dir: string, instanceId: string, index: number): string {
  return join(instanceDir(dir, instanceId), KEYSTORE, chunkFileName(index));
}

/** The instance ids in a simulator directory (those with a state file), sorted. */
export function listInstanceIds(dir: string): string[] {
  const root = join(dir, INSTANCES);
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith(".") && existsSync(join(root, e.name, STATE_FILE)))
    .map((e) => e.name)
    .sort();
}

export function unknownInstance(dir: string, instanceId: string): UnknownInstanceError {
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    return new UnknownInstanceError(instanceId, `The simulator directory ${dir} is a file, not a directory: point --sim-dir (or HPCS_SIMULATOR_DIR) at the directory hpcs-mk sim init created (default .hpcs-sim).`);
  }
  const known = listInstanceIds(dir);
  const hint =
    known.length === 0
      ? `The simulator directory ${dir} holds no instances; create one with "hpcs-mk sim init --sim-dir ${dir}".`
      : `The simulator directory ${dir} holds: ${known.join(", ")}.`;
  return new UnknownInstanceError(instanceId, hint);
}

/** The size cap of a simulator file: the state file and key storage chunks (at most MAX_CHUNK_SIZE records) are far smaller. */
const SIMULATOR_FILE_MAX_BYTES = 16 * 1024 * 1024;

function readSimulatorFile(file: string): string {
  return readTextFile(file, (detail, cause) => new SimulatorStateError(file, detail, { cause }), SIMULATOR_FILE_MAX_BYTES);
}

export function readJsonFile(file: string, text = readSimulatorFile(file)): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new SimulatorStateError(file, "is not valid JSON", { cause });
  }
}

export function parseInstanceState(json: unknown, file: string): InstanceState {
  const parsed = instanceState.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SimulatorStateError(file, `is damaged: field ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  return parsed.data;
}

export function serializeState(state: InstanceState): string {
  return `${JSON.stringify(instanceState.parse(state), null, 2)}\n`;
}

/** The fencing generation of the state file on disk now. */
function generationOnDisk(stateFile: string): number {
  const raw = readJsonFile(stateFile) as { generation?: unknown };
  return typeof raw?.generation === "number" ? raw.generation : 0;
}

/** A read-modify-write in progress: the lock is held until the callback returns. */
export interface Transaction {
  readonly state: InstanceState;
  /** Replaces the instance state (validated, atomic). */
  write(state: InstanceState): void;
  /** Replaces any other file of the instance atomically, e.g. a key storage chunk. */
  writeFile(file: string, data: string): void;
}

/**
 * Transactions of one process on one instance wait their turn here, first come first served, before taking the
 * file lock: parallel per-unit commands then hand the lock over at once instead of polling for it (the file lock
 * still orders them against other processes).
 */
const turns = new Map<string, Promise<void>>();

async function inProcessTurn<T>(key: string, work: () => Promise<T>): Promise<T> {
  const previous = turns.get(key) ?? Promise.resolve();
  let finish: () => void = () => undefined;
  const mine = new Promise<void>((resolve) => (finish = resolve));
  const chained = previous.then(() => mine);
  turns.set(key, chained);
  await previous;
  try {
    return await work();
  } finally {
    finish();
    if (turns.get(key) === chained) turns.delete(key);
  }
}

/** Freezes a parsed state all the way down: a state shared between reads must never be changed in place. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    Object.values(value).forEach(deepFreeze);
  }
  return value;
}

/** StateStore — one instance's files. Reads need no lock (files are replaced atomically); writes go through `transact`. */
export class StateStore {
  readonly instanceDir: string;
  readonly stateFile: string;
  /** The last state file text parsed, and its state: a read of unchanged text skips the validation (frozen, shared). */
  private parsed: { readonly text: string; readonly state: InstanceState } | undefined;

  constructor(
    readonly dir: string,
    readonly instanceId: string,
    /** Told, once per transaction, when it waits for the lock longer than a moment (a process killed while it held it). */
    private readonly onLockWait?: (notice: string) => void,
  ) {
    this.instanceDir = instanceDir(dir, instanceId);
    this.stateFile = join(this.instanceDir, STATE_FILE);
  }

  exists(): boolean {
    return existsSync(this.stateFile);
  }

  chunkFile(index: number): string {
    return chunkFile(this.dir, this.instanceId, index);
  }

  /** A consistent snapshot of the instance state, read afresh from disk. Frozen: derive new states, never edit one. */
  read(): InstanceState {
    if (!this.exists()) throw unknownInstance(this.dir, this.instanceId);
    const text = readSimulatorFile(this.stateFile);
    if (this.parsed?.text !== text) this.parsed = { text, state: deepFreeze(parseInstanceState(readJsonFile(this.stateFile, text), this.stateFile)) };
    return this.parsed.state;
  }

  /**
   * transact — runs `fn` under the instance lock with a fresh read of the state. Writes made through the
   * transaction are refused once another process wrote meanwhile (this one stalled past the lock's stale time and
   * the other took the lock over): the fencing generation is checked immediately before each rename. The check and
   * the rename are two system calls, so a stall of exactly that instant could still slip through; the window is
   * microseconds against the lock's 5 s.
   */
  async transact<T>(fn: (tx: Transaction) => T | Promise<T>): Promise<T> {
    if (!this.exists()) throw unknownInstance(this.dir, this.instanceId);
    return inProcessTurn(this.instanceDir, () => this.transactLocked(fn));
  }

  private async transactLocked<T>(fn: (tx: Transaction) => T | Promise<T>): Promise<T> {
    let compromised: Error | undefined;
    let release: () => Promise<void>;
    const waiting = setTimeout(() => this.onLockWait?.(`waiting for the lock of simulated instance ${this.instanceId}: another process holds it, or held it when it was killed; a lock not refreshed for 5 s is taken over`), LOCK_WAIT_NOTICE_MS);
    try {
      release = await lock(this.instanceDir, {
        ...LOCK_OPTIONS,
        lockfilePath: join(this.instanceDir, LOCK),
        onCompromised: (err) => {
          compromised = err;
        },
      });
    } catch (cause) {
      throw new TransientError(`cannot lock simulated instance ${this.instanceId}: another process holds it; try again`, { cause });
    } finally {
      clearTimeout(waiting);
    }
    const guard = () => {
      if (compromised) throw new TransientError(`lost the lock on simulated instance ${this.instanceId}; nothing more was written`, { cause: compromised });
    };
    const state = this.read();
    // The generation this transaction expects on disk: any other write in between (a process that took the lock
    // over while this one stalled) changes it, and every later write of this transaction is refused.
    let expected = state.generation;
    const fence = () => {
      guard();
      const found = generationOnDisk(this.stateFile);
      if (found !== expected) {
        throw new TransientError(`simulated instance ${this.instanceId} was changed by another process while this one held a stale lock (generation ${found}, expected ${expected}); nothing more was written`);
      }
    };
    let latest = state;
    const writeState = (next: InstanceState) => {
      writeFileAtomic(this.stateFile, serializeState({ ...next, generation: expected + 1 }), { beforeRename: fence });
      expected += 1;
      latest = next;
    };
    try {
      const tx: Transaction = {
        state,
        write: writeState,
        // The generation moves before any other file does, so a stale writer is fenced off chunks too.
        writeFile: (file, data) => {
          writeState(latest);
          writeFileAtomic(file, data, { beforeRename: fence });
        },
      };
      return await fn(tx);
    } finally {
      await release().catch(() => undefined);
    }
  }

  /** update — a read-modify-write of the state: `fn` returns the new state (or undefined to write nothing) and a result. */
  async update<T = void>(fn: (state: InstanceState) => { state?: InstanceState; result?: T }): Promise<T> {
    return this.transact((tx) => {
      const { state, result } = fn(tx.state);
      if (state) tx.write(state);
      return result as T;
    });
  }
}
