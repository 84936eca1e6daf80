import { keyStorageReaders } from "../../src/backends/simulator";
import { sameVp, type Vp } from "../../src/model/vp";

/**
 * Whether an operator's command that takes key `vp` off `unit` (set immediate drops the old current key, clrnew the
 * pending one) still leaves every record readable somewhere. The safety checks model operators who make mistakes,
 * but not one who destroys the last copy of a key: records lost before the engine acts are not the engine's to save.
 */
export async function leavesEveryRecordReadable(dir: string, instanceId: string, unit: string, vp: Vp): Promise<boolean> {
  const records = await keyStorageReaders(dir, instanceId);
  return records.every((r) => !sameVp(r.vp, vp) || r.readers.some((reader) => reader !== unit));
}
