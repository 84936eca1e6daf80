import type { CreateSimulatedInstanceOptions } from "../src/backends/simulator";
import { createSimFixture, loadAndCommit } from "../tests/helpers/sim-fixture";
import { rawRewrapMs } from "./raw-crypto";

/**
 * Simulator rewrap throughput on large key storage: `backend.rewrap` (latency 0) on an instance whose units all hold
 * the new key Full Committed, against raw AES-256-GCM decrypt + encrypt of as many records in the same process
 * (bench/raw-crypto.ts). The difference is what the simulator adds per record: hex and JSON, chunk files written
 * atomically, the lock and the job's progress.
 */
export const LARGE_SHAPE: NonNullable<CreateSimulatedInstanceOptions["shape"]> = { operational: 2, recovery: 2, failover: 0 };

export interface RewrapFigures {
  readonly records: number;
  readonly simulatorMs: number;
  readonly rawMs: number;
}

export async function measureRewrap(records: number): Promise<RewrapFigures> {
  const fixture = await createSimFixture({ shape: LARGE_SHAPE, records });
  try {
    const backend = await fixture.open();
    const target = fixture.keyParts[1];
    await loadAndCommit(backend, fixture, target);
    const started = performance.now();
    await backend.rewrap(target.vp, fixture.signers);
    const simulatorMs = performance.now() - started;
    const status = await backend.rewrapStatus();
    if (status.state !== "complete" || status.records !== records) throw new Error(`the rewrap of ${records} records ended ${JSON.stringify(status)}`);
    return { records, simulatorMs, rawMs: rawRewrapMs(records) };
  } finally {
    fixture.cleanup();
  }
}
