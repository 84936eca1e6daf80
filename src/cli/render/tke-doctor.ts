import { printable } from "../../format/printable";
import type { DoctorReport } from "../commands/tke-doctor";
import type { Style } from "./style";

/** One line per item: its verdict first (OK, WARN, FAIL), then what was found and what to do. */
export function renderTkeDoctor(report: DoctorReport, style: Style): string {
  const mark = { ok: style.ok("OK  "), warn: style.bad("WARN"), fail: style.bad("FAIL") } as const;
  const width = Math.max(...report.items.map((i) => i.item.length));
  return [
    `TKE CLI setup for ${report.instanceId}:`,
    ...report.items.map((i) => `  ${mark[i.verdict]}  ${i.item.padEnd(width)}  ${printable(i.detail)}`),
    "",
    report.outcome === "ok" ? "The TKE CLI backend can read this instance. Run pulumi preview (or hpcs-mk plan) next." : "Fix the FAIL items, then run tke doctor again. Nothing was changed.",
  ].join("\n");
}
