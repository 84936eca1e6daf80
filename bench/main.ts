import { availableParallelism } from "node:os";
import { instrumentSimulator, type CallLog } from "./call-log";
import { measureRotationMemory } from "./memory";
import { parseOptions, UsageError, type BenchOptions } from "./options";
import { measureProvider } from "./provider-load";
import { measureRefresh } from "./refresh";
import { Report } from "./report";
import { measureRewrap } from "./rewrap";
import { BOUND_DEPTH, measureRotation, ROTATION_COMMANDS, SHAPES, SMALL_KEY_STORAGE, warmUp } from "./rotation";
import { measureTkeApi } from "./tke-api";
import { MANUAL_CEREMONY, measureTkeCli, READ_PROCESSES, REGISTER_COMMANDS, rotationBound } from "./tke-cli";

/**
 * npm run bench — rotation at the speed of its critical path (DESIGN §8). Prints one `name: value unit` line per
 * figure and ends with `bench: all targets met` (exit 0) or `bench: targets missed: <names>` (exit 1); a bench
 * that could not measure ends with `bench: error: …` (exit 2). What each figure means: bench/README.md.
 */

/** Targets (bench/README.md, "Targets"). */
const TARGETS = { rotationRatio: 1.25, refreshRatio: 1.5, callsRatio: 1, peakRssMb: 256, tkeRefreshReads: 2, tkeApiObservationDepth: 1 } as const;
const LARGE_KEY_STORAGE = 100_000;
const MEMORY_SIZES = [10_000, LARGE_KEY_STORAGE] as const;
const PROVIDER_LOADS = 5;

async function rotation(report: Report, options: BenchOptions, log: CallLog): Promise<void> {
  const L = options.latencyMs;
  report.note(`rotation: Executor -> simulator, every call delayed L = ${L} ms, ${SMALL_KEY_STORAGE} key storage records, median of ${options.runs} runs on fresh instances`);
  report.note(`rotation bound = (2 + 2 x ${ROTATION_COMMANDS.length}) x L + raw AES-GCM time of the rewrap: first observation 2 round trips, then each of loadNew, commitNew, rewrap, setImmediate and the observation after it 1 each`);
  report.note(`shapes: ${SHAPES.map((s) => `${s.name} = ${s.description}`).join("; ")}`);
  report.figure("rotation_bound_depth", BOUND_DEPTH, "round trips");
  await warmUp(log);
  for (const shape of SHAPES) {
    const r = await measureRotation(shape, L, options.runs, log);
    const p = `rotation_${shape.name}`;
    report.figure(`${p}_wall`, r.wallMs, "ms");
    report.figure(`${p}_bound`, r.boundMs, "ms");
    report.target(`${p}_ratio`, r.wallMs / r.boundMs, "x", TARGETS.rotationRatio, 2);
    report.figure(`${p}_depth`, r.depth, "round trips");
    report.figure(`${p}_local`, r.wallMs - r.depth * L, "ms");
    report.figure(`${p}_calls`, r.calls, "calls");
    report.figure(`${p}_calls_min`, r.minimumCalls, "calls");
    report.target(`${p}_calls_ratio`, r.calls / r.minimumCalls, "x", TARGETS.callsRatio, 2);
  }
}

async function refresh(report: Report, options: BenchOptions, log: CallLog): Promise<void> {
  const L = options.latencyMs;
  const runs = options.runs * 3;
  report.note(`refresh: the provider's read (readMasterKey) with simulatorLatencyMs = ${L}, median of ${runs}; bound = 1 round trip = L`);
  for (const shape of SHAPES) {
    const r = await measureRefresh(shape, L, runs, log);
    const p = `refresh_${shape.name}`;
    report.figure(`${p}_wall`, r.wallMs, "ms");
    report.target(`${p}_ratio`, r.wallMs / L, "x", TARGETS.refreshRatio, 2);
    report.figure(`${p}_depth`, r.depth, "round trips");
    report.figure(`${p}_calls`, r.calls, "calls");
    report.figure(`${p}_calls_min`, r.minimumCalls, "calls");
    report.target(`${p}_calls_ratio`, r.calls / r.minimumCalls, "x", TARGETS.callsRatio, 2);
  }
}

async function tkeCli(report: Report): Promise<void> {
  report.note("tke-cli: a rotation (to two of IBM's own key part files, learned at the load) and a refresh through the TKE CLI backend, each ibmcloud command a process of the emulator in a pseudo-terminal (no added latency)");
  report.note("latency model: processes run one after another, so a rotation takes its process count times one process's time (on IBM Cloud: a network round trip); _vs_model is the measured wall time over that");
  report.note(`rotation bound = IBM's manual ceremony (${MANUAL_CEREMONY.join(", ")}) + a confirming read (${READ_PROCESSES} processes) after each of the ${REGISTER_COMMANDS} register commands + the plug-in version check + one mks per key part file after the first (bench/tke-cli.ts)`);
  for (const shape of SHAPES) {
    const r = await measureTkeCli(shape);
    const p = `tke_cli_${shape.name}`;
    report.figure(`${p}_rotation_wall`, r.rotationMs, "ms");
    report.target(`${p}_rotation_processes`, r.rotationProcesses, "processes", rotationBound(r.keyPartFiles));
    report.note(`${p} rotation processes by command: ${Object.entries(r.byCommand).map(([c, n]) => `${c} ${n}`).join(", ")}`);
    report.figure(`${p}_refresh_wall`, r.refreshMs, "ms");
    report.figure(`${p}_refresh_processes`, r.refreshProcesses, "processes");
    report.target(`${p}_refresh_reads`, r.refreshReads, "processes", TARGETS.tkeRefreshReads);
    report.figure(`${p}_process_median`, r.processMs, "ms");
    // The latency model: every process is one dependent round trip of its median time; the rest is the driver's own.
    report.figure(`${p}_rotation_model`, r.rotationProcesses * r.processMs, "ms");
    report.figure(`${p}_rotation_vs_model`, r.rotationMs / (r.rotationProcesses * r.processMs), "x", 2);
  }
}

async function tkeApi(report: Report): Promise<void> {
  report.note("tke-api: an observation through the TKE API backend (its emulator on 127.0.0.1, every response's OA signature verified) against one through the TKE CLI backend (the ibmcloud emulator's processes) of the same instance");
  report.note("depth = the longest chain of HTTP requests each of which started after the previous one ended: the round trips an observation waits for on IBM Cloud (bench/tke-api.ts)");
  for (const shape of SHAPES) {
    const r = await measureTkeApi(shape);
    const p = `tke_api_${shape.name}`;
    report.figure(`${p}_first_observation_requests`, r.firstRequests, "requests");
    report.figure(`${p}_first_observation_depth`, r.firstDepth, "round trips");
    report.figure(`${p}_first_observation_wall`, r.firstMs, "ms");
    report.figure(`${p}_observation_requests`, r.requests, "requests");
    report.target(`${p}_observation_depth`, r.depth, "round trips", TARGETS.tkeApiObservationDepth);
    report.figure(`${p}_observation_wall`, r.ms, "ms", 1);
    report.figure(`${p}_cli_observation_wall`, r.cliMs, "ms");
    report.figure(`${p}_cli_observation_processes`, r.cliProcesses, "processes");
    report.figure(`${p}_cli_vs_api_wall`, r.cliMs / r.ms, "x", 1);
  }
}

function provider(report: Report): void {
  report.note(`serialized provider: npm pack, installed in a temporary project, captured under Pulumi mocks; load = median of ${PROVIDER_LOADS} fresh processes`);
  const r = measureProvider(PROVIDER_LOADS);
  report.figure("provider_size", r.sizeBytes, "bytes");
  report.figure("provider_deserialize", r.deserializeMs, "ms", 1);
  report.figure("provider_load", r.loadMs, "ms", 1);
}

async function rewrap(report: Report): Promise<void> {
  report.note(`rewrap: simulator backend.rewrap of ${LARGE_KEY_STORAGE} records (latency 0) vs raw AES-256-GCM decrypt + encrypt of as many 32-byte records`);
  const r = await measureRewrap(LARGE_KEY_STORAGE);
  const simulator = (r.records / r.simulatorMs) * 1000;
  const raw = (r.records / r.rawMs) * 1000;
  report.figure(`rewrap_${r.records}records_wall`, r.simulatorMs, "ms");
  report.figure("rewrap_throughput", simulator, "records/s");
  report.figure("raw_aes_gcm_throughput", raw, "records/s");
  report.figure("rewrap_throughput_ratio", simulator / raw, "x", 3);
}

async function memory(report: Report): Promise<void> {
  report.note(`memory: peak RSS (maxRSS) of a fresh process running one full rotation (latency 0) per key storage size`);
  const peaks: number[] = [];
  for (const records of MEMORY_SIZES) {
    const m = await measureRotationMemory(records);
    peaks.push(m.peakRssMb);
    if (records === MEMORY_SIZES[0]) report.figure("rotation_rss_before", m.rssBeforeMb, "MB", 1);
    const name = `rotation_${records}records_peak_rss`;
    if (records === LARGE_KEY_STORAGE) report.target(name, m.peakRssMb, "MB", TARGETS.peakRssMb, 1);
    else report.figure(name, m.peakRssMb, "MB", 1);
  }
  const [small, large] = MEMORY_SIZES;
  report.figure("rotation_peak_rss_growth", ((peaks[1] - peaks[0]) / (large - small)) * 10_000, "MB per 10000 records", 2);
}

async function main(): Promise<number> {
  const started = performance.now();
  const report = new Report();
  try {
    const options = parseOptions(process.argv.slice(2), process.env);
    report.note(`pulumi-hpcs-masterkey bench: L = ${options.latencyMs} ms, node ${process.version}, ${availableParallelism()} cores`);
    const log = instrumentSimulator();
    const run = (section: BenchOptions["sections"][number]) => options.sections.includes(section);
    if (run("rotation")) await rotation(report, options, log);
    if (run("refresh")) await refresh(report, options, log);
    if (run("tke-cli")) await tkeCli(report);
    if (run("tke-api")) await tkeApi(report);
    if (run("provider")) provider(report);
    if (run("rewrap")) await rewrap(report);
    if (run("memory")) await memory(report);
  } catch (error) {
    if (!(error instanceof UsageError)) console.error(error);
    console.log(`bench: error: ${(error as Error).message}`);
    return 2;
  }
  report.figure("bench_wall", (performance.now() - started) / 1000, "s", 1);
  return report.finish();
}

main().then((code) => process.exit(code));
