import { randomBytes } from "node:crypto";
import { editSimulatedInstance, keyStorageReaders } from "../../src/backends/simulator";
import type { Backend } from "../../src/engine/port/backend";
import { sameVp, verificationPattern, type Vp } from "../../src/model/vp";

/**
 * Whether an operator's command that takes key `vp` off `unit` (set immediate drops the old current key, clrnew the
 * pending one) still leaves every record readable somewhere. The safety checks model operators who make mistakes,
 * but not one who destroys the last copy of a key: records lost before the engine acts are not the engine's to save.
 */
export async function leavesEveryRecordReadable(dir: string, instanceId: string, unit: string, vp: Vp): Promise<boolean> {
  const records = await keyStorageReaders(dir, instanceId);
  return records.every((r) => !sameVp(r.vp, vp) || r.readers.some((reader) => reader !== unit));
}

/**
 * Another administrator clears unit `index`'s new register and loads a key of their own (two signed commands: its
 * transaction counter moves on by two). Returns that key's VP.
 */
export async function replacePendingKey(dir: string, instanceId: string, index = 0): Promise<Vp> {
  const foreign = new Uint8Array(randomBytes(32));
  const vp = verificationPattern(foreign);
  await editSimulatedInstance(dir, instanceId, (state) => ({
    ...state,
    units: state.units.map((u, i) => (i === index ? { ...u, transactionCounter: u.transactionCounter + 2, new: { status: "Full Uncommitted" as const, key: Buffer.from(foreign).toString("hex"), vp } } : u)),
  }));
  return vp;
}

/** The backend itself, except that `act` runs once, just before its first commit: another person between observation and commit. */
export function beforeFirstCommit(backend: Backend, act: () => Promise<unknown>): Backend {
  let acted = false;
  return new Proxy(backend, {
    get(target, property) {
      if (property === "commitNew") {
        return async (...args: Parameters<Backend["commitNew"]>) => {
          if (!acted) {
            acted = true;
            await act();
          }
          return target.commitNew(...args);
        };
      }
      const value = Reflect.get(target, property) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
