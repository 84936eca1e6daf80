import { inImprintMode } from "../../model/registers";
import { sameVp, shortVp, type Vp } from "../../model/vp";
import type { UnitState } from "./instance-state";

/**
 * The cryptounit-mk-rotate pre-check (research §4.1, §4.4): what must hold before key storage is touched. Returns
 * every reason that fails, in the order TKE lists its checks; an empty list means the rewrap may start. Pure.
 */

export const PRECHECK_TEXT = {
  selection: "Not all crypto units in a single service instance are selected.",
  commonAdmins: "A common set of administrators is not selected and installed in all crypto units large enough to meet the signature threshold value.",
} as const;

/** The signer SKIs that are installed as administrators in every unit. */
export function commonAdminSkis(units: readonly UnitState[], signerSkis: readonly string[]): string[] {
  return [...new Set(signerSkis)].filter((ski) => units.every((u) => u.admins.some((a) => a.ski === ski)));
}

export function rotatePrecheck(units: readonly UnitState[], signerSkis: readonly string[], targetVp: Vp): string[] {
  const reasons: string[] = [];
  const ids = (list: readonly UnitState[]) => list.map((u) => u.id).join(", ");

  const unselected = units.filter((u) => !u.selected);
  if (unselected.length > 0) reasons.push(`${PRECHECK_TEXT.selection} Not selected: ${ids(unselected)}.`);

  const imprint = units.filter((u) => inImprintMode(u.thresholds));
  if (imprint.length > 0) reasons.push(`Crypto units in imprint mode cannot rotate the master key: ${ids(imprint)}.`);

  const thresholds = new Set(units.map((u) => u.thresholds.signature));
  if (thresholds.size > 1) reasons.push(`The crypto units do not have the same signature threshold (${[...thresholds].join(" vs ")}).`);

  const threshold = Math.max(...units.map((u) => u.thresholds.signature));
  if (imprint.length === 0 && commonAdminSkis(units, signerSkis).length < threshold) reasons.push(PRECHECK_TEXT.commonAdmins);

  const first = units[0].current;
  const currentAgree = units.every((u) => u.current.status === "Valid" && first.status === "Valid" && sameVp(u.current.vp, first.vp));
  if (!currentAgree) reasons.push("The current master key registers are not all Valid with the same verification pattern.");

  const pending = units[0].new;
  const newAgree = units.every((u) => u.new.status === "Full Committed" && pending.status === "Full Committed" && sameVp(u.new.vp, pending.vp));
  if (!newAgree) {
    reasons.push("The new master key registers are not all Full Committed with the same verification pattern.");
  } else if (pending.status !== "Empty" && !sameVp(pending.vp, targetVp)) {
    reasons.push(`The new master key registers hold ${shortVp(pending.vp)}, not the rewrap target ${shortVp(targetVp)}.`);
  }
  return reasons;
}
