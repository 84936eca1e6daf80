import type { ActionKind } from "./decision";
import { TKE_COMMAND } from "./port/tke-commands";

const AT = "hs-crypto.tke-cryptounit";

/**
 * What each action stands for, for people who know TKE and for auditors: the TKE CLI command (null for a step only
 * the journal sees), and the Activity Tracker events IBM documents for what it does to the registers (research §2.2:
 * `…master-key-register.add` for a load, `.commit`, `.activate` for set immediate, `new-master-key-register.clear`).
 * IBM lists no event for the rewrap itself, nor for a generation or a copy between units; a rotate and auto-mk-rotate
 * show the events of the register steps they include.
 */
export const ACTION_COMMANDS: Readonly<Record<ActionKind, { readonly tke: string | null; readonly activityTracker: readonly string[] }>> = {
  select: { tke: TKE_COMMAND.select, activityTracker: [] },
  deselect: { tke: TKE_COMMAND.deselect, activityTracker: [] },
  loadNew: { tke: TKE_COMMAND.loadNew, activityTracker: [`${AT}-master-key-register.add`] },
  commitNew: { tke: TKE_COMMAND.commitNew, activityTracker: [`${AT}-master-key-register.commit`] },
  clearNew: { tke: TKE_COMMAND.clearNew, activityTracker: [`${AT}-new-master-key-register.clear`] },
  rewrap: { tke: `${TKE_COMMAND.rewrap} (key storage rewrap)`, activityTracker: [] },
  rotate: { tke: TKE_COMMAND.rotate, activityTracker: [`${AT}-master-key-register.activate`] },
  recordRewrap: { tke: null, activityTracker: [] },
  setImmediate: { tke: TKE_COMMAND.setImmediate, activityTracker: [`${AT}-master-key-register.activate`] },
  generateNew: { tke: TKE_COMMAND.generateNew, activityTracker: [] },
  copyNew: { tke: TKE_COMMAND.copyNew, activityTracker: [] },
  autoRotate: { tke: TKE_COMMAND.autoRotate, activityTracker: [`${AT}-master-key-register.commit`, `${AT}-master-key-register.activate`] },
};
