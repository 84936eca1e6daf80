import { HpcsError } from "../../model/errors";
import { sameVp, shortVp, type Vp } from "../../model/vp";
import type { RewrapProgress } from "../../engine/port/backend";
import type { MidRewrapCrash } from "./fault-injector";
import type { InstanceState, RewrapJobState } from "./instance-state";
import { Keyring, readChunk, rewrapRecord, serializeChunk } from "./keystore";
import type { StateStore } from "./state-store";

/**
 * The resumable rewrap job of cryptounit-mk-rotate: every record not yet under the target is decrypted with the key
 * it is wrapped under and encrypted with the target key, one chunk per locked transaction (chunk written atomically,
 * then the job's progress). Records already under the target are skipped, so a run after a crash resumes.
 * IBM: "Run the `cryptounit-mk-rotate` command again to resume the root key rewrap operations." (research §4.4).
 */

/** Key storage cannot be rewrapped: a record's key is gone, or the job changed under us. Not retryable. */
export class KeyStorageError extends HpcsError {
  readonly retryable = false;
}

export interface RewrapRun {
  readonly store: StateStore;
  readonly targetVp: Vp;
  /** Under the lock, before anything changes: the pre-check and signature check. Throws to refuse. */
  readonly authorize: (state: InstanceState) => void;
  readonly crash?: MidRewrapCrash;
  readonly onProgress?: (progress: RewrapProgress) => void;
  /** Checked before each chunk: an aborted run stops between two chunks, with every written chunk consistent. */
  readonly signal?: AbortSignal;
}

function isJobFor(job: RewrapJobState, targetVp: Vp): job is Extract<RewrapJobState, { targetVp: string }> {
  return job.state !== "none" && sameVp(job.targetVp, targetVp);
}

function jobReplaced(targetVp: Vp): KeyStorageError {
  return new KeyStorageError(`the rewrap job to ${shortVp(targetVp)} was replaced by another process; re-observe the instance`);
}

/** runRewrap — runs (or resumes) the job to completion, or until an armed mid-rewrap crash fires. */
export async function runRewrap(run: RewrapRun): Promise<void> {
  const { store, targetVp, crash } = run;
  const total = await startJob(run);
  const { chunks } = store.read().keystore;
  // Counted afresh each run: a crash between a chunk write and the progress write leaves the stored count behind.
  const donePerChunk = Array.from({ length: chunks }, (_, i) => readChunk(store.chunkFile(i)).filter((r) => sameVp(r.vp, targetVp)).length);
  let budget = crash?.afterRecords ?? Infinity;
  if (crash && budget === 0) await crashNow(store, crash);
  for (let index = 0; index < chunks; index++) {
    run.signal?.throwIfAborted();
    const converted = await rewrapChunk(run, index, budget, donePerChunk);
    budget -= converted;
    if (converted > 0) run.onProgress?.({ done: sum(donePerChunk), total });
    if (crash && budget === 0) crash.crash();
  }
  await store.update((state) => {
    if (!isJobFor(state.rewrap, targetVp)) throw jobReplaced(targetVp);
    return { state: { ...state, rewrap: { state: "complete", targetVp, done: sum(donePerChunk), total: state.keystore.records } } };
  });
}

/** Checks the request under the lock and records the job as started (or keeps the one being resumed). */
function startJob({ store, targetVp, authorize }: RewrapRun): Promise<number> {
  return store.update((state) => {
    authorize(state);
    const job: RewrapJobState = isJobFor(state.rewrap, targetVp) ? state.rewrap : { state: "inProgress", targetVp, done: 0, total: state.keystore.records };
    return { state: { ...state, rewrap: job }, result: state.keystore.records };
  });
}

/**
 * Rewraps up to `budget` records of chunk `index` in one locked transaction: the chunk is replaced atomically, then
 * the job's progress (and, when the budget runs out, the consumed crash fault) is written. Returns the count.
 */
function rewrapChunk({ store, targetVp, crash }: RewrapRun, index: number, budget: number, donePerChunk: number[]): Promise<number> {
  return store.transact((tx) => {
    const job = tx.state.rewrap;
    if (!isJobFor(job, targetVp)) throw jobReplaced(targetVp);
    const file = store.chunkFile(index);
    const keyring = new Keyring(tx.state);
    try {
      const target = keyring.get(targetVp);
      if (!target) throw new KeyStorageError(`no crypto unit holds the rewrap target ${shortVp(targetVp)} any more; the rewrap cannot continue`);
      let count = 0;
      const next = readChunk(file).map((record) => {
        if (sameVp(record.vp, targetVp) || count >= budget) return record;
        const from = keyring.get(record.vp);
        if (!from) {
          throw new KeyStorageError(`key storage record ${record.id} is wrapped under ${shortVp(record.vp)}, which no crypto unit holds: it cannot be rewrapped (it is lost)`);
        }
        count++;
        return rewrapRecord(record, from, target, targetVp);
      });
      if (count === 0) return 0;
      tx.writeFile(file, serializeChunk(next));
      donePerChunk[index] = next.filter((r) => sameVp(r.vp, targetVp)).length;
      const progressed: InstanceState = { ...tx.state, rewrap: { ...job, state: "inProgress", done: sum(donePerChunk) } };
      tx.write(crash && count === budget ? crash.consume(progressed) : progressed);
      return count;
    } finally {
      keyring.close();
    }
  });
}

/** A crash armed to fire after 0 records: the job is marked started, no record is touched yet. */
async function crashNow(store: StateStore, crash: MidRewrapCrash): Promise<never> {
  await store.update((state) => ({ state: crash.consume(state) }));
  return crash.crash();
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
