import type { KeypartCreateReport, KeypartShowReport } from "../commands/keypart";
import type { Style } from "./style";
import { renderTable, twoLineVp } from "./table";

export function renderKeypartCreate(report: KeypartCreateReport, style: Style): string {
  return [
    style.ok("OK"),
    `A key part was created${report.source === "random" ? " from a random value" : ""}: ${report.file}`,
    ...renderTable(["DESCRIPTION", "VERIFICATION PATTERN"], [[report.description, twoLineVp(report.verificationPattern)]]),
    "Keep the file and its password apart from the other parts: anyone with all parts and passwords has the master key.",
  ].join("\n");
}

/** `mks`'s KEYNUM / DESCRIPTION / VERIFICATION PATTERN table, with the file each part is in. */
export function renderKeypartShow(report: KeypartShowReport, style: Style): string {
  const good = report.keyParts.flatMap((k) => ("error" in k ? [] : [[String(k.keynum), k.description, twoLineVp(k.verificationPattern), k.file]]));
  const bad = report.keyParts.flatMap((k) => ("error" in k ? [`${style.bad("FAILED")} KEYNUM ${k.keynum}: ${k.error}`] : []));
  return [...(good.length ? renderTable(["KEYNUM", "DESCRIPTION", "VERIFICATION PATTERN", "FILE"], good) : ["No files containing an EP11 master key part were found."]), ...bad].join("\n");
}
