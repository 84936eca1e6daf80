import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Backend } from "../../src/engine/port/backend";
import { ALL_CAPABILITIES, capabilitiesLabel, CLI_LIKE_CAPABILITIES, DEFAULT_CAPABILITIES, type Capabilities } from "../../src/engine/port/capabilities";
import { checkKeyStorageReadable, isSimulatedCrash, openSimulator, verifyKeyStorage, type FaultSpec } from "../../src/backends/simulator";
import { situationCode, type Attestation } from "../../src/engine/attestation";
import { Executor, type RunResult } from "../../src/engine/executor";
import type { Desired } from "../../src/engine/plan";
import { journalBinding, journalLearnedVp, type Journal } from "../../src/engine/journal";
import { observe } from "../../src/engine/observe";
import { sameVp, type Vp } from "../../src/model/vp";
import { instantClock } from "../helpers/clocks";
import { leavesEveryRecordReadable } from "../helpers/operator";
import { createSimFixture, throwingCrash, type SimFixture } from "../helpers/sim-fixture";
import { openKeyPartFiles } from "../../src/files/key-parts";
import { audit, type Audit, type AuditedCall } from "./audited-backend";
import { evidenceProblems, runRecorded, type EvidenceSink } from "./evidence";
import { CLI_WORDS } from "../../src/cli/shell-words";

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

/** What the run does: a rotation to key parts, a first-time initialisation, or a rotation to a key generated in a recovery unit. */
export type Start = "rotation" | "initialisation" | "generation";

export interface Template {
  readonly shape: Shape;
  readonly start: Start;
  /** The backend's rotation shape: its reference calls differ (rewrap then set immediate, or one rotate). */
  readonly rotation: Capabilities["rotation"];
  readonly fixture: SimFixture;
  /** The key the run converges to: the key parts' (a generation's key is random: then the key it replaces, `from`). */
  readonly desired: Vp;
  /** The mutating calls of an undisturbed run: every one is a crash point. */
  readonly reference: readonly AuditedCall[];
}

/**
 * What another person does between the crash and the resumed run: an operator with IBM's CLI (promoting a unit early,
 * clearing the pending key, loading a foreign key), or a journal handed to the resumed run that must not count (the
 * closed journal of an earlier rotation, another instance's journal claiming the rewrap done).
 */
export const INTERFERENCES = ["none", "promoteOneEarly", "clearPending", "loadForeign", "staleJournal", "foreignJournal"] as const;
export type Interference = (typeof INTERFERENCES)[number];
const JOURNAL_INTERFERENCES: readonly Interference[] = ["staleJournal", "foreignJournal"];

export interface Scenario {
  readonly template: Template;
  readonly label: string;
  /** The faults of the first run (two where a lost marker is followed by a crash). */
  readonly faults: readonly FaultSpec[];
  readonly resumeWithJournal: boolean;
  readonly interference: Interference;
  /**
   * The backend's shape (its rotation is the template's). Whether it reports the rewrap (the simulator as HPCS's
   * status query) or cannot (as the TKE CLI) matters most: without the report, the journal's proof is what allows a
   * promotion, and the journal interferences are put to the test.
   */
  readonly capabilities: Capabilities;
}

export interface ScenarioResult {
  readonly scenario: Scenario;
  /**
   * `twin`: the interference found nothing to act on at this point, so the scenario is its undisturbed twin and is not
   * run twice. `confirmedUnknownKey`: refused without change because nothing recorded what the declared files make (a
   * run died during their load), then converged once an operator declared the key, as the refusal says.
   */
  readonly outcome: "converged" | "refusedUnchanged" | "confirmedUnknownKey" | "twin" | "failed";
  readonly problems: readonly string[];
}

/**
 * The operator's attestation an initialisation needs from a backend that cannot report key storage: a new instance's
 * key storage is empty, and the operator says so for this situation (as the refusal would have asked).
 */
function initialisationAttestation(template: Template): Attestation {
  const situation = { instanceId: template.fixture.instanceId, targetVp: template.desired, fromVp: undefined, promoted: [] };
  return { vp: template.desired, code: situationCode(situation) };
}

function desiredFor(backend: Backend, template: Template, expectedVp?: Vp): Desired {
  const { fixture } = template;
  const set = fixture.keyParts[1];
  const opaque = backend.capabilities.keyParts === "opaque";
  const key =
    template.start === "generation"
      ? { kind: "generated" as const, replacing: fixture.keyParts[0].vp, ...(expectedVp ? { expectedVp } : {}) }
      : opaque
        ? { kind: "files" as const, ids: set.ids, ...(expectedVp ? { expectedVp } : {}) }
        : { kind: "vp" as const, vp: template.desired };
  return {
    key,
    words: CLI_WORDS, signerSkis: fixture.admins.map((a) => a.key.ski),
    ...(template.start === "initialisation" ? { rewrapAttestation: initialisationAttestation(template) } : {}),
  };
}

/**
 * A run as a shell makes it, its evidence recorded under `sink` (when given). The declared key as the backend's shape
 * takes it: the parts' VP, or the files whose key a load tells, with the VP declared only where an operator confirmed
 * it (`expectedVp`, after an UnknownPendingKey refusal).
 */
function runFor(backend: Backend, template: Template, journal: Journal | undefined, persist: (j: Journal) => void, options: { readonly expectedVp?: Vp; readonly sink?: EvidenceSink } = {}): Promise<RunResult> {
  const set = template.fixture.keyParts[1];
  const opaque = backend.capabilities.keyParts === "opaque";
  const keyParts = template.start === "generation" ? (opaque ? { kind: "files" as const, files: [] } : { kind: "material" as const, parts: [] }) : opaque ? set.files : set.material;
  const desired = desiredFor(backend, template, options.expectedVp);
  return runRecorded(options.sink, backend, desired, journal, (hooks) =>
    new Executor({
      backend,
      desired,
      material: { keyParts, signers: template.fixture.signers },
      journal,
      persist,
      clock: instantClock(),
      retries: 3,
      newRotationId: hooks.newRotationId ?? (() => "rot-crash-check"),
      ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
    }),
  );
}

export async function prepareTemplate(shape: Shape, start: Start, rotation: Capabilities["rotation"]): Promise<Template> {
  // One administrator and threshold 1: the check is about crash points, and each P-521 signature costs milliseconds.
  const initialized = start !== "initialisation";
  const fixture = await createSimFixture({ shape, anyShape: true, admins: 1, initialized, records: initialized ? 6 : 0, chunkSize: 4, keyPartSets: 3 });
  const desired = fixture.keyParts[start === "generation" ? 0 : 1].vp;
  const scratch = copyInstance(fixture);
  try {
    const record: Audit = { calls: [], violations: [], crashed: false };
    const backend = audit(await openSimulator({ dir: scratch, instanceId: fixture.instanceId, onCrash: throwingCrash, capabilities: { rotation }, openKeyPartFiles }), scratch, fixture.instanceId, record);
    const result = await runFor(backend, { shape, start, rotation, fixture, desired, reference: [] }, undefined, () => undefined);
    if (result.outcome !== "done" || record.violations.length > 0) throw new Error(`the undisturbed ${start} on ${JSON.stringify(shape)} did not converge cleanly: ${record.violations.join("; ")}`);
    return { shape, start, rotation, fixture, desired, reference: record.calls };
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

const PER_UNIT: ReadonlySet<string> = new Set(["loadNew", "commitNew", "clearNew", "setImmediate", "copyNew"]);

type Point = { readonly command: AuditedCall["command"]; readonly units: readonly string[] };

/**
 * A generation's own points (the simulator's, faults.ts): GEN_WK in the recovery unit, then each copy into another
 * unit; auto-mk-rotate adds each commit and its "Delaying 30 seconds…" line (command `autoRotate`), after which its
 * rewrap and promotions are swept as the combined rotate's.
 */
function generationPoints(template: Template, call: AuditedCall): Point[] {
  const units = template.fixture.units;
  const recovery = units.find((u) => u.type === "recovery")?.id as string;
  const others = call.units.filter((u) => u !== recovery);
  const generate: Point[] = [{ command: "generateNew", units: [recovery] }, ...others.map((u) => ({ command: "copyNew" as const, units: [u] }))];
  if (call.command === "generateNew") return generate;
  return [...generate, ...call.units.map((u) => ({ command: "commitNew" as const, units: [u] })), { command: "autoRotate", units: [] }];
}

/**
 * Where faults can strike an undisturbed run: a master key command on a set of units at each of its units (the
 * simulator's per-unit HSM requests), a generation at each of its own points, every other command once per call.
 */
export function crashPoints(template: Template): Point[] {
  return template.reference.flatMap((call): Point[] => {
    if (call.command === "generateNew" || call.command === "autoRotate") return generationPoints(template, call);
    return PER_UNIT.has(call.command) ? call.units.map((unit) => ({ command: call.command, units: [unit] })) : [call];
  });
}

/**
 * Every fault at every reference call (at every unit of a set command): crash before/after, a hard failure before/after, a 500, a lost response, and
 * crashes mid-rewrap; each resumed with the journal and without, against a backend that reports the rewrap and one
 * that cannot (sampled unless `full`). At every point where the process dies, each interference of another person
 * as well.
 */
export function scenariosFor(template: Template, options: { full: boolean } = { full: true }): Scenario[] {
  const faults: { label: string; faults: FaultSpec[] }[] = [];
  const seen = new Map<string, number>();
  for (const call of crashPoints(template)) {
    const key = `${call.command}:${call.units.join(",")}`;
    const skip = seen.get(key) ?? 0;
    seen.set(key, skip + 1);
    const at = { command: call.command, skip, ...(call.units.length === 1 ? { unit: call.units[0] } : {}) };
    const where = `${call.command}${call.units.length === 1 ? `@${call.units[0].slice(0, 8)}` : ""}#${skip}`;
    faults.push(
      { label: `crash before ${where}`, faults: [{ kind: "crash", when: "before", ...at }] },
      { label: `crash after ${where}`, faults: [{ kind: "crash", when: "after", ...at }] },
      { label: `failure before ${where}`, faults: [{ kind: "fail", when: "before", ...at }] },
      { label: `failure after ${where}`, faults: [{ kind: "fail", when: "after", ...at }] },
      { label: `transient 500 at ${where}`, faults: [{ kind: "transient", ...at }] },
      { label: `lost response of ${where}`, faults: [{ kind: "lostResponse", ...at }] },
    );
    // auto-mk-rotate's last point is its Delaying line: the rewrap and the promotions follow, as in the combined rotate.
    const rotates = call.command === "rotate" || (call.command === "autoRotate" && call.units.length === 0);
    if (call.command === "rewrap" || rotates) {
      for (const afterRecords of [0, 1, 3, 5]) faults.push({ label: `crash mid-rewrap after ${afterRecords} records`, faults: [{ kind: "crashMidRewrap", afterRecords }] });
    }
    if (rotates) {
      // After the marker: before any promotion, after k of n, after all of them (before the command returns); and the
      // same with the marker lost, the output cut off before the caller saw it.
      const units = template.shape.operational + template.shape.recovery + template.shape.failover;
      for (let promoted = 0; promoted <= units; promoted++) {
        faults.push({ label: `crash in rotate after the marker and ${promoted} promotion(s)`, faults: [{ kind: "crashInRotate", promoted }] });
        faults.push({ label: `marker lost, then a crash after ${promoted} promotion(s)`, faults: [{ kind: "lostMarker" }, { kind: "crashInRotate", promoted }] });
      }
      faults.push({ label: "marker lost, the rotate completes", faults: [{ kind: "lostMarker" }] });
    }
  }
  return faults.flatMap(({ label, faults: faultList }) => {
    const dies = faultList.some((f) => f.kind === "crash" || f.kind === "crashMidRewrap" || f.kind === "crashInRotate");
    return shapesFor(template.rotation, options.full).flatMap((capabilities) => {
      const sampled = !options.full && capabilities.rewrapStatus === "hidden";
      if (sampled && !dies) return [];
      const interferences = !dies ? (["none"] as const) : sampled ? UNREPORTED_SAMPLE : INTERFERENCES;
      return interferences.flatMap((interference) =>
        [true, false]
          .filter((resumeWithJournal) => resumeWithJournal || !JOURNAL_INTERFERENCES.includes(interference))
          .map((resumeWithJournal) => ({ template, label, faults: faultList, resumeWithJournal, interference, capabilities })),
      );
    });
  });
}

/**
 * The backend shapes a template is swept with: every combination with its rotation in a full run; in a sampled one,
 * for separate backends the default shape and one that cannot report the rewrap and opens the key part files itself
 * (the two ways they differ from the default, together), for combined ones the TKE CLI's (a combined backend that
 * reports the rewrap exists only in a full run: no real backend has that shape).
 */
function shapesFor(rotation: Capabilities["rotation"], full: boolean): Capabilities[] {
  const all = ALL_CAPABILITIES.filter((c) => c.rotation === rotation);
  if (full) return all;
  if (rotation === "combined") return [CLI_LIKE_CAPABILITIES];
  return [DEFAULT_CAPABILITIES, { ...DEFAULT_CAPABILITIES, rewrapStatus: "hidden", keyParts: "opaque" }];
}

/**
 * What the backend that cannot report the rewrap is swept with in a sampled run (CI; `CRASH_FULL=1` runs it all): every
 * point where the process dies, resumed undisturbed, after an early promotion, or handed a journal that must not
 * count, which is where this backend differs (the journal's proof decides). The faults that do not kill the process,
 * and the operator's other interferences, do not depend on the report and are swept with the reporting backend.
 */
const UNREPORTED_SAMPLE: readonly Interference[] = ["none", "promoteOneEarly", "staleJournal", "foreignJournal"];

/** What the resumed run is handed, and whether the interference changed anything (the instance or the journal). */
interface Interfered {
  readonly journal: Journal | undefined;
  readonly changed: boolean;
}

/** Applies the interference as an operator would with IBM's CLI, and returns the journal the resumed run is handed. */
async function interfere(scenario: Scenario, dir: string, durable: Journal | undefined): Promise<Interfered> {
  const { fixture } = scenario.template;
  const backend = await openSimulator({ dir, instanceId: fixture.instanceId, onCrash: throwingCrash });
  const journal = scenario.resumeWithJournal ? durable : undefined;
  const { units } = await observe(backend);
  const signers = fixture.signers;
  const mayRemove = (unit: string, vp: Vp) => leavesEveryRecordReadable(dir, fixture.instanceId, unit, vp);
  const acted = (command: Promise<void>) => command.then(
    () => ({ journal, changed: true }),
    () => ({ journal, changed: false }),
  );
  const untouched = { journal, changed: false };
  switch (scenario.interference) {
    case "none":
      return untouched;
    case "promoteOneEarly": {
      // One unit of a committed instance, leaving the others lagging (cryptounit-mk-setimm only warns).
      const [first, ...rest] = units;
      const committed = units.every((u) => u.new.status === "Full Committed");
      if (!committed || rest.length === 0 || (first.current.status === "Valid" && !(await mayRemove(first.id, first.current.vp)))) return untouched;
      return acted(backend.setImmediate({ units: [first.id], expectedVp: first.new.vp }, signers));
    }
    case "clearPending": {
      const pending = units.find((u) => u.new.status !== "Empty");
      if (!pending || !(await mayRemove(pending.id, pending.new.vp))) return untouched;
      return acted(backend.clearNew({ units: [pending.id], expectedVp: pending.new.vp }, signers));
    }
    case "loadForeign": {
      const empty = units.find((u) => u.new.status === "Empty");
      if (!empty) return untouched;
      return acted(backend.loadNew({ units: [empty.id], keyParts: fixture.keyParts[2].material, expectedVp: fixture.keyParts[2].vp }, signers).then(() => undefined));
    }
    case "staleJournal":
      return journal ? { journal: { ...journal, completedAt: journal.startedAt }, changed: true } : untouched;
    case "foreignJournal":
      return journal
        ? { journal: { ...journal, binding: journal.binding && { ...journal.binding, instanceId: "another-instance" }, rewrapProof: journal.targetVp === null ? null : { vp: journal.targetVp, source: "rewrap", at: journal.startedAt } }, changed: true }
        : untouched;
  }
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
    const open = (faults: readonly FaultSpec[] = []) => openSimulator({ dir, instanceId: fixture.instanceId, onCrash: throwingCrash, faults, capabilities: scenario.capabilities, openKeyPartFiles });
    const first = audit(await open(scenario.faults), dir, fixture.instanceId, record);
    const evidenceRoot = join(dir, "..", "evidence");
    const sink = { root: evidenceRoot, crashed: () => record.crashed };
    try {
      await runFor(first, template, undefined, (j) => {
        if (!record.crashed) durable = j;
      }, { sink });
    } catch (error) {
      if (!record.crashed && isSimulatedCrash(error)) problems.push("a crash was caught by the engine instead of ending the process");
    }
    problems.push(...evidenceProblems(evidenceRoot, "before the crash"));
    // Between the runs, another person may touch the instance or the journal (never audited: the engine must survive it).
    const handed = await interfere(scenario, dir, durable);
    if (scenario.interference !== "none" && !handed.changed) return { scenario, outcome: "twin", problems: [] };
    // Run 2: a fresh process resumes, with the journal the first one persisted (or the one it was handed), or with none.
    record.crashed = false;
    const second = audit(await open(), dir, fixture.instanceId, record);
    const before = await snapshot(second, dir, fixture.instanceId);
    const result = await runFor(second, template, handed.journal, () => undefined, { sink });
    problems.push(...record.violations, ...evidenceProblems(evidenceRoot, "by the crashed run and the one that resumed it"));
    if (result.outcome === "refused") {
      // The marker our journal recorded is the proof a combined backend gives: resumed with it, undisturbed, the run repairs.
      const markerJournaled = scenario.faults.some((f) => f.kind === "crashInRotate") && !scenario.faults.some((f) => f.kind === "lostMarker");
      if (markerJournaled && scenario.resumeWithJournal && scenario.interference === "none") problems.push(`a run resumed with the journaled marker was refused (${result.refusal?.code})`);
      // What a load of the declared files reported, once journaled on this instance, names their key: never unknown then.
      const learned = journalLearnedVp(handed.journal, journalBinding(second), fixture.keyParts[1].ids);
      if (result.refusal?.code === "UnknownPendingKey" && learned) problems.push("refused UnknownPendingKey although the journal it was handed records what the declared files make");
      // The load's report is journaled the moment the load returns: a fault after it, resumed undisturbed with the journal, never meets an unknown key.
      const afterLoad = scenario.faults.every((f) => !("command" in f) || (f.command !== "select" && f.command !== "loadNew" && f.command !== "generateNew"));
      if (result.refusal?.code === "UnknownPendingKey" && afterLoad && scenario.resumeWithJournal && scenario.interference === "none") problems.push("a run resumed with the journal of a load that had reported was refused UnknownPendingKey");
      const after = await snapshot(second, dir, fixture.instanceId);
      if (result.steps > 0 || before !== after) problems.push(`invariant 5: the resumed run was refused (${result.refusal?.code}) after changing the instance`);
      if (problems.length > 0) return { scenario, outcome: "failed", problems };
      const pending = result.phase.pendingVp;
      // What the operator can confirm: the declared files made the pending key (Activity Tracker), or the recovery units
      // hold it in their new register (a generation starts there).
      const confirmable =
        pending !== undefined &&
        (template.start === "generation" ? result.observation.units.some((u) => u.type === "recovery" && u.new.status !== "Empty" && sameVp(u.new.vp, pending)) : sameVp(pending, template.desired));
      if (result.refusal?.code !== "UnknownPendingKey" || !confirmable) {
        return { scenario, outcome: "refusedUnchanged", problems: [`refused: ${result.refusal?.code}: ${result.refusal?.message}`] };
      }
      // Run 3: the operator confirms the pending key (Activity Tracker, or the recovery units) and declares it.
      const declaredRun = audit(await open(), dir, fixture.instanceId, record);
      const beforeThird = await snapshot(declaredRun, dir, fixture.instanceId);
      const third = await runFor(declaredRun, template, result.journal, () => undefined, { expectedVp: pending, sink });
      problems.push(...record.violations);
      // A generation that stopped part-way on a backend that cannot report the rewrap stays with the operator (IBM's
      // rule reads the command's output) even once its key is declared: refused, and nothing changed.
      const partialGeneration = template.start === "generation" && third.refusal?.code === "CannotFinishRotation" && scenario.capabilities.rewrapStatus === "hidden";
      if (partialGeneration) {
        if (third.steps > 0 || beforeThird !== (await snapshot(declaredRun, dir, fixture.instanceId))) problems.push("invariant 5: the declared run was refused after changing the instance");
        return { scenario, outcome: problems.length ? "failed" : "refusedUnchanged", problems };
      }
      if (third.outcome !== "done") problems.push(`with the pending key declared as the refusal says, the run was refused (${third.refusal?.code}: ${third.refusal?.message})`);
      problems.push(...(await convergenceProblems(second, dir, template)));
      return { scenario, outcome: problems.length ? "failed" : "confirmedUnknownKey", problems };
    }
    problems.push(...(await convergenceProblems(second, dir, template)));
    return { scenario, outcome: problems.length ? "failed" : "converged", problems };
  } catch (error) {
    return { scenario, outcome: "failed", problems: [...problems, ...record.violations, `the resumed run threw: ${(error as Error).stack ?? String(error)}`] };
  } finally {
    rmSync(join(dir, ".."), { recursive: true, force: true });
  }
}

/**
 * Invariant 4: converged means every unit on the desired key (a generation: on one key other than the one it replaced),
 * new registers Empty, every record under it and readable.
 */
async function convergenceProblems(backend: Backend, dir: string, template: Template): Promise<string[]> {
  const problems: string[] = [];
  const final = await observe(backend);
  const generated = template.start === "generation";
  const target = generated ? final.units[0].current.vp : template.desired;
  if (generated && sameVp(target, template.desired)) problems.push("invariant 4: the generation ended on the key it was to replace");
  for (const unit of final.units) {
    if (unit.current.status !== "Valid" || !sameVp(unit.current.vp, target) || unit.new.status !== "Empty") {
      problems.push(`invariant 4: unit ${unit.id} ended with current ${unit.current.status} ${unit.current.vp.slice(0, 12)}, new ${unit.new.status}`);
    }
  }
  const storage = await verifyKeyStorage(dir, template.fixture.instanceId);
  problems.push(...storage.problems.map((p) => `invariant 4: ${p}`));
  const elsewhere = Object.entries(storage.byVp).filter(([vp, n]) => n > 0 && !sameVp(vp, target));
  if (elsewhere.length > 0) problems.push(`invariant 4: records left under ${elsewhere.map(([vp, n]) => `${vp.slice(0, 12)} (${n})`).join(", ")}`);
  return problems;
}

export function describeScenario(s: Scenario): string {
  const { shape } = s.template;
  const interference = s.interference === "none" ? "" : `, then ${s.interference}`;
  const backend = ` (backend ${capabilitiesLabel(s.capabilities)})`;
  return `${s.template.start} ${shape.operational}op/${shape.recovery}rec/${shape.failover}fo${backend}, ${s.label}${interference}, resumed ${s.resumeWithJournal ? "with" : "without"} the journal`;
}
