import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { classify } from "../../engine/classify";
import { makesKeyCurrent, type Refusal } from "../../engine/decision";
import { knowDeclaredKey, knownVp } from "../../engine/declared-key";
import { Executor, ExecutionError, type RunResult } from "../../engine/executor";
import type { Journal } from "../../engine/journal";
import type { PhaseName } from "../../engine/phases";
import { startEvidenceRecord } from "../../files/evidence-log";
import { toolIdentity } from "../../files/tool";
import { interruptedRotationNotice, renderProgress } from "../../format/progress";
import { shortVp, type Vp } from "../../model/vp";
import { openCeremony, planCeremony, type CeremonyOptions, type OpenedCeremony } from "../ceremony";
import { cliConfig, displayPath } from "../config";
import type { CommandContext } from "../context";
import { CancelledError } from "../errors";
import { viewInstance } from "../instance-view";
import { writeJournalFile } from "../journal-file";
import { renderPlanSteps } from "../render/plan";
import { plain } from "../render/style";
import type { Report } from "../report";
import type { Phase } from "../../engine/phases";
import { keyAgeReport, type KeyAgeReport } from "../key-age";
import { unitLabeler, type Labeler, type UnitNum } from "../../format/unit-labels";

export interface RotateOptions extends CeremonyOptions {
  /** Run without asking for confirmation on a terminal. */
  readonly yes: boolean;
  /** Where the evidence of every ceremony is kept (`--evidence-dir`); default from the configuration. */
  readonly evidenceDir: string | undefined;
  /** Sign the run's evidence record with the first --signature-key (`--sign-evidence`). */
  readonly signEvidence: boolean;
}

export interface RotateReport extends Report, KeyAgeReport {
  readonly instanceId: string;
  /** The declared key's VP: declared, computed from the key parts, or learned from a load of them; null while unknown. */
  readonly desiredVp: Vp | null;
  readonly journalFile: string;
  /** Whether the journal file exists after the run (a refusal before any step writes none). */
  readonly journalKept: boolean;
  /** The phase last observed: Active when done. Null when the instance could not be observed. */
  readonly phase: PhaseName | null;
  /** Every unit by CRYPTO UNIT NUM, to read the ids in the refusal. */
  readonly units: readonly UnitNum[];
  /** Steps this run took. */
  readonly steps: number;
  /** Whether a step of this run made the declared key current (set immediate): false when it already was. */
  readonly rotatedThisRun: boolean;
  readonly refusal: Omit<Refusal, "kind"> | null;
  /** Why the run stopped after it may have changed something; running rotate again resumes. */
  readonly error: { readonly name: string; readonly message: string; readonly resume: string } | null;
  /** This run's evidence record: its file, id and the hash of its last entry; `problem` if it could not all be written. */
  readonly evidence: { readonly file: string; readonly id: string; readonly hash: string; readonly problem: string | null };
}

/** Shows the planned ceremony and asks, in TKE's words, before anything changes. Skipped when nothing would change. */
async function confirm(ceremony: OpenedCeremony, ctx: CommandContext): Promise<void> {
  const view = await viewInstance(ceremony.backend);
  const planned = planCeremony(view, ceremony);
  if (planned.steps.length === 0) return;
  renderPlanSteps(planned, plain).forEach((line) => ctx.progress(line));
  if (!(await ctx.prompter.confirm("Do you want to continue?\nAnswer [y/N]:"))) throw new CancelledError();
}

/** The run's evidence record, in the ceremony's file (checked before anything changes). */
function startEvidence(ceremony: OpenedCeremony, opts: RotateOptions, ctx: CommandContext): ReturnType<typeof startEvidenceRecord> {
  const evidence = startEvidenceRecord({
    root: resolve(ctx.cwd, opts.evidenceDir ?? cliConfig(opts, ctx).evidenceDir),
    run: { shell: "hpcs-mk", command: "hpcs-mk rotate", backend: ceremony.backend, tool: toolIdentity(), desired: ceremony.desired, keyPartSha256s: ceremony.keyPartSha256s },
    journal: ceremony.journal,
    binding: ceremony.binding,
    ...(opts.signEvidence ? { signWith: ceremony.signers.keys[0] } : {}),
  });
  ceremony.onTranscript((t) => evidence.recorder.transcript(t));
  return evidence;
}

/** What this run did, counted from its progress events. */
interface RunCounter {
  steps: number;
  rotated: boolean;
}

/** Runs the executor to the end, writing the journal file after every step and progress lines as they come. */
function execute(ceremony: OpenedCeremony, ctx: CommandContext, label: Labeler, counter: RunCounter, evidence: ReturnType<typeof startEvidence>, declared: Vp | null): Promise<RunResult> {
  const finishingFirst = interruptedRotationNotice(declared);
  return new Executor({
    backend: ceremony.backend,
    desired: ceremony.desired,
    material: { keyParts: ceremony.keyParts, signers: ceremony.signers },
    journal: ceremony.journal,
    persist: (journal) => writeJournalFile(ceremony.journalFile, journal),
    newRotationId: evidence.newRotationId,
    onProgress: (event) => {
      evidence.recorder.progress(event);
      const notice = finishingFirst(event);
      if (notice) ctx.progress(notice);
      if (event.type === "stepDone") {
        counter.steps++;
        if (makesKeyCurrent(event.action)) counter.rotated = true;
      }
      const line = renderProgress(event);
      if (line) ctx.progress(label(line));
    },
    // What another run is told holds the instance. The simulator takes over the lease of a holder that died.
    owner: `hpcs-mk (pid ${process.pid})`,
  }).run();
}

/**
 * rotate — converges the instance to the master key the declared key parts make: the Executor runs observe →
 * classify → plan → act until done or refused, writing the journal file after every step. Run again after any
 * interruption (a crash, Ctrl-C, an expired token) to resume from the registers and the journal.
 */
export async function rotate(opts: RotateOptions, ctx: CommandContext): Promise<RotateReport> {
  const ceremony = await openCeremony(opts, ctx);
  try {
    const units = (await ceremony.backend.listUnits()).map((u, i) => ({ num: i + 1, id: u.id }));
    const known = (journal: Journal | undefined) => knownVp(knowDeclaredKey(ceremony.desired.key, journal, ceremony.binding)) ?? null;
    // The key's age is recorded from what the run last saw: it resets only once a rotation completed.
    const age = (phase: Phase | undefined, journal: Journal | undefined) =>
      keyAgeReport({ instance: opts.instance, binding: ceremony.binding, phase, journal, periodDays: opts.rotationPeriodDays, record: true, source: opts.recoveryUnitKey ? "recoveryUnit" : "keyParts" }, ctx);
    const report = (outcome: RotateReport["outcome"], journal: Journal | undefined, phase: Phase | undefined, rest: Pick<RotateReport, "refusal" | "error">): RotateReport => {
      evidence.recorder.finish({ outcome: outcome === "ok" || outcome === "due" ? "done" : outcome, ...(phase?.name === "Active" && phase.currentVp ? { vp: phase.currentVp } : {}), ...(rest.error ? { message: rest.error.message } : rest.refusal ? { message: rest.refusal.message } : {}) });
      const problem = evidence.recorder.failure;
      return {
      command: "rotate",
      outcome,
      instanceId: opts.instance,
      // A generated key, once converged, is the current one.
      desiredVp: known(journal) ?? (ceremony.desired.key.kind === "generated" && outcome === "ok" ? (phase?.currentVp ?? null) : null),
      journalFile: ceremony.journalFile,
      journalKept: existsSync(resolve(ctx.cwd, ceremony.journalFile)),
      phase: phase?.name ?? null,
      steps: counter.steps,
      rotatedThisRun: counter.rotated,
      ...rest,
      units,
      ...age(phase, journal),
      evidence: { file: displayPath(ctx.cwd, evidence.recorder.file), ...evidence.recorder.latest, problem: problem ? `the evidence record stopped early: ${problem.message}` : null },
      };
    };
    const counter: RunCounter = { steps: 0, rotated: false };
    if (ctx.interactive && !opts.yes) await confirm(ceremony, ctx);
    const evidence = startEvidence(ceremony, opts, ctx);
    const target = known(ceremony.journal);
    const to = target ? shortVp(target) : ceremony.desired.key.kind === "generated" ? "a key generated in a recovery unit" : "the key the key part files make (learned when they are loaded)";
    ctx.progress(`rotating ${opts.instance} to ${to} on ${ceremony.backend.description}; journal ${ceremony.journalFile}`);
    try {
      const result = await execute(ceremony, ctx, unitLabeler(units), counter, evidence, target);
      const r = result.refusal;
      const refusal = r ? { code: r.code, message: r.message, units: r.units, manualSteps: r.manualSteps, evidence: r.evidence } : null;
      return report(result.outcome === "done" ? "ok" : "refused", result.journal, result.phase, { refusal, error: null });
    } catch (e) {
      if (!(e instanceof ExecutionError)) throw e;
      const cause = e.cause instanceof Error ? e.cause : e;
      return report("failed", e.journal, e.lastObservation ? classify(e.lastObservation) : undefined, {
        refusal: null,
        error: { name: cause.name, message: e.message, resume: `run hpcs-mk rotate again to resume; the journal is in ${ceremony.journalFile}` },
      });
    }
  } finally {
    await ceremony.close();
  }
}
