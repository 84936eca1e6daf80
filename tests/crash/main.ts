import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { CAPABILITY_CHOICES, capabilitiesLabel } from "../../src/engine/port/capabilities";
import { crashPoints, describeScenario, prepareTemplate, runScenario, scenariosFor, type Shape, type Start } from "./scenarios";
import { describeTkeScenario, prepareTkeTemplate, runTkeScenario, tkeScenariosFor, type TkeCeremony, type TkeVia } from "./tke-scenarios";

/**
 * npm run check:crash — every crash point of a rotation and of a first-time initialisation, for instance shapes of
 * 1 to 3 operational units, with and without recovery and failover units, against a backend that reports the rewrap
 * and one that cannot, and through the TKE CLI driver against the ibmcloud emulator (sampled; all of it with
 * `npm run check:crash:full`). Each shape and start is a job in a process
 * of its own, one per core at a time; the parent prints one line per job and ends with
 * `crash scenarios: N passed, 0 failed` (exit 1 on any failure).
 */
const SHAPES: Shape[] = [];
for (const operational of [1, 2, 3]) {
  for (const recovery of [0, 2]) {
    for (const failover of [0, 2, 3].filter((f) => f <= operational)) SHAPES.push({ operational, recovery, failover });
  }
}
const STARTS: Start[] = ["rotation", "initialisation", "generation"];
const FULL = process.env.CRASH_FULL === "1";
/** The initialisations a sampled run sweeps: the fewest and the most units, and recovery and failover units alone. */
const SAMPLED_INITIALISATIONS = ["2/0/0", "3/2/0", "2/2/2", "3/2/3"];
/** The generations in a recovery unit a sampled run sweeps, with each rotation shape: the fewest and the most units. */
const SAMPLED_GENERATIONS = ["2/2/0", "3/2/3"];
const shapeKey = (s: Shape) => `${s.operational}/${s.recovery}/${s.failover}`;
/**
 * Every shape and start with a separate rewrap; with the combined rotate, the rotations (an initialisation has no
 * current key, so it never rotates: its calls are the separate backend's) and, in a full run, the initialisations too.
 * A sampled run (CI) leaves out the one-operational-unit edge cases and sweeps initialisations on four shapes.
 */
type Job = { readonly kind: "simulator"; readonly shape: Shape; readonly start: Start; readonly rotation: "separate" | "combined" } | { readonly kind: "tke"; readonly via: TkeVia; readonly shape: Shape; readonly ceremony?: TkeCeremony };
const sampled = (shape: Shape, start: Start) =>
  shape.operational > 1 && (start === "rotation" || (start === "initialisation" ? SAMPLED_INITIALISATIONS : SAMPLED_GENERATIONS).includes(shapeKey(shape)));
/** A generation needs recovery units; an initialisation never rotates, so the combined shape adds nothing to it unless full. */
const applies = (shape: Shape, start: Start, rotation: "separate" | "combined") => (start === "generation" ? shape.recovery > 0 : FULL || rotation === "separate" || start === "rotation");
const SIMULATOR_JOBS: Job[] = CAPABILITY_CHOICES.rotation.flatMap((rotation) =>
  SHAPES.flatMap((shape) =>
    STARTS.filter((start) => applies(shape, start, rotation) && (FULL || sampled(shape, start))).map((start) => ({ kind: "simulator" as const, shape, start, rotation })),
  ),
);
/**
 * Through IBM's CLI as the TKE CLI backend drives it, against the ibmcloud emulator's process, at every point, on three
 * shapes; and through the TKE API with the CLI for load and rotate (tke-api+cli), against both emulators.
 */
const TKE_JOBS: Job[] = [
  { kind: "tke", via: "tke-cli", shape: { operational: 2, recovery: 0, failover: 0 } },
  { kind: "tke", via: "tke-cli", shape: { operational: 2, recovery: 2, failover: 0 } },
  { kind: "tke", via: "tke-cli", shape: { operational: 3, recovery: 0, failover: 2 } },
  { kind: "tke", via: "tke-api+cli", shape: { operational: 2, recovery: 0, failover: 2 } },
  { kind: "tke", via: "tke-cli", shape: { operational: 2, recovery: 2, failover: 0 }, ceremony: "generation" },
];
/** `CRASH_ONLY=generation` (or `tke-cli`, `tke-cli:generation`, `initialisation`, …) runs only the jobs of that kind: for working on one. */
const only = process.env.CRASH_ONLY;
const kindsOf = (job: Job) => (job.kind === "tke" ? [job.via, `${job.via}:${job.ceremony ?? "keyParts"}`] : [job.start]);
const JOBS: Job[] = [...SIMULATOR_JOBS, ...TKE_JOBS].filter((job) => only === undefined || kindsOf(job).includes(only));

interface JobReport {
  readonly job: string;
  readonly points: number;
  readonly passed: number;
  readonly refused: number;
  /** Refused because nothing recorded the declared files' key (a run died during their load), then converged once it was declared. */
  readonly confirmed: number;
  /** Interference scenarios whose interference had nothing to act on: the same as their undisturbed twin. */
  readonly twins: number;
  readonly interfered: number;
  /** Scenarios run (passed or failed) per backend shape, `capabilitiesLabel`. */
  readonly byShape: Record<string, number>;
  readonly failures: string[];
}

/** A job through the ibmcloud emulator: the TKE CLI ceremony's points, each resumed with the journal and without. */
async function tkeWorker(job: Extract<Job, { kind: "tke" }>): Promise<JobReport> {
  const template = await prepareTkeTemplate(job.shape, job.via, job.ceremony);
  const scenarios = tkeScenariosFor(template);
  const through = job.via === "tke-cli" ? "the ibmcloud emulator" : "the TKE API and ibmcloud emulators";
  const report: JobReport = { job: `${job.via} ${job.ceremony === "generation" ? "generation (auto-mk-rotate)" : "rotation"} ${job.shape.operational}op/${job.shape.recovery}rec/${job.shape.failover}fo through ${through}`, points: scenarios.length / 2, passed: 0, refused: 0, confirmed: 0, twins: 0, interfered: 0, byShape: {}, failures: [] };
  for (const scenario of scenarios) {
    const result = await runTkeScenario(scenario);
    report.byShape[`${job.via} (emulator)`] = (report.byShape[`${job.via} (emulator)`] ?? 0) + 1;
    if (result.outcome === "failed") report.failures.push(`FAILED ${describeTkeScenario(scenario)}\n    ${result.problems.join("\n    ")}`);
    else {
      Object.assign(report, {
        passed: report.passed + 1,
        refused: report.refused + (result.outcome === "refusedUnchanged" ? 1 : 0),
        confirmed: report.confirmed + (result.outcome === "confirmedUnknownKey" ? 1 : 0),
        interfered: report.interfered + (scenario.replacesPendingKey ? 1 : 0),
      });
    }
  }
  template.fixture.cleanup();
  return report;
}

/** A worker runs one job and prints its JSON report. */
async function worker(index: number): Promise<void> {
  const job = JOBS[index];
  if (job.kind === "tke") {
    process.stdout.write(`${JSON.stringify(await tkeWorker(job))}\n`);
    return;
  }
  const { shape, start, rotation } = job;
  const template = await prepareTemplate(shape, start, rotation);
  const report: JobReport = { job: `${start} ${shape.operational}op/${shape.recovery}rec/${shape.failover}fo, ${rotation} rotation`, points: crashPoints(template).length, passed: 0, refused: 0, confirmed: 0, twins: 0, interfered: 0, byShape: {}, failures: [] };
  for (const scenario of scenariosFor(template, { full: FULL })) {
    const result = await runScenario(scenario);
    const label = capabilitiesLabel(scenario.capabilities);
    if (result.outcome !== "twin") report.byShape[label] = (report.byShape[label] ?? 0) + 1;
    if (result.outcome === "failed") report.failures.push(`FAILED ${describeScenario(scenario)}\n    ${result.problems.join("\n    ")}`);
    else if (result.outcome === "twin") Object.assign(report, { twins: report.twins + 1 });
    else {
      Object.assign(report, {
        passed: report.passed + 1,
        refused: report.refused + (result.outcome === "refusedUnchanged" ? 1 : 0),
        confirmed: report.confirmed + (result.outcome === "confirmedUnknownKey" ? 1 : 0),
        interfered: report.interfered + (scenario.interference === "none" ? 0 : 1),
      });
    }
  }
  template.fixture.cleanup();
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

/** Jobs heaviest first (rotations, then more units), so the last ones to finish are short: the cores stay busy. */
function byCost(): number[] {
  const cost = (i: number) => {
    const job = JOBS[i];
    const units = job.shape.operational + job.shape.recovery + job.shape.failover;
    // A scenario through the emulator costs a few seconds of processes; one on the simulator, milliseconds.
    if (job.kind === "tke") return 40 * units;
    return (job.start === "rotation" ? 2 : 1) * (job.rotation === "combined" ? 1.5 : 1) * units;
  };
  return JOBS.map((_, i) => i).sort((a, b) => cost(b) - cost(a));
}

/**
 * The check simulates process deaths, not power loss, so its scratch copies need no durable disk: on Linux they go to
 * the memory filesystem unless TMPDIR says otherwise, which spares the run tens of thousands of fsyncs.
 */
function scratchDir(): NodeJS.ProcessEnv {
  return !process.env.TMPDIR && existsSync("/dev/shm") ? { TMPDIR: "/dev/shm" } : {};
}

async function parent(): Promise<number> {
  const started = Date.now();
  const workers = Math.max(1, Math.min(Number(process.env.CRASH_WORKERS) || availableParallelism(), JOBS.length));
  const reports: JobReport[] = [];
  const queue = byCost();
  const runJob = (index: number) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [...process.execArgv, process.argv[1]], { env: { ...process.env, ...scratchDir(), CRASH_JOB: String(index) }, stdio: ["ignore", "pipe", "inherit"] });
      let output = "";
      child.stdout.on("data", (d: Buffer) => (output += d.toString()));
      child.on("error", reject);
      child.on("close", (code) => {
        if (code !== 0) return reject(new Error(`crash-check job ${index} exited with ${code}`));
        const report = JSON.parse(output) as JobReport;
        reports.push(report);
        console.log(
          `${report.job}: ${report.passed}/${report.passed + report.failures.length} scenarios over ${report.points} crash points, ${report.interfered} of them with another person's interference (${((Date.now() - started) / 1000).toFixed(0)}s)`,
        );
        resolve();
      });
    });
  // One worker process per core, each taking the next job from the queue as it finishes one.
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) await runJob(next);
    }),
  );
  const failures = reports.flatMap((r) => r.failures);
  const passed = reports.reduce((n, r) => n + r.passed, 0);
  for (const failure of failures.slice(0, 20)) console.log(failure);
  if (failures.length > 20) console.log(`… and ${failures.length - 20} more failures`);
  if (reports.length !== JOBS.length) failures.push(`only ${reports.length} of ${JOBS.length} jobs reported`);
  console.log(`refused without change: ${reports.reduce((n, r) => n + r.refused, 0)}`);
  console.log(`refused for a pending key nothing said the declared files made, then converged once it was declared: ${reports.reduce((n, r) => n + r.confirmed, 0)}`);
  console.log(`with interference: ${reports.reduce((n, r) => n + r.interfered, 0)} run, ${reports.reduce((n, r) => n + r.twins, 0)} skipped as identical to their undisturbed twin (nothing to interfere with)`);
  const byShape = new Map<string, number>();
  for (const r of reports) for (const [label, n] of Object.entries(r.byShape)) byShape.set(label, (byShape.get(label) ?? 0) + n);
  console.log(`per backend shape (rewrap status/rotation/VP binding/key parts): ${[...byShape].map(([label, n]) => `${label} ${n}`).join(", ")}`);
  console.log(`crash scenarios: ${passed} passed, ${failures.length} failed`);
  return failures.length === 0 ? 0 : 1;
}

const job = process.env.CRASH_JOB;
const run = job !== undefined ? worker(Number(job)).then(() => 0) : parent();
run.then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(2);
  },
);
