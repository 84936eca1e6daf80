import type { EvidenceListReport, EvidenceShowReport } from "../commands/evidence";
import type { EvidenceEntry, EvidenceEvent } from "../../model/evidence";
import type { Style } from "./style";
import { count } from "../../format/words";

const verdict = (report: { readonly broken: { readonly line: number; readonly reason: string } | null; readonly entries: number }) =>
  report.broken ? `does NOT verify: line ${report.broken.line}, ${report.broken.reason}` : `verifies (${report.entries} entries, every link intact)`;

/** renderEvidenceList — one line per ceremony, newest first. */
export function renderEvidenceList(report: EvidenceListReport, style: Style): string {
  if (report.ceremonies.length === 0) return `No evidence under ${report.dir}.`;
  const lines = report.ceremonies.map((c) => {
    const last = c.runs[c.runs.length - 1];
    const mark = c.broken ? style.bad("BROKEN") : style.ok("OK");
    return `${mark} ${c.ceremony}  ${c.instanceId}  ${count(c.runs.length, "run")}, last ${last?.endedAt ?? "-"} ${last?.outcome ?? "(no outcome)"}  ${c.file}`;
  });
  return [`Evidence under ${report.dir}:`, ...lines].join("\n");
}

/** renderEvidenceVerify — TKE's OK / FAILED, then where the chain breaks. */
export function renderEvidenceVerify(report: EvidenceShowReport, style: Style): string {
  const last = report.records[report.records.length - 1];
  const signed = report.records.flatMap((e) => (e.event.type === "signature" ? [`Signed at entry ${e.seq} by SKI ${e.event.ski}: the signature verifies.`] : []));
  return [report.broken ? style.bad("FAILED") : style.ok("OK"), `${report.file} ${verdict(report)}.`, ...(last ? [`Last verified entry: ${last.seq}, hash ${last.hash}.`] : []), ...signed].join("\n");
}

const code = (text: string) => `\`${text}\``;
const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

function registers(event: Extract<EvidenceEvent, { type: "observed" }>): string[] {
  const rows = event.units.map((u) => `| ${code(u.id)} | ${u.type} | ${u.selected ? "yes" : "no"} | ${u.current.status} ${code(u.current.vp.slice(0, 16))} | ${u.new.status} ${code(u.new.vp.slice(0, 16))} |`);
  const rewrap = event.rewrap.state + (event.rewrap.targetVp ? ` to ${code(event.rewrap.targetVp.slice(0, 16))}` : "") + (event.rewrap.done !== null && event.rewrap.total !== null ? ` (${event.rewrap.done} of ${event.rewrap.total} records)` : "");
  return [`Observed phase **${event.phase}**; key storage rewrap: ${rewrap}.`, "", "| unit | type | selected | current register | new register |", "|---|---|---|---|---|", ...rows, ""];
}

function runSection(entries: readonly (EvidenceEntry & { readonly hash: string })[]): string[] {
  const out: string[] = [];
  for (const entry of entries) {
    const e = entry.event;
    switch (e.type) {
      case "run":
        out.push(
          `## Run ${code(entry.run)}: ${code(e.command)}`,
          "",
          `- started ${entry.at} by ${e.tool.name} ${e.tool.version} (${e.shell})`,
          `- instance ${code(e.instanceId)} through ${e.backend.description}${e.backend.version ? `, ${e.backend.version}` : ""}`,
          `- declared key: ${e.declared.source === "recoveryUnit" ? "generated in a recovery crypto unit" : "key part files"}${e.declared.vp ? `, VP ${code(e.declared.vp)}` : ""}${e.declared.keyPartSha256s.length > 0 ? `; key part SHA-256s ${e.declared.keyPartSha256s.map(code).join(", ")}` : ""}`,
          `- signature keys (SKI): ${e.signerSkis.length > 0 ? e.signerSkis.map(code).join(", ") : "none"}`,
          ...(e.attestations.length > 0 ? [`- operator attestation: key storage entirely under ${e.attestations.map((a) => `${code(a.vp)} (situation ${a.code})`).join(", ")}`] : []),
          "",
        );
        break;
      case "observed":
        out.push(...registers(e));
        break;
      case "step":
        out.push(`**Step** ${entry.at}: ${e.action} on ${e.units.map(code).join(", ")}${e.vp ? ` (${code(e.vp.slice(0, 16))}…)` : ""} — ${e.tkeCommand ? code(`ibmcloud tke ${e.tkeCommand}`) : "journal only"}${e.activityTracker.length > 0 ? `; Activity Tracker: ${e.activityTracker.map(code).join(", ")}` : ""}. Why: ${cell(e.reason)}`, "");
        break;
      case "stepDone":
        out.push(`**Done** ${entry.at}: ${e.action} (${(e.durationMs / 1000).toFixed(1)} s)`, "");
        break;
      case "keyGenerated":
        out.push(`A recovery unit generated the key ${code(e.vp)} (${entry.at}).`, "");
        break;
      case "delaying":
        out.push(`auto-mk-rotate printed "Delaying 30 seconds to allow server to discover new master key values" (${entry.at}).`, "");
        break;
      case "rewrapMarker":
        out.push(`Printed "KMS CRK rewrap successful, waiting on cryptounit-mk-setimm"${e.vp ? ` for ${code(e.vp)}` : ""} (${entry.at}).`, "");
        break;
      case "keyLearned":
        out.push(`A load reported that the key part files make ${code(e.vp)}${e.current ? " (the current key: nothing was loaded)" : ""} (${entry.at}).`, "");
        break;
      case "retry":
        out.push(`Retry ${e.attempt} after a transient failure: ${cell(e.message)}`, "");
        break;
      case "transcript":
        out.push(`<details><summary>Transcript: ${code(e.command)} (exit ${e.exitCode ?? "unknown"})</summary>`, "", "```", e.text, "```", "</details>", "");
        break;
      case "refused":
        out.push(`**Refused (${e.code})**: ${e.message}`, "", ...e.evidence.map((line) => `- seen: ${line}`), ...e.manualSteps.map((step, i) => `${i + 1}. ${step}`), "");
        break;
      case "signature":
        out.push(`**Signed** by the administrator whose signature key has SKI ${code(e.ski)} (entry ${entry.seq}, over entry ${entry.seq - 1}); verified.`, "");
        break;
      case "outcome":
        out.push(`**Outcome**: ${e.outcome}${e.vp ? `, current key ${code(e.vp)}` : ""}${e.message ? ` — ${e.message}` : ""}; ${count(e.steps, "step")}. Record ends with entry ${entry.seq}, hash ${code(entry.hash)}.`, "");
        break;
    }
  }
  return out;
}

/** renderEvidenceShow — the ceremony as Markdown a reviewer can attach to a change ticket. */
export function renderEvidenceShow(report: EvidenceShowReport, _style: Style): string {
  const runs = [...new Set(report.records.map((e) => e.run))];
  return [
    `# Key ceremony ${code(report.ceremony)}`,
    "",
    `Instance ${code(report.instanceId)}; ${count(runs.length, "run")}. File ${code(report.file)} ${verdict(report)}.`,
    "",
    ...runs.flatMap((run) => runSection(report.records.filter((e) => e.run === run))),
  ].join("\n");
}
