import type { RotateReport } from "../commands/rotate";
import { renderRefusal } from "./plan";
import { unitLabeler } from "../../format/unit-labels";
import type { Style } from "./style";

/** renderRotate — TKE's OK / FAILED first line, then the result and what to do next. */
export function renderRotate(report: RotateReport, style: Style): string {
  const evidence = report.evidence.problem ? `${style.warn("WARNING")}: ${report.evidence.problem}` : `Evidence: ${report.evidence.file} (record ${report.evidence.id}, last entry ${report.evidence.hash.slice(0, 16)}…)`;
  const steps = `${report.steps} step${report.steps === 1 ? "" : "s"} this run`;
  const footer = `(${report.journalKept ? `${steps}; journal ${report.journalFile}` : `${steps}; no journal: nothing to resume`})\n${evidence}`;
  if (report.outcome === "ok") {
    const due = report.due === null ? [] : [`${style.warn("NOTE")}: ${report.due}`];
    return [style.ok("OK"), outcomeLine(report), ...due, footer].join("\n");
  }
  if (report.refusal) {
    return [style.bad("FAILED"), ...renderRefusal(report.refusal, style, unitLabeler(report.units)), `Phase ${report.phase}. The refused step changed nothing.`, footer].join("\n");
  }
  return [style.bad("FAILED"), report.error?.message ?? "the rotation stopped", report.error?.resume ?? "", `Phase when it stopped: ${report.phase ?? "unknown"}.`, footer].join("\n");
}

/** "Rotation successful" only when this run made the key current; otherwise it says the key already was. */
function outcomeLine(report: RotateReport): string {
  const key = report.desiredVp ?? "the declared key";
  if (report.rotatedThisRun) return `Master key rotation successful: every crypto unit of ${report.instanceId} holds ${key} as its current master key.`;
  if (report.steps === 0) return `The declared key is already the current master key of every crypto unit of ${report.instanceId} (${key}): nothing to do, nothing was changed.`;
  return `The declared key was already the current master key of every crypto unit of ${report.instanceId} (${key}): no rotation was needed; this run only finished the steps above.`;
}
