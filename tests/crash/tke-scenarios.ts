import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Backend, MutatingCommand } from "../../src/engine/port/backend";
import { readFileSync } from "node:fs";
import { armFault, keyStorageReaders, SimulatedCrash, verifyKeyStorage, type FaultSpec } from "../../src/backends/simulator";
import { openTkeCli, spawnPty } from "../../src/backends/tke-cli";
import { endpointsFor, openTkeApi } from "../../src/backends/tke-api";
import { installEmulator } from "../../src/emulator/ibmcloud/install";
import { startTkeApiEmulator, type TkeApiEmulator, type TkeApiFault } from "../../src/emulator/tke-api/server";
import type { TrustAnchor } from "../../src/protocol/ibm-roots";
import { Executor, type RunResult } from "../../src/engine/executor";
import type { Desired } from "../../src/engine/plan";
import { journalBinding, journalLearnedVp, type Journal } from "../../src/engine/journal";
import { observe } from "../../src/engine/observe";
import { openOwnKeyPartFile } from "../../src/files/key-parts";
import { openSigners } from "../../src/files/signature-keys";
import { sameVp, type Vp } from "../../src/model/vp";
import { beforeFirstCommit, replacePendingKey } from "../helpers/operator";
import { createTkeFixture, type TkeFixture } from "../helpers/tke-fixture";
import { audit, type Audit, type AuditedCall } from "./audited-backend";
import { evidenceProblems, runRecorded, type EvidenceSink } from "./evidence";
import type { Shape } from "./scenarios";
import { CLI_WORDS } from "../../src/cli/shell-words";

/**
 * The crash-point check through IBM's CLI as the TKE CLI backend drives it, against the ibmcloud emulator's process:
 * every point of the CLI ceremony (a rotation to IBM's own key part files, learned at the load) at which the plug-in
 * dies (a SIGKILL of its process: before or after its HSM request on each unit, mid-rewrap, after the marker and k
 * promotions, with the marker line cut off) or our own process dies (before or after each command the engine sends),
 * resumed by a fresh run with the journal and without. The per-record audit of invariants 1–3 runs on every engine
 * call of both runs; a resumed run must converge, or refuse without changing anything (and, refused for a pending key
 * nothing said the files made, converge once an operator declares it).
 *
 * The same runs through `tke-api+cli` (the TKE API emulator in front of the same instance): load and rotate through the
 * plug-in, commit and set immediate through the API, whose points are a 500 before a command and a connection dropped
 * after it took effect; and another person who replaces a pending key between the observation and the commit (the
 * HSM refuses the commit: the resumed run must refuse without changing anything, or converge).
 */

/** Which backend drives the ceremony: IBM's CLI alone, or the TKE API with the CLI for load and rotate. */
export type TkeVia = "tke-cli" | "tke-api+cli";

/**
 * The ceremony: a rotation to IBM's own key part files, or to a key generated in a recovery unit (`auto-mk-rotate`,
 * whose key the plug-in never prints: each run's key is whatever it generated, judged by the registers).
 */
export type TkeCeremony = "keyParts" | "generation";

export interface TkeTemplate {
  readonly via: TkeVia;
  readonly ceremony: TkeCeremony;
  readonly shape: Shape;
  readonly fixture: TkeFixture;
  /** The key the ceremony ends on: the key parts' key; undefined for a generation (a fresh key each time). */
  readonly desired: Vp | undefined;
  /** The key the instance starts on. */
  readonly fromVp: Vp;
  /** The engine's mutating calls of an undisturbed run. */
  readonly reference: readonly AuditedCall[];
}

export interface TkeScenario {
  readonly template: TkeTemplate;
  readonly label: string;
  /** Faults armed in the instance: they fire inside the emulated plug-in. */
  readonly faults: readonly FaultSpec[];
  /** Our process dies at the engine's n-th mutating call, before it is sent or after it returned. */
  readonly dies?: { readonly call: number; readonly when: "before" | "after" };
  /** Faults of the TKE API emulator (tke-api+cli). */
  readonly apiFaults?: readonly TkeApiFault[];
  /** Another person clears unit 0's new register and loads another key just before the engine's first commit. */
  readonly replacesPendingKey?: boolean;
  readonly resumeWithJournal: boolean;
}

export interface TkeResult {
  readonly outcome: "converged" | "refusedUnchanged" | "confirmedUnknownKey" | "failed";
  readonly problems: readonly string[];
}

interface Scratch {
  readonly dir: string;
  readonly via: TkeVia;
  /** The TKE API emulator in front of the scratch instance (tke-api+cli). */
  readonly api?: TkeApiEmulator;
}

async function openScratch(fixture: TkeFixture, scratch: Scratch, record: Audit, dies?: TkeScenario["dies"]): Promise<Backend> {
  const emulator = installEmulator(join(scratch.dir, "..", "emulator"), scratch.dir);
  const cli = await openTkeCli({
    instanceId: fixture.sim.instanceId,
    ibmcloud: emulator.executable,
    ibmcloudHome: emulator.home,
    apiKey: fixture.apiKey,
    apiEndpoint: "cloud.ibm.com",
    region: "us-south",
    resourceGroup: "default",
    environment: { PATH: process.env.PATH },
    openOwnKeyPart: openOwnKeyPartFile,
    spawn: spawnPty,
  });
  const backend = scratch.api
    ? openTkeApi({
        instanceId: fixture.sim.instanceId,
        region: "us-south",
        endpoints: endpointsFor({ region: "us-south", visibility: "public", testEndpoint: scratch.api.url }),
        apiKey: fixture.apiKey,
        anchors: JSON.parse(readFileSync(scratch.api.rootsFile, "utf8")) as TrustAnchor[],
        cli,
      })
    : cli;
  const audited = audit(backend, scratch.dir, fixture.sim.instanceId, record);
  return dies ? dyingAt(audited, record, dies) : audited;
}

async function startScratch(fixture: TkeFixture, via: TkeVia): Promise<Scratch> {
  const dir = copy(fixture);
  return { dir, via, api: via === "tke-api+cli" ? await startTkeApiEmulator({ simDir: dir, apiKey: fixture.apiKey }) : undefined };
}

async function endScratch(scratch: Scratch): Promise<void> {
  await scratch.api?.close();
  rmSync(join(scratch.dir, ".."), { recursive: true, force: true });
}

/** Our own process dies at the n-th mutating call: before it is sent, or after it returned and before anything else. */
function dyingAt(inner: Backend, record: Audit, dies: NonNullable<TkeScenario["dies"]>): Backend {
  let calls = 0;
  const wrap = <A extends unknown[], R>(command: MutatingCommand, call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const index = calls++;
      const die = () => {
        record.crashed = true;
        throw new SimulatedCrash(`our process, ${dies.when} ${command} (call ${index})`);
      };
      if (index === dies.call && dies.when === "before") die();
      const result = await call(...args);
      if (index === dies.call && dies.when === "after") die();
      return result;
    };
  return {
    ...inner,
    listUnits: () => inner.listUnits(),
    queryUnit: (u) => inner.queryUnit(u),
    rewrapStatus: () => inner.rewrapStatus(),
    select: wrap("select", inner.select.bind(inner)),
    deselect: wrap("deselect", inner.deselect.bind(inner)),
    loadNew: wrap("loadNew", inner.loadNew.bind(inner)),
    commitNew: wrap("commitNew", inner.commitNew.bind(inner)),
    clearNew: wrap("clearNew", inner.clearNew.bind(inner)),
    rewrap: wrap("rewrap", inner.rewrap.bind(inner)),
    rotate: wrap("rotate", inner.rotate.bind(inner)),
    setImmediate: wrap("setImmediate", inner.setImmediate.bind(inner)),
    generateNew: wrap("generateNew", inner.generateNew.bind(inner)),
    copyNew: wrap("copyNew", inner.copyNew.bind(inner)),
    autoRotate: wrap("autoRotate", inner.autoRotate.bind(inner)),
  };
}

function runFor(backend: Backend, template: TkeTemplate, journal: Journal | undefined, persist: (j: Journal) => void, options: { readonly expectedVp?: Vp; readonly sink?: EvidenceSink } = {}): Promise<RunResult> {
  const { fixture } = template;
  const signers = openSigners(fixture.sim.admins.map((a) => ({ file: a.file, password: a.password })));
  const expected = options.expectedVp ? { expectedVp: options.expectedVp } : {};
  const generation = template.ceremony === "generation";
  const desired: Desired = {
    // A generation wants a key in place of the one the instance started on, as pulumi up asks for it.
    key: generation ? { kind: "generated", replacing: template.fromVp, ...expected } : { kind: "files", ids: fixture.ibmKeyParts.ids, ...expected },
    words: CLI_WORDS, signerSkis: signers.keys.map((k) => k.ski),
  };
  return runRecorded(options.sink, backend, desired, journal, (hooks) =>
    new Executor({
      backend,
      desired,
      material: { keyParts: generation ? { kind: "files", files: [] } : fixture.ibmKeyParts.files, signers },
      journal,
      persist,
      retries: 3,
      newRotationId: hooks.newRotationId ?? (() => "rot-tke-crash-check"),
      ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
    }),
  );
}

export async function prepareTkeTemplate(shape: Shape, via: TkeVia = "tke-cli", ceremony: TkeCeremony = "keyParts"): Promise<TkeTemplate> {
  const fixture = await createTkeFixture({ shape, anyShape: true, admins: 1, records: 6, chunkSize: 4 });
  const scratch = await startScratch(fixture, via);
  const desired = ceremony === "keyParts" ? fixture.ibmKeyParts.vp : undefined;
  const base = { via, ceremony, shape, fixture, desired, fromVp: fixture.sim.keyParts[0].vp };
  try {
    const record: Audit = { calls: [], violations: [], crashed: false };
    const backend = await openScratch(fixture, scratch, record);
    try {
      const result = await runFor(backend, { ...base, reference: [] }, undefined, () => undefined);
      if (result.outcome !== "done" || record.violations.length > 0) throw new Error(`the undisturbed ${via} ${ceremony} on ${JSON.stringify(shape)} did not converge cleanly: ${record.violations.join("; ")}`);
    } finally {
      await backend.close?.();
    }
    return { ...base, reference: record.calls };
  } finally {
    await endScratch(scratch);
  }
}

function copy(fixture: TkeFixture): string {
  const root = mkdtempSync(join(tmpdir(), "hpcs-tke-crash-"));
  const dir = join(root, "sim");
  cpSync(fixture.sim.dir, dir, { recursive: true });
  return dir;
}

/**
 * Every point of the ceremony: the plug-in dies before or after its HSM request on every unit of each load and commit,
 * mid-rewrap after 0 and 3 records, after the marker and each number of promotions (the marker line kept, and cut
 * off); our process dies before and after each mutating call of the engine. Each is resumed with the journal and
 * without.
 */
export function tkeScenariosFor(template: TkeTemplate): TkeScenario[] {
  const points: Omit<TkeScenario, "template" | "resumeWithJournal">[] = [];
  const units = template.shape.operational + template.shape.recovery + template.shape.failover;
  // The backend names units by location; the plug-in's faults name the simulated unit behind it.
  const simulated = (location: string) => template.fixture.sim.units.find((u) => u.location === location)?.id;
  const viaApi = template.via === "tke-api+cli";
  const apiCommand = { commitNew: "commit", setImmediate: "finalize", clearNew: "clear" } as const;
  const apiPointsDone = new Set<string>();
  template.reference.forEach((call, index) => {
    if (viaApi && (call.command === "commitNew" || call.command === "setImmediate" || call.command === "clearNew")) {
      // Through the API, at the first such command: the service fails instead, or it takes effect and the answer is lost.
      const command = apiCommand[call.command];
      if (!apiPointsDone.has(command)) {
        apiPointsDone.add(command);
        points.push({ label: `HTTP 500 instead of the first ${command}`, faults: [], apiFaults: [{ fault: "httpStatus", status: 500, command }] });
        points.push({ label: `the connection drops after the first ${command} took effect`, faults: [], apiFaults: [{ fault: "dropAfterCommand", command }] });
      }
    } else if (call.command === "loadNew" || call.command === "commitNew") {
      for (const location of call.units) {
        for (const when of ["before", "after"] as const) {
          points.push({ label: `the plug-in dies ${when} ${call.command} on ${location}`, faults: [{ kind: "crash", when, command: call.command, unit: simulated(location) }] });
        }
      }
    }
    if (call.command === "autoRotate") {
      // auto-mk-rotate's own points: GEN_WK in the recovery unit, each copy, each commit, either side of the Delaying line.
      const source = template.fixture.sim.units.find((u) => u.type === "recovery")?.id;
      const ids = template.fixture.sim.units.map((u) => u.id);
      const copies = ids.filter((id) => id !== source);
      for (const when of ["before", "after"] as const) {
        points.push({ label: `the plug-in dies ${when} generating the key`, faults: [{ kind: "crash", when, command: "generateNew", unit: source }] });
        for (const unit of copies) points.push({ label: `the plug-in dies ${when} copying the key into ${unit}`, faults: [{ kind: "crash", when, command: "copyNew", unit }] });
        for (const unit of ids) points.push({ label: `the plug-in dies ${when} committing on ${unit}`, faults: [{ kind: "crash", when, command: "commitNew", unit }] });
        points.push({ label: `the plug-in dies just ${when} printing "Delaying 30 seconds…"`, faults: [{ kind: "crash", when, command: "autoRotate" }] });
      }
    }
    if (call.command === "rotate" || call.command === "autoRotate") {
      for (const afterRecords of [0, 3]) points.push({ label: `the plug-in dies mid-rewrap after ${afterRecords} records`, faults: [{ kind: "crashMidRewrap", afterRecords }] });
      for (let promoted = 0; promoted <= units; promoted++) {
        points.push({ label: `the plug-in dies after the marker and ${promoted} promotion(s)`, faults: [{ kind: "crashInRotate", promoted }] });
        points.push({ label: `the marker line is cut off, the plug-in dies after ${promoted} promotion(s)`, faults: [{ kind: "lostMarker" }, { kind: "crashInRotate", promoted }] });
      }
    }
    for (const when of ["before", "after"] as const) points.push({ label: `our process dies ${when} ${call.command} (call ${index})`, faults: [], dies: { call: index, when } });
  });
  if (viaApi) points.push({ label: "another person replaces unit 0's pending key just before the commit (the HSM refuses it)", faults: [], replacesPendingKey: true });
  return points.flatMap((p) => [true, false].map((resumeWithJournal) => ({ ...p, template, resumeWithJournal })));
}

export function describeTkeScenario(s: TkeScenario): string {
  const { shape } = s.template;
  return `${s.template.via} ${s.template.ceremony === "generation" ? "generation (auto-mk-rotate)" : "rotation"} ${shape.operational}op/${shape.recovery}rec/${shape.failover}fo, ${s.label}, resumed ${s.resumeWithJournal ? "with" : "without"} the journal`;
}

async function snapshot(backend: Backend, dir: string, instanceId: string): Promise<string> {
  const [observation, readers] = await Promise.all([observe(backend), keyStorageReaders(dir, instanceId)]);
  return JSON.stringify({ observation: observation.units.map((u) => [u.id, u.current, u.new]), readers });
}

/** Invariant 4: every unit on the ceremony's key (a generation's: one key, not the one it started on), every record under it. */
async function converged(backend: Backend, dir: string, template: TkeTemplate): Promise<string[]> {
  const problems: string[] = [];
  const units = (await observe(backend)).units;
  const target = template.desired ?? units[0]?.current.vp;
  if (template.desired === undefined && target !== undefined && sameVp(target, template.fromVp)) problems.push(`invariant 4: the generation ended on the key it started from, ${target.slice(0, 12)}`);
  for (const unit of units) {
    if (unit.current.status !== "Valid" || !sameVp(unit.current.vp, target) || unit.new.status !== "Empty") problems.push(`invariant 4: unit ${unit.id} ended with current ${unit.current.status} ${unit.current.vp.slice(0, 12)}, new ${unit.new.status}`);
  }
  const storage = await verifyKeyStorage(dir, template.fixture.sim.instanceId);
  problems.push(...storage.problems.map((p) => `invariant 4: ${p}`));
  const elsewhere = Object.entries(storage.byVp).filter(([vp, n]) => n > 0 && !sameVp(vp, target));
  if (elsewhere.length > 0) problems.push(`invariant 4: records left under ${elsewhere.map(([vp]) => vp.slice(0, 12)).join(", ")}`);
  return problems;
}

export async function runTkeScenario(scenario: TkeScenario): Promise<TkeResult> {
  const { template } = scenario;
  const { fixture } = template;
  const scratch = await startScratch(fixture, template.via);
  const { dir } = scratch;
  const record: Audit = { calls: [], violations: [], crashed: false };
  const problems: string[] = [];
  const backends: Backend[] = [];
  const open = async (dies?: TkeScenario["dies"]) => {
    const backend = await openScratch(fixture, scratch, record, dies);
    backends.push(backend);
    return backend;
  };
  let durable: Journal | undefined;
  try {
    for (const fault of scenario.faults) await armFault(dir, fixture.sim.instanceId, fault);
    for (const fault of scenario.apiFaults ?? []) scratch.api?.arm(fault);
    const first = await open(scenario.dies);
    // Run 1: stopped by the plug-in's death (then by the engine giving up), by our own, or by a refusal.
    const evidenceRoot = join(dir, "..", "evidence");
    const sink = { root: evidenceRoot, crashed: () => record.crashed };
    await runFor(scenario.replacesPendingKey ? beforeFirstCommit(first, () => replacePendingKey(dir, fixture.sim.instanceId)) : first, template, undefined, (j) => {
      if (!record.crashed) durable = j;
    }, { sink }).catch(() => undefined);
    record.crashed = false;
    problems.push(...evidenceProblems(evidenceRoot, "before the crash"));
    // Run 2: a fresh process, with the journal the first persisted, or none.
    const handed = scenario.resumeWithJournal ? durable : undefined;
    const second = await open();
    const before = await snapshot(second, dir, fixture.sim.instanceId);
    const result = await runFor(second, template, handed, () => undefined, { sink });
    problems.push(...record.violations, ...evidenceProblems(evidenceRoot, "by the crashed run and the one that resumed it"));
    if (result.outcome === "refused") {
      const markerJournaled = handed?.rewrapProof?.source === "marker" || (handed?.generated?.markerAt ?? null) !== null;
      if (markerJournaled) problems.push(`a run resumed with the journaled marker was refused (${result.refusal?.code})`);
      if (result.refusal?.code === "UnknownPendingKey" && journalLearnedVp(handed, journalBinding(second), fixture.ibmKeyParts.ids)) problems.push("refused UnknownPendingKey although the journal records what the files make");
      if (result.steps > 0 || before !== (await snapshot(second, dir, fixture.sim.instanceId))) problems.push(`invariant 5: refused (${result.refusal?.code}) after changing the instance`);
      const pending = result.phase.pendingVp;
      if (problems.length > 0) return { outcome: "failed", problems };
      // The person does what the refusal says: declares the pending key (for key parts, only where it is theirs).
      const declarable = template.ceremony === "generation" ? ["UnknownPendingKey", "ForeignPendingKey"] : ["UnknownPendingKey"];
      if (!declarable.includes(result.refusal?.code ?? "") || pending === undefined || (template.desired !== undefined && !sameVp(pending, template.desired))) return { outcome: "refusedUnchanged", problems: [] };
      const beforeThird = await snapshot(second, dir, fixture.sim.instanceId);
      const third = await runFor(await open(), template, result.journal, () => undefined, { expectedVp: pending, sink });
      problems.push(...record.violations);
      // A generation that stopped between copies, with no rewrap status to tell, stays refused even once declared.
      if (third.outcome === "refused" && template.ceremony === "generation" && third.refusal?.code === "CannotFinishRotation") {
        if (third.steps > 0 || beforeThird !== (await snapshot(second, dir, fixture.sim.instanceId))) problems.push("invariant 5: the declared run was refused after changing the instance");
        return { outcome: problems.length ? "failed" : "refusedUnchanged", problems };
      }
      if (third.outcome !== "done") problems.push(`with the pending key declared, the run was refused (${third.refusal?.code})`);
      problems.push(...(await converged(second, dir, template)));
      return { outcome: problems.length ? "failed" : "confirmedUnknownKey", problems };
    }
    problems.push(...(await converged(second, dir, template)));
    return { outcome: problems.length ? "failed" : "converged", problems };
  } catch (error) {
    return { outcome: "failed", problems: [...problems, ...record.violations, `the resumed run threw: ${(error as Error).stack ?? String(error)}`] };
  } finally {
    for (const b of backends) await b.close?.().catch(() => undefined);
    await endScratch(scratch);
  }
}
