/** The bench's options: `npm run bench -- [--latency-ms N] [--runs N] [--only a,b]`, or the environment. */

export const SECTIONS = ["rotation", "refresh", "tke-cli", "tke-api", "provider", "rewrap", "memory"] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  /** L: the simulated latency of every backend call. `--latency-ms` or BENCH_LATENCY_MS; default 50. */
  readonly latencyMs: number;
  /** Repetitions of each timed rotation and refresh; the median is reported. `--runs` or BENCH_RUNS; default 3. */
  readonly runs: number;
  /** The sections to run; default all. */
  readonly sections: readonly Section[];
}

export class UsageError extends Error {}

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  let latency = env.BENCH_LATENCY_MS ?? "50";
  let runs = env.BENCH_RUNS ?? "3";
  let only: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => inline ?? argv[++i] ?? "";
    if (flag === "--latency-ms") latency = value();
    else if (flag === "--runs") runs = value();
    else if (flag === "--only") only = value();
    else throw new UsageError(`unknown option ${argv[i]}; use --latency-ms N, --runs N, --only ${SECTIONS.join(",")}`);
  }
  const latencyMs = Number(latency);
  if (!Number.isInteger(latencyMs) || latencyMs < 1 || latencyMs > 10_000) throw new UsageError(`latency must be a whole number of milliseconds from 1 to 10000, not "${latency}"`);
  const runCount = Number(runs);
  if (!Number.isInteger(runCount) || runCount < 1 || runCount > 50) throw new UsageError(`runs must be a whole number from 1 to 50, not "${runs}"`);
  const sections = only === undefined ? SECTIONS : only.split(",").map((s) => s.trim());
  const unknown = sections.filter((s) => !(SECTIONS as readonly string[]).includes(s));
  if (unknown.length > 0) throw new UsageError(`unknown section ${unknown.join(", ")}; the sections are ${SECTIONS.join(", ")}`);
  return { latencyMs, runs: runCount, sections: sections as Section[] };
}
