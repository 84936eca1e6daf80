import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Backend } from "../../src/backends/backend";
import { checkKeyStorageReadable, isSimulatedCrash, openSimulator, verifyKeyStorage, type FaultSpec } from "../../src/backends/simulator";
import { Executor } from "../../src/engine/executor";
import type { Journal } from "../../src/engine/journal";
import { observe } from "../../src/engine/observe";
import { sameVp, type Vp } from "../../src/model/vp";
import { instantClock } from "../helpers/clocks";
import { createSimFixture, throwingCrash, type SimFixture } from "../helpers/sim-fixture";
import { audit, type Audit, type AuditedCall } from "./audited-backend";

/**
 * The exhaustive crash-point check (issue "rotation engine"): for every instance shape and every point at which a
 * process can die or a call can fail during a rotation, stop there, resume with a fresh executor that has the
 * journal or none, and require convergence (or a refusal that changed nothing), with invariants 1–3 audited on every
 * single call and 4–5 checked at the end.
 */

export interface Shape {
  readonly operational: number;
  readonly recovery: number;
  readonly failover: number;
}

export type Start = "rotation" | "initialisation";

export interface Template {
  readonly shape: Shape;
  readonly start: Start;
  readonly fixture: SimFixture;
  readonly desired: Vp;
  /** The mutating calls of an undisturbed run: every one is a crash point. */
  readonly reference: readonly AuditedCall[];
}

export interface Scenario {
  readonly template: Template;
  readonly label: string;
  readonly fault: FaultSpec;
  readonly resumeWithJournal: boolean;
}

export interface ScenarioResult {
  readonly scenario: Scenario;
  readonly outcome: "converged" | "refusedUnchanged" | "failed";
  readonly problems: readonly string[];
}

function executorFor(backend: Backend, template: Template, journal: Journal | undefined, persist: (j: Journal) => void): Executor {
  const { fixture } = template;
  const set = fixture.keyParts[1];
  return new Executor({
    backend,
    desired: { vp: template.desired, signerSkis: fixture.admins.map((a) => a.key.ski) },
    material: { keyParts: set.material, signers: fixture.signers },
    journal,
    persist,
    clock: instantClock(),
    retries: 3,
    newRotationId: () => "rot-crash-check",
  });
}

export async function prepareTemplate(shape: Shape, start: Start): Promise<Template> {
  const fixture = await createSimFixture({ shape, anyShape: true, initialized: start === "rotation", records: start === "rotation" ? 6 : 0, chunkSize: 4, keyPartSets: 2 });
  const desired = fixture.keyParts[1].vp;
  const scratch = copyInstance(fixture);
  try {
    const record: Audit = { calls: [], violations: [], crashed: false };
    const backend = audit(await openSimulator({ dir: scratch, instanceId: fixture.instanceId, onCrash: throwingCrash }), scratch, fixture.instanceId, record);
    const result = await executorFor(backend, { shape, start, fixture, desired, reference: [] }, undefined, () => undefined).run();
    if (result.outcome !== "done" || record.violations.length > 0) throw new Error(`the undisturbed ${start} on ${JSON.stringify(shape)} did not converge cleanly: ${record.violations.join("; ")}`);
    return { shape, start, fixture, desired, reference: record.calls };
  } finally {
    rmSync(join(scratch, ".."), { recursive: true, force: true });
  }
}

function copyInstance(fixture: SimFixture): string {
  const root = mkdtempSync(join(tmpdir(), "hpcs-crash-"));
  const dir = join(root, "sim");
  cpSync(fixture.dir, dir, { recursive: true });
  return dir;
}

/** Every fault at every reference call: crash before/after, a hard failure before/after, a 500, a lost response, and crashes mid-rewrap. */
export function scenariosFor(template: Template): Scenario[] {
  const faults: { label: string; fault: FaultSpec }[] = [];
  const seen = new Map<string, number>();
  for (const call of template.reference) {
    const key = `${call.command}:${call.units.join(",")}`;
    const skip = seen.get(key) ?? 0;
    seen.set(key, skip + 1);
    const at = { command: call.command, skip, ...(call.units.length === 1 ? { unit: call.units[0] } : {}) };
    const where = `${call.command}${call.units.length === 1 ? `@${call.units[0].slice(0, 8)}` : ""}#${skip}`;
    faults.push(
      { label: `crash before ${where}`, fault: { kind: "crash", when: "before", ...at } },
      { label: `crash after ${where}`, fault: { kind: "crash", when: "after", ...at } },
      { label: `failure before ${where}`, fault: { kind: "fail", when: "before", ...at } },
      { label: `failure after ${where}`, fault: { kind: "fail", when: "after", ...at } },
      { label: `transient 500 at ${where}`, fault: { kind: "transient", ...at } },
      { label: `lost response of ${where}`, fault: { kind: "lostResponse", ...at } },
    );
    if (call.command === "rewrap") {
      for (const afterRecords of [0, 1, 3, 5]) faults.push({ label: `crash mid-rewrap after ${afterRecords} records`, fault: { kind: "crashMidRewrap", afterRecords } });
    }
  }
  return faults.flatMap(({ label, fault }) => [true, false].map((resumeWithJournal) => ({ template, label, fault, resumeWithJournal })));
}

async function snapshot(backend: Backend, dir: string, instanceId: string): Promise<string> {
  const [observation, storage] = await Promise.all([observe(backend), checkKeyStorageReadable(dir, instanceId)]);
  return JSON.stringify({ observation, byVp: storage.byVp });
}

/** runScenario — interrupt a run with the fault, resume it, and judge the end state. */
export async function runScenario(scenario: Scenario): Promise<ScenarioResult> {
  const { template } = scenario;
  const { fixture } = template;
  const dir = copyInstance(fixture);
  const problems: string[] = [];
  const record: Audit = { calls: [], violations: [], crashed: false };
  let durable: Journal | undefined;
  try {
    // Run 1: the fault stops it (a crash kills the "process": nothing it would persist afterwards is kept).
    const first = audit(await openSimulator({ dir, instanceId: fixture.instanceId, onCrash: throwingCrash, faults: [scenario.fault] }), dir, fixture.instanceId, record);
    try {
      await executorFor(first, template, undefined, (j) => {
        if (!record.crashed) durable = j;
      }).run();
    } catch (error) {
      if (!record.crashed && isSimulatedCrash(error)) problems.push("a crash was caught by the engine instead of ending the process");
    }
    // Run 2: a fresh process resumes, with the journal the first one persisted, or with none.
    record.crashed = false;
    const second = audit(await openSimulator({ dir, instanceId: fixture.instanceId, onCrash: throwingCrash }), dir, fixture.instanceId, record);
    const before = await snapshot(second, dir, fixture.instanceId);
    const result = await executorFor(second, template, scenario.resumeWithJournal ? durable : undefined, () => undefined).run();
    problems.push(...record.violations);
    if (result.outcome === "refused") {
      const after = await snapshot(second, dir, fixture.instanceId);
      if (result.steps > 0 || before !== after) problems.push(`invariant 5: the resumed run was refused (${result.refusal?.code}) after changing the instance`);
      return { scenario, outcome: problems.length ? "failed" : "refusedUnchanged", problems: problems.length ? problems : [`refused: ${result.refusal?.code}: ${result.refusal?.message}`] };
    }
    // Invariant 4: converged means every unit on the desired key, new registers Empty, every record under it and readable.
    const final = await observe(second);
    for (const unit of final.units) {
      if (unit.current.status !== "Valid" || !sameVp(unit.current.vp, template.desired) || unit.new.status !== "Empty") {
        problems.push(`invariant 4: unit ${unit.id} ended with current ${unit.current.status} ${unit.current.vp.slice(0, 12)}, new ${unit.new.status}`);
      }
    }
    const storage = await verifyKeyStorage(dir, fixture.instanceId);
    problems.push(...storage.problems.map((p) => `invariant 4: ${p}`));
    const elsewhere = Object.entries(storage.byVp).filter(([vp, n]) => n > 0 && !sameVp(vp, template.desired));
    if (elsewhere.length > 0) problems.push(`invariant 4: records left under ${elsewhere.map(([vp, n]) => `${vp.slice(0, 12)} (${n})`).join(", ")}`);
    return { scenario, outcome: problems.length ? "failed" : "converged", problems };
  } catch (error) {
    return { scenario, outcome: "failed", problems: [...problems, ...record.violations, `the resumed run threw: ${(error as Error).stack ?? String(error)}`] };
  } finally {
    rmSync(join(dir, ".."), { recursive: true, force: true });
  }
}

export function describeScenario(s: Scenario): string {
  const { shape } = s.template;
  return `${s.template.start} ${shape.operational}op/${shape.recovery}rec/${shape.failover}fo, ${s.label}, resumed ${s.resumeWithJournal ? "with" : "without"} the journal`;
}
