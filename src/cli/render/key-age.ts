import { count } from "../../format/words";
import { shortVp } from "../../model/vp";
import type { KeyAgeReport } from "../key-age";
import type { Style } from "./style";

/** The key's age and the rotation policy, for `status`, `plan` and `rotate`. */
export function keyAgeLines(report: KeyAgeReport, style: Style): string[] {
  const { keyAge, rotationPolicy: policy } = report;
  const lines = [
    keyAge === null
      ? `KEY AGE: not recorded on this workstation; hpcs-mk status or rotate records it in ${report.keyAgeFile} once the instance has one current key`
      : `KEY AGE: ${shortVp(keyAge.verificationPattern)} current since ${keyAge.since}, ${count(report.keyAgeDays ?? 0, "day")} (${keyAge.source === "rotation" ? "a rotation by this tool" : "first seen by this tool: adopted or rotated outside it"})`,
  ];
  if (policy === null) return lines;
  if (policy.due) lines.push(`ROTATION POLICY: every ${count(policy.periodDays, "day")}: ${style.warn("due")}`, `  ${report.due}`);
  else if (policy.dueAt !== null) lines.push(`ROTATION POLICY: every ${count(policy.periodDays, "day")}: next rotation due at ${policy.dueAt}`);
  else lines.push(`ROTATION POLICY: every ${count(policy.periodDays, "day")}: nothing can be due until a key's age is recorded`);
  return lines;
}
