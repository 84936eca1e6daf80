import type { Backend } from "../src/engine/port/backend";
import type { CreateSimulatedInstanceOptions } from "../src/backends/simulator";
import { Executor } from "../src/engine/executor";
import { createSimFixture, type SimFixture } from "../tests/helpers/sim-fixture";
import { dependentDepth, type CallLog } from "./call-log";
import { rawRewrapMs } from "./raw-crypto";
import { median } from "./report";
import { CLI_WORDS } from "../src/cli/shell-words";

/**
 * A full rotation through the engine (Executor → simulator with latency L), against its lower bound.
 *
 * The lower bound (bench/README.md, "The lower bound"): a rotation is four dependent commands, loadNew → commitNew →
 * rewrap → setImmediate (per-unit commands in parallel: one round trip each). DESIGN §4 demands a fresh observation
 * before every mutating step, and the run ends with one more that proves convergence. The first observation needs
 * two round trips (the unit ids are not known yet); every later one can be a single round trip, because the ids are
 * known and the listing can go out together with the unit queries. The rewrap's own crypto is work no latency
 * hides: its raw AES-256-GCM time is added.
 *
 *   bound = (2 + 2 × 4) × L + raw rewrap time
 *   minimum calls = 5 observations × (n + 2) + 3 per-unit commands × n + 1 rewrap = 8n + 11
 */
export interface Shape {
  /** The figure names' infix, e.g. `2units`. */
  readonly name: string;
  readonly units: NonNullable<CreateSimulatedInstanceOptions["shape"]>;
  readonly description: string;
}

export const SHAPES: readonly Shape[] = [
  { name: "2units", units: { operational: 2, recovery: 0, failover: 0 }, description: "2 operational" },
  { name: "3units", units: { operational: 3, recovery: 0, failover: 0 }, description: "3 operational" },
  { name: "6units", units: { operational: 2, recovery: 2, failover: 2 }, description: "2 operational + 2 recovery + 2 failover" },
];

/** A realistic small key storage: a few hundred KMS root keys. */
export const SMALL_KEY_STORAGE = 200;

/** The dependent commands of a rotation from Active, every unit already selected. */
export const ROTATION_COMMANDS = ["loadNew", "commitNew", "rewrap", "setImmediate"] as const;

/** Round trips on the critical path: the first observation (2), then each command (1) and the observation after it (1). */
export const BOUND_DEPTH = 2 + 2 * ROTATION_COMMANDS.length;

export function unitCount(shape: Shape): number {
  return shape.units.operational + shape.units.recovery + shape.units.failover;
}

/** Backend calls a rotation cannot do without: an observation is a listing, the rewrap status and one query per unit. */
export function minimumRotationCalls(units: number): number {
  const observations = ROTATION_COMMANDS.length + 1;
  const perUnitCommands = ROTATION_COMMANDS.length - 1;
  return observations * (units + 2) + perUnitCommands * units + 1;
}

export interface RotationFigures {
  readonly wallMs: number;
  readonly boundMs: number;
  readonly depth: number;
  readonly calls: number;
  readonly minimumCalls: number;
}

interface RotationRun {
  readonly wallMs: number;
  readonly depth: number;
  readonly calls: number;
}

/** One rotation from key part set 0 to set 1 on a fresh instance; checks it converged and every record is readable. */
async function rotateOnce(shape: Shape, latencyMs: number, log: CallLog): Promise<RotationRun> {
  const fixture = await createSimFixture({ shape: shape.units, records: SMALL_KEY_STORAGE });
  try {
    const backend = await fixture.open({ latencyMs });
    const executor = executorFor(fixture, backend);
    log.reset();
    const started = performance.now();
    const result = await executor.run();
    const wallMs = performance.now() - started;
    const calls = log.reset();
    if (result.outcome !== "done" || result.steps !== ROTATION_COMMANDS.length) {
      throw new Error(`the ${shape.name} rotation ended ${result.outcome} after ${result.steps} steps (phase ${result.phase.name}), not done after ${ROTATION_COMMANDS.length}`);
    }
    const storage = await fixture.check();
    if (storage.problems.length > 0 || storage.byVp[fixture.keyParts[1].vp] !== SMALL_KEY_STORAGE) {
      throw new Error(`the ${shape.name} rotation left key storage wrong: ${storage.problems.join("; ") || JSON.stringify(storage.byVp)}`);
    }
    return { wallMs, depth: dependentDepth(calls), calls: calls.length };
  } finally {
    fixture.cleanup();
  }
}

function executorFor(fixture: SimFixture, backend: Backend): Executor {
  const target = fixture.keyParts[1];
  return new Executor({
    backend,
    desired: { key: { kind: "vp", vp: target.vp }, words: CLI_WORDS, signerSkis: fixture.signers.keys.map((k) => k.ski) },
    material: { keyParts: target.material, signers: fixture.signers },
    owner: "bench",
  });
}

/** measureRotation — the median of `runs` rotations of `shape` at latency L (each on a fresh instance). */
export async function measureRotation(shape: Shape, latencyMs: number, runs: number, log: CallLog): Promise<RotationFigures> {
  const measured: RotationRun[] = [];
  for (let i = 0; i < runs; i++) measured.push(await rotateOnce(shape, latencyMs, log));
  const rawMs = median([rawRewrapMs(SMALL_KEY_STORAGE), rawRewrapMs(SMALL_KEY_STORAGE), rawRewrapMs(SMALL_KEY_STORAGE)]);
  return {
    wallMs: median(measured.map((r) => r.wallMs)),
    boundMs: BOUND_DEPTH * latencyMs + rawMs,
    depth: Math.max(...measured.map((r) => r.depth)),
    calls: Math.max(...measured.map((r) => r.calls)),
    minimumCalls: minimumRotationCalls(unitCount(shape)),
  };
}

/** A rotation at latency 0, unmeasured: loads every module and warms the JIT so the first measured run is not penalised. */
export async function warmUp(log: CallLog): Promise<void> {
  await rotateOnce(SHAPES[0], 0, log);
}
