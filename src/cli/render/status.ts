import type { RewrapStatus } from "../../engine/port/backend";
import { sameVp, shortVp, type Vp } from "../../model/vp";
import type { StatusReport } from "../commands/status";
import { unitLabeler } from "../../format/unit-labels";
import type { Style } from "./style";
import { list } from "./table";
import { keyAgeLines } from "./key-age";
import { configurationLines, registerTable, unitTable } from "./units";
import { count } from "../../format/words";

/**
 * The key storage line: record counts and how far a rewrap got, in the words TKE users look for. `currentVp` is the
 * key every unit holds as current, if they agree: a finished rotation's rewrap is then no longer waiting for anything.
 */
export function rewrapLine(rewrap: RewrapStatus, currentVp: Vp | null): string {
  switch (rewrap.state) {
    case "none":
      return `KEY STORAGE: ${count(rewrap.records, "record")}; no rewrap started`;
    case "inProgress":
      return `KEY STORAGE: ${count(rewrap.total, "record")}; rewrap to ${shortVp(rewrap.targetVp)} in progress: ${rewrap.done}/${rewrap.total} done`;
    case "complete":
      if (currentVp !== null && sameVp(rewrap.targetVp, currentVp)) return `KEY STORAGE: ${count(rewrap.records, "record")}, all under ${shortVp(rewrap.targetVp)}, the current master key`;
      return `KEY STORAGE: ${count(rewrap.records, "record")}, all under ${shortVp(rewrap.targetVp)}: KMS CRK rewrap successful, waiting on cryptounit-mk-setimm.`;
    case "unknown":
      return "KEY STORAGE: the backend cannot report the rewrap status";
  }
}

/** One or two sentences per phase: what it means and what `rotate` would do about it. */
function phaseLines(report: StatusReport, style: Style): string[] {
  const { phase, units } = report;
  const numsWith = (role: string) => list(units.filter((u) => u.role === role).map((u) => u.num));
  const cur = phase.currentVp ? shortVp(phase.currentVp) : "";
  const pend = phase.pendingVp ? shortVp(phase.pendingVp) : "";
  const head = (text: string, tone: (t: string) => string = style.ok) => `PHASE: ${tone(phase.name)} — ${text}`;
  switch (phase.name) {
    case "Active":
      return [head(`every unit's current register holds ${cur}; new registers are Empty.`)];
    case "Uninitialized":
      return [head("no unit has a current master key and key storage is empty; rotate loads the first one.", style.warn)];
    case "Loading":
      return [head(`${pend} is loaded on units ${list(units.filter((u) => u.role !== "pendingEmpty").map((u) => u.num))}, not yet on ${numsWith("pendingEmpty")}; rotate finishes loading.`, style.warn)];
    case "Loaded":
      return [head(`every new register holds ${pend} Full Uncommitted; rotate commits it.`, style.warn)];
    case "Committing":
      return [head(`${pend} is committed on units ${numsWith("pendingCommitted")}, uncommitted on ${numsWith("pendingUncommitted")}; rotate commits the rest.`, style.warn)];
    case "Committed":
      return [head(`every new register holds ${pend} Full Committed; key storage is not yet rewrapped to it. rotate rewraps, then sets immediate.`, style.warn)];
    case "Rewrapping":
      return [head(`key storage is being rewrapped to ${pend}; rotate resumes the rewrap (records already under it are skipped).`, style.warn)];
    case "Rewrapped":
      return [head(`key storage is entirely under ${pend}; only promotion remains: rotate sets immediate on every unit.`, style.warn)];
    case "HalfPromoted":
      return [
        head(`the rotation to ${pend} stopped half-way through promotion.`, style.warn),
        `  promoted (current ${pend}, new Empty): units ${numsWith("promoted")}`,
        `  lagging (current ${cur}, new ${pend} Full Committed): units ${numsWith("lagging")}`,
        "  rotate repairs it: deselect the promoted units (cryptounit-rm), then set immediate on the lagging ones (cryptounit-mk-setimm).",
        "  Never load, clear or rewrap on a half-promoted instance.",
      ];
    case "Diverged":
      return [
        head("this tool will not change the instance; every reason:", style.bad),
        ...phase.reasons.map((r) => `  - ${r.code}: ${unitLabeler(units)(r.message)}`),
        "  Fix these with the TKE CLI (rotate prints the manual steps), then run status again.",
      ];
  }
}

/** renderStatus — the `cryptounits` + `cryptounit-mk` + `cryptounit-compare` view, then the phase. */
export function renderStatus(report: StatusReport, style: Style): string {
  return [
    `SERVICE INSTANCE: ${style.bold(report.instanceId)}  (${report.backend})`,
    ...unitTable(report.units),
    "",
    "MASTER KEY REGISTERS",
    ...registerTable(report.units, [{ header: "ROLE", cell: (u) => u.role }]),
    "",
    ...configurationLines(report.units),
    "",
    rewrapLine(report.rewrap, report.phase.currentVp),
    ...phaseLines(report, style),
    "",
    ...keyAgeLines(report, style),
  ].join("\n");
}
