import { ExecutionError, type Executor, type RunResult } from "../../src/engine/executor";
import { journalBinding, type Journal } from "../../src/engine/journal";
import type { Desired } from "../../src/engine/plan";
import type { Backend } from "../../src/engine/port/backend";
import type { ProgressListener } from "../../src/engine/progress";
import { readEvidenceFile, startEvidenceRecord } from "../../src/files/evidence-log";
import { filesUnder } from "../helpers/files-under";

/** Where a scenario's runs keep their evidence, and whether the "process" writing it has died (a simulated crash). */
export interface EvidenceSink {
  readonly root: string;
  readonly crashed: () => boolean;
}

export interface RecordedHooks {
  readonly onProgress?: ProgressListener;
  readonly newRotationId?: () => string;
}

/**
 * Runs an executor as a shell does, recording its evidence: nothing is written once the run's process has crashed, so
 * what a crash leaves is exactly what a killed process leaves.
 */
export async function runRecorded(sink: EvidenceSink | undefined, backend: Backend, desired: Desired, journal: Journal | undefined, build: (hooks: RecordedHooks) => Executor): Promise<RunResult> {
  if (!sink) return build({}).run();
  const { recorder, newRotationId } = startEvidenceRecord({ root: sink.root, run: { shell: "hpcs-mk", command: "crash check", backend, tool: { name: "crash-check", version: "0" }, desired, keyPartSha256s: [] }, journal, binding: journalBinding(backend) });
  try {
    const result = await build({ onProgress: (event) => (sink.crashed() ? undefined : recorder.progress(event)), newRotationId }).run();
    recorder.finish({ outcome: result.outcome, ...(result.phase.currentVp && result.outcome === "done" ? { vp: result.phase.currentVp } : {}) });
    return result;
  } catch (error) {
    if (!sink.crashed() && error instanceof ExecutionError) recorder.finish({ outcome: "failed", message: error.message });
    throw error;
  }
}

/** Every evidence file under the sink must verify, whatever crashed while it was written. */
export function evidenceProblems(root: string, when: string): string[] {
  return filesUnder(root).flatMap((file) => {
    const broken = readEvidenceFile(file).broken;
    return broken ? [`the evidence written ${when} does not verify: line ${broken.line}, ${broken.reason}`] : [];
  });
}
