import type { Refusal } from "../../engine/decision";
import { printable } from "../../format/printable";
import { shortVp } from "../../model/vp";
import type { PlannedCeremony } from "../ceremony";
import type { PlanReport } from "../commands/plan";
import { unitLabeler, type Labeler } from "../../format/unit-labels";
import type { Style } from "./style";
import { list, renderTable } from "./table";
import { keyAgeLines } from "./key-age";

/** A refusal: its code and message, then the manual TKE procedure, one command a line. */
export function renderRefusal(refusal: Omit<Refusal, "kind">, style: Style, label: Labeler): string[] {
  return [
    `${style.bad("refused")} (${refusal.code}): ${printable(label(refusal.message))}`,
    ...(refusal.evidence.length > 0 ? ["Evidence:", ...refusal.evidence.map((e) => `  ${printable(label(e))}`)] : []),
    "Manual steps (TKE CLI):",
    ...refusal.manualSteps.map((s) => `  ${s}`),
  ];
}

/** The steps table, the reason for each, and how the ceremony ends. Also what `rotate` shows before it asks. */
export function renderPlanSteps(planned: PlannedCeremony, style: Style): string[] {
  const { steps, end } = planned;
  const label = unitLabeler(planned.units);
  if (steps.length === 0 && end.kind === "done") return [`Nothing to do: the declared key ${shortVp(end.vp)} is already the current master key of every unit; nothing would change.`];
  const lines =
    steps.length === 0
      ? ["No steps."]
      : [
          ...renderTable(
            ["STEP", "PHASE", "ACTION", "UNITS", "TKE COMMAND"],
            steps.map((s) => [String(s.step), s.phase, s.action, s.units.length ? list(s.units.map((u) => u.num)) : "-", s.tke]),
          ),
          "",
          "WHY:",
          ...steps.map((s) => `  ${s.step}. ${label(s.reason)}`),
        ];
  lines.push("");
  if (end.kind === "done") lines.push(`THEN: ${style.ok("done")}: every unit holds ${shortVp(end.vp)} as its current master key.`);
  else if (end.kind === "refuse") lines.push("THEN:", ...renderRefusal(end, style, label));
  else if (end.kind === "keyLearnedAtLoad") {
    lines.push("THEN: the load reports the key the key part files make; if it is the current key, nothing is loaded and the instance is converged, else the rotation to it goes on (commit, rewrap, set immediate).");
  }
  else if (end.kind === "keyGenerated") {
    lines.push("THEN: the generation reports the new key (journaled before it is copied anywhere); the rotation to it goes on from there (commit, rewrap, set immediate).");
  } else lines.push(`THEN: ${style.bad("no end")}: the plan did not converge; this is a bug in hpcs-mk, please report it.`);
  return lines;
}

export function renderPlan(report: PlanReport, style: Style): string {
  const journal = report.journal
    ? `journal ${report.journalFile}: rotation ${report.journal.rotationId} to ${report.journal.targetVp ? shortVp(report.journal.targetVp) : "a key not yet reported"}${report.journal.rewrapProof ? `, rewrap to ${shortVp(report.journal.rewrapProof.vp)} recorded complete (${report.journal.rewrapProof.source})` : ""}${report.journal.completedAt ? `, completed ${report.journal.completedAt}` : ""}`
    : `journal ${report.journalFile}: none yet`;
  return [
    `PLANNED CEREMONY for ${style.bold(report.instanceId)}: phase ${report.phase}, current ${report.currentVp ? shortVp(report.currentVp) : "none"} → declared ${report.desiredVp ? shortVp(report.desiredVp) : report.keySource === "recoveryUnit" ? "a key generated in a recovery unit" : "the key the key part files make (not known until they are loaded)"}`,
    journal,
    "",
    ...renderPlanSteps(report, style),
    ...(report.steps.length > 0 && report.end.kind === "done" ? ["Nothing was changed. Run the same command with rotate instead of plan to do it."] : []),
    ...(report.rotationPolicy !== null ? ["", ...keyAgeLines(report, style)] : []),
  ].join("\n");
}
