import { inImprintMode, type Thresholds } from "../../model/registers";
import { sameVp, shortVp, type Vp } from "../../model/vp";

/** What the pre-check reads of a unit: the simulated unit's state, or its status as a query returns it. */
export interface PrecheckUnit {
  readonly id: string;
  readonly thresholds: Thresholds;
  readonly admins: readonly { readonly ski: string }[];
  readonly current: { readonly status: string; readonly vp?: Vp };
  readonly new: { readonly status: string; readonly vp?: Vp };
}

/**
 * The cryptounit-mk-rotate pre-check (research §4.1, §4.4): what must hold before key storage is touched. Returns
 * every reason that fails, in the order TKE lists its checks; an empty list means the rewrap may start. Pure.
 */

export const PRECHECK_TEXT = {
  selection: "Not all crypto units in a single service instance are selected.",
  commonAdmins: "A common set of administrators is not selected and installed in all crypto units large enough to meet the signature threshold value.",
} as const;

/** The signer SKIs that are installed as administrators in every unit. */
export function commonAdminSkis(units: readonly PrecheckUnit[], signerSkis: readonly string[]): string[] {
  return [...new Set(signerSkis)].filter((ski) => units.every((u) => u.admins.some((a) => a.ski === ski)));
}

/** `selected`: the workstation's selection; every unit of the instance must be in it. */
export function rotatePrecheck(units: readonly PrecheckUnit[], signerSkis: readonly string[], targetVp: Vp, selected: ReadonlySet<string>): string[] {
  const reasons = initialConditions(units, signerSkis, selected);
  const pending = agree(units, (u) => u.new, "Full Committed");
  if (pending === undefined) {
    reasons.push("The new master key registers are not all Full Committed with the same verification pattern.");
  } else if (!sameVp(pending, targetVp)) {
    reasons.push(`The new master key registers hold ${shortVp(pending)}, not the rewrap target ${shortVp(targetVp)}.`);
  }
  return reasons;
}

/** The key every unit's register holds in `status`, or undefined when they do not all agree. */
function agree(units: readonly PrecheckUnit[], register: (u: PrecheckUnit) => { status: string; vp?: Vp }, status: string): Vp | undefined {
  const vps = units.map((u) => (register(u).status === status ? register(u).vp : undefined));
  const first = vps[0];
  return first !== undefined && vps.every((vp) => vp !== undefined && sameVp(vp, first)) ? first : undefined;
}

/**
 * The initial conditions `cryptounit-mk-rotate` and `auto-mk-rotate` both check (research §4.1, §4.3): every unit
 * selected, none in imprint mode, one signature threshold, a common set of administrators meeting it, and every
 * current register Valid with one VP.
 */
export function initialConditions(units: readonly PrecheckUnit[], signerSkis: readonly string[], selected: ReadonlySet<string>): string[] {
  const reasons: string[] = [];
  const ids = (list: readonly PrecheckUnit[]) => list.map((u) => u.id).join(", ");

  const unselected = units.filter((u) => !selected.has(u.id));
  if (unselected.length > 0) reasons.push(`${PRECHECK_TEXT.selection} Not selected: ${ids(unselected)}.`);

  const imprint = units.filter((u) => inImprintMode(u.thresholds));
  if (imprint.length > 0) reasons.push(`Crypto units in imprint mode cannot rotate the master key: ${ids(imprint)}.`);

  const thresholds = new Set(units.map((u) => u.thresholds.signature));
  if (thresholds.size > 1) reasons.push(`The crypto units do not have the same signature threshold (${[...thresholds].join(" vs ")}).`);

  const threshold = Math.max(...units.map((u) => u.thresholds.signature));
  if (imprint.length === 0 && commonAdminSkis(units, signerSkis).length < threshold) reasons.push(PRECHECK_TEXT.commonAdmins);

  if (agree(units, (u) => u.current, "Valid") === undefined) reasons.push("The current master key registers are not all Valid with the same verification pattern.");
  return reasons;
}
