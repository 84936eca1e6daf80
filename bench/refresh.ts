import { readMasterKey, type LifecycleContext } from "../src/provider/lifecycle";
import { PROVIDER_DEFAULTS } from "../src/provider/config";
import { createSimFixture } from "../tests/helpers/sim-fixture";
import { dependentDepth, type CallLog } from "./call-log";
import { median } from "./report";
import { SMALL_KEY_STORAGE, unitCount, type Shape } from "./rotation";

/**
 * A refresh of one MasterKey: the provider's `read` (readMasterKey) with the simulator configured at latency L, as
 * `pulumi refresh` runs it, given the outputs a previous `up` stored. The minimum is one observation: the listing,
 * the rewrap status and one query per unit, all of which can go out together once the stored outputs name the
 * units (DESIGN §8: "one batched status read per unit, in parallel"), so 1 round trip and n + 2 calls.
 */
export interface RefreshFigures {
  readonly wallMs: number;
  readonly depth: number;
  readonly calls: number;
  readonly minimumCalls: number;
}

export function minimumRefreshCalls(units: number): number {
  return units + 2;
}

type Props = Record<string, unknown>;

export async function measureRefresh(shape: Shape, latencyMs: number, runs: number, log: CallLog): Promise<RefreshFigures> {
  const fixture = await createSimFixture({ shape: shape.units, records: SMALL_KEY_STORAGE });
  try {
    const context = (latency: number): LifecycleContext => ({
      config: { ...PROVIDER_DEFAULTS, backend: "simulator", simulatorDir: fixture.dir, simulatorLatencyMs: latency, simulatorRewrapStatus: "reported", simulatorRotation: "separate", simulatorVpBinding: "hsm", simulatorKeyParts: "material" },
      log: () => undefined,
    });
    // The outputs `up` would have stored: one unmeasured read at latency 0 makes them (and warms the code path).
    const stored = (await readMasterKey(context(0), fixture.instanceId, { instanceId: fixture.instanceId, desiredVerificationPattern: fixture.keyParts[0].vp })).props as Props;
    const walls: number[] = [];
    let depth = 0;
    let calls = 0;
    for (let i = 0; i < runs; i++) {
      log.reset();
      const started = performance.now();
      const read = await readMasterKey(context(latencyMs), fixture.instanceId, stored);
      walls.push(performance.now() - started);
      const logged = log.reset();
      if (read.props?.phase !== "Active") throw new Error(`refresh of the ${shape.name} instance read phase ${String(read.props?.phase)}, not Active`);
      depth = Math.max(depth, dependentDepth(logged));
      calls = Math.max(calls, logged.length);
    }
    return { wallMs: median(walls), depth, calls, minimumCalls: minimumRefreshCalls(unitCount(shape)) };
  } finally {
    fixture.cleanup();
  }
}
