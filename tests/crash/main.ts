import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { describeScenario, prepareTemplate, runScenario, scenariosFor, type Shape, type Start } from "./scenarios";

/**
 * npm run check:crash — every crash point of a rotation and of a first-time initialisation, for instance shapes of
 * 1 to 3 operational units, with and without recovery and failover units. Work is split over one worker process
 * per core; the parent prints one line per shape and ends with `crash scenarios: N passed, 0 failed` (exit 1 on
 * any failure).
 */
const SHAPES: Shape[] = [];
for (const operational of [1, 2, 3]) {
  for (const recovery of [0, 2]) {
    for (const failover of [0, 2, 3].filter((f) => f <= operational)) SHAPES.push({ operational, recovery, failover });
  }
}
const STARTS: Start[] = ["rotation", "initialisation"];
const JOBS = SHAPES.flatMap((shape) => STARTS.map((start) => ({ shape, start })));

interface JobReport {
  readonly job: string;
  readonly points: number;
  readonly passed: number;
  readonly refused: number;
  /** Interference scenarios whose interference had nothing to act on: the same as their undisturbed twin. */
  readonly twins: number;
  readonly interfered: number;
  readonly failures: string[];
}

/** A worker runs every job whose index falls to it and prints one JSON report per job. */
async function worker(index: number, count: number): Promise<void> {
  for (const [i, { shape, start }] of JOBS.entries()) {
    if (i % count !== index) continue;
    const template = await prepareTemplate(shape, start);
    const report: JobReport = { job: `${start} ${shape.operational}op/${shape.recovery}rec/${shape.failover}fo`, points: template.reference.length, passed: 0, refused: 0, twins: 0, interfered: 0, failures: [] };
    for (const scenario of scenariosFor(template)) {
      const result = await runScenario(scenario);
      if (result.outcome === "failed") report.failures.push(`FAILED ${describeScenario(scenario)}\n    ${result.problems.join("\n    ")}`);
      else if (result.outcome === "twin") Object.assign(report, { twins: report.twins + 1 });
      else {
        Object.assign(report, {
          passed: report.passed + 1,
          refused: report.refused + (result.outcome === "refusedUnchanged" ? 1 : 0),
          interfered: report.interfered + (scenario.interference === "none" ? 0 : 1),
        });
      }
    }
    template.fixture.cleanup();
    process.stdout.write(`${JSON.stringify(report)}\n`);
  }
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
  await Promise.all(
    Array.from({ length: workers }, (_, index) =>
      new Promise<void>((resolve, reject) => {
        const child = spawn(process.execPath, [...process.execArgv, process.argv[1]], { env: { ...process.env, ...scratchDir(), CRASH_WORKER: `${index}/${workers}` }, stdio: ["ignore", "pipe", "inherit"] });
        let buffer = "";
        child.stdout.on("data", (d: Buffer) => {
          buffer += d.toString();
          for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
            const report = JSON.parse(buffer.slice(0, nl)) as JobReport;
            buffer = buffer.slice(nl + 1);
            reports.push(report);
            console.log(
              `${report.job}: ${report.passed}/${report.passed + report.failures.length} scenarios over ${report.points} crash points, ${report.interfered} of them with another person's interference (${((Date.now() - started) / 1000).toFixed(0)}s)`,
            );
          }
        });
        child.on("error", reject);
        child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`crash-check worker ${index} exited with ${code}`))));
      }),
    ),
  );
  const failures = reports.flatMap((r) => r.failures);
  const passed = reports.reduce((n, r) => n + r.passed, 0);
  for (const failure of failures.slice(0, 20)) console.log(failure);
  if (failures.length > 20) console.log(`… and ${failures.length - 20} more failures`);
  if (reports.length !== JOBS.length) failures.push(`only ${reports.length} of ${JOBS.length} jobs reported`);
  console.log(`refused without change: ${reports.reduce((n, r) => n + r.refused, 0)}`);
  console.log(`with interference: ${reports.reduce((n, r) => n + r.interfered, 0)} run, ${reports.reduce((n, r) => n + r.twins, 0)} skipped as identical to their undisturbed twin (nothing to interfere with)`);
  console.log(`crash scenarios: ${passed} passed, ${failures.length} failed`);
  return failures.length === 0 ? 0 : 1;
}

const role = process.env.CRASH_WORKER;
const run = role ? worker(Number(role.split("/")[0]), Number(role.split("/")[1])).then(() => 0) : parent();
run.then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(2);
  },
);
