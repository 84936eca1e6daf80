import { shortVp, type Vp } from "../../model/vp";
import { describeCurrent, describeNew } from "./hsm";
import type { InstanceState, UnitState } from "./instance-state";
import { Keyring, openRecord, readChunk } from "./keystore";
import { StateStore } from "./state-store";
import { count } from "../../format/words";

/**
 * Key storage checks, streamed chunk by chunk under the instance lock (so a concurrent rewrap is seen between two
 * chunks, never in the middle of one).
 *
 * - checkKeyStorageReadable: DESIGN §4 invariant 1. Every record is wrapped under a VP that at least one register
 *   (current or new) of EVERY unit holds, and really decrypts with that key. A unit promoted before the rewrap
 *   finished fails it: it no longer holds the key the un-rewrapped records need.
 * - verifyKeyStorage: every record decrypts with a key some register of the instance holds (`hpcs-mk sim verify`).
 */
export interface KeyStorageReport {
  readonly instanceId: string;
  readonly records: number;
  /** Records per VP they are wrapped under. */
  readonly byVp: Readonly<Record<Vp, number>>;
  /** Empty when the check holds. One line per (VP, cause), with counts, never per record. */
  readonly problems: readonly string[];
}

type Mode = "everyUnit" | "anyUnit";

function holds(unit: UnitState, vp: Vp): boolean {
  return [unit.current, unit.new].some((r) => r.status !== "Empty" && r.vp === vp);
}

interface Tally {
  count: number;
  firstId: string;
}

function tally(map: Map<Vp, Tally>, vp: Vp, id: string): void {
  const t = map.get(vp);
  if (t) t.count++;
  else map.set(vp, { count: 1, firstId: id });
}

function scan(store: StateStore, mode: Mode): Promise<KeyStorageReport> {
  return store.transact(({ state }) => {
    const keyring = new Keyring(state);
    const byVp: Record<Vp, number> = {};
    const unheld = new Map<Vp, Tally>();
    const undecryptable = new Map<Vp, Tally>();
    // Whether every unit holds a VP, per VP: records share a handful of VPs.
    const everyUnitHolds = new Map<Vp, boolean>();
    const heldByAll = (vp: Vp) => {
      if (!everyUnitHolds.has(vp)) everyUnitHolds.set(vp, state.units.every((u) => holds(u, vp)));
      return everyUnitHolds.get(vp) === true;
    };
    let records = 0;
    try {
      for (let index = 0; index < state.keystore.chunks; index++) {
        for (const record of readChunk(store.chunkFile(index))) {
          records++;
          byVp[record.vp] = (byVp[record.vp] ?? 0) + 1;
          const key = keyring.get(record.vp);
          if (!key || (mode === "everyUnit" && !heldByAll(record.vp))) {
            tally(unheld, record.vp, record.id);
            continue;
          }
          try {
            openRecord(record, key).fill(0);
          } catch {
            tally(undecryptable, record.vp, record.id);
          }
        }
      }
    } finally {
      keyring.close();
    }
    return { instanceId: state.instanceId, records, byVp, problems: describeProblems(state, records, unheld, undecryptable) };
  });
}

function describeProblems(state: InstanceState, records: number, unheld: Map<Vp, Tally>, undecryptable: Map<Vp, Tally>): string[] {
  const problems: string[] = [];
  if (records !== state.keystore.records) problems.push(`key storage holds ${records} records but the instance records ${state.keystore.records}`);
  for (const [vp, t] of unheld) {
    const missing = state.units.filter((u) => !holds(u, vp));
    const where = missing.map((u) => `${u.type} unit ${u.id} (current ${describeCurrent(u)}, new ${describeNew(u)})`).join("; ");
    problems.push(`${count(t.count, "key storage record")} wrapped under ${shortVp(vp)} (first: ${t.firstId}) cannot be unwrapped by ${where}`);
  }
  for (const [vp, t] of undecryptable) {
    problems.push(`${count(t.count, "key storage record")} tagged ${shortVp(vp)} (first: ${t.firstId}) ${t.count === 1 ? "does not decrypt with that master key: it is" : "do not decrypt with that master key: they are"} damaged`);
  }
  return problems;
}

/** A record as the ground truth has it: the key it is under, and the units that can unwrap it (none when it is damaged). */
export interface RecordReaders {
  readonly id: string;
  readonly vp: Vp;
  readonly readers: readonly string[];
}

/**
 * keyStorageReaders — for every record, which units can read it: those holding its key in either register, if the
 * key really decrypts it. The ground truth the safety checks judge every step against, independent of the engine.
 */
export function keyStorageReaders(dir: string, instanceId: string): Promise<RecordReaders[]> {
  const store = new StateStore(dir, instanceId);
  return store.transact(({ state }) => {
    const keyring = new Keyring(state);
    const holders = new Map<Vp, string[]>();
    const holdersOf = (vp: Vp) => holders.get(vp) ?? holders.set(vp, state.units.filter((u) => holds(u, vp)).map((u) => u.id)).get(vp)!;
    try {
      const out: RecordReaders[] = [];
      for (let index = 0; index < state.keystore.chunks; index++) {
        for (const record of readChunk(store.chunkFile(index))) {
          const key = keyring.get(record.vp);
          let readable = false;
          if (key) {
            try {
              openRecord(record, key).fill(0);
              readable = true;
            } catch {
              readable = false;
            }
          }
          out.push({ id: record.id, vp: record.vp, readers: readable ? holdersOf(record.vp) : [] });
        }
      }
      return out;
    } finally {
      keyring.close();
    }
  });
}

export function checkKeyStorageReadable(dir: string, instanceId: string): Promise<KeyStorageReport> {
  return scan(new StateStore(dir, instanceId), "everyUnit");
}

export function verifyKeyStorage(dir: string, instanceId: string): Promise<KeyStorageReport> {
  return scan(new StateStore(dir, instanceId), "anyUnit");
}
