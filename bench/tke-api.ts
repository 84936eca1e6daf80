import { readFileSync } from "node:fs";
import { endpointsFor, openTkeApi } from "../src/backends/tke-api";
import { startTkeApiEmulator } from "../src/emulator/tke-api/server";
import { observe } from "../src/engine/observe";
import type { TrustAnchor } from "../src/protocol/ibm-roots";
import { createTkeFixture } from "../tests/helpers/tke-fixture";
import type { Shape } from "./rotation";

/**
 * An observation through the TKE API backend against its emulator, and through the TKE CLI backend against the
 * ibmcloud emulator, of the same simulated instance. For the API, every HTTP request is timed and its depth computed:
 * a request that starts after another ended depends on it, so the depth is the longest chain of such requests, the
 * number of round trips an observation waits for on IBM Cloud. Once the unit list is known (a second observation in
 * the same run), the engine's prefetch sends everything at once: depth 1.
 */
export interface TkeApiFigures {
  /** The first observation of a run: IAM, the unit list, each module's certificate chain and serial, then the reads. */
  readonly firstRequests: number;
  readonly firstDepth: number;
  readonly firstMs: number;
  /** An observation once the units are known. */
  readonly requests: number;
  readonly depth: number;
  readonly ms: number;
  /** The same observation through the TKE CLI backend (one run: login, version check, reads). */
  readonly cliMs: number;
  readonly cliProcesses: number;
}

interface Timed {
  readonly start: number;
  end: number;
}

/** The longest chain of requests each of which started after the previous one ended. */
function depthOf(requests: readonly Timed[]): number {
  const sorted = [...requests].sort((a, b) => a.start - b.start);
  const depth: number[] = [];
  sorted.forEach((r, i) => {
    depth[i] = 1 + Math.max(0, ...sorted.slice(0, i).map((q, j) => (q.end <= r.start ? depth[j] : 0)));
  });
  return Math.max(0, ...depth);
}

export async function measureTkeApi(shape: Shape): Promise<TkeApiFigures> {
  const fixture = await createTkeFixture({ shape: shape.units, anyShape: true, admins: 2, records: 20 });
  const emulator = await startTkeApiEmulator({ simDir: fixture.sim.dir, apiKey: fixture.apiKey });
  try {
    let log: Timed[] = [];
    const timed = (async (input: string | URL | Request, init?: RequestInit) => {
      const entry: Timed = { start: performance.now(), end: Infinity };
      log.push(entry);
      try {
        const response = await fetch(input, init);
        const body = await response.arrayBuffer();
        return new Response(body, { status: response.status, headers: response.headers });
      } finally {
        entry.end = performance.now();
      }
    }) as typeof fetch;
    const backend = openTkeApi({
      instanceId: fixture.sim.instanceId,
      region: "us-south",
      endpoints: endpointsFor({ region: "us-south", visibility: "public", testEndpoint: emulator.url }),
      apiKey: fixture.apiKey,
      anchors: JSON.parse(readFileSync(emulator.rootsFile, "utf8")) as TrustAnchor[],
      fetch: timed,
    });
    const firstStart = performance.now();
    const first = await observe(backend);
    const firstMs = performance.now() - firstStart;
    const firstLog = log;
    log = [];
    const start = performance.now();
    await observe(backend, first.units.map((u) => u.id));
    const ms = performance.now() - start;

    const cliStart = performance.now();
    const cli = await fixture.open();
    try {
      await observe(cli);
    } finally {
      await cli.close?.();
    }
    const cliMs = performance.now() - cliStart;
    return { firstRequests: firstLog.length, firstDepth: depthOf(firstLog), firstMs, requests: log.length, depth: depthOf(log), ms, cliMs, cliProcesses: fixture.transcripts.length };
  } finally {
    await emulator.close();
    fixture.cleanup();
  }
}
