import type { Signers } from "../../../engine/port/backend";
import { administrationSignatures, type Administration } from "../../../backends/simulator";
import { ask, confirm, line } from "../terminal";
import { TEXTS } from "../texts";
import { fail, promptSigners, selectedStatuses, type TkeContext } from "./common";
import { printAdmins, printSigkeys, printThresholds, type SelectedUnit } from "./views";
import { listSigkeys, openSigkey, selectedSigkeys } from "./workstation";

/**
 * `cryptounit-admin-add`, `cryptounit-thrhld-set`, `cryptounit-zeroize` (research/tke-domain.md §2, §5.1): the
 * commands that set an instance up, for rehearsing IBM's initialisation and recovery runbooks on a simulated one.
 * Each selected unit gets its own signed command; the signatures asked for are the ones its state needs.
 */

/** The signatures `operation` needs on the most demanding selected unit, asked for once (none in imprint mode). */
function signersFor(ctx: TkeContext, groups: Map<string, SelectedUnit[]>, operation: Administration): Signers {
  const units = [...groups.values()].flat();
  const required = Math.max(0, ...units.map((u) => administrationSignatures(u.status.thresholds, operation)));
  return required === 0 ? { keys: [] } : promptSigners(ctx, units, required);
}

/**
 * Asks for the signatures `operation` needs, sends it to every selected unit (each its own signed command), then
 * prints `OK`, the command's message and, when given, the table that shows the result.
 */
async function administer(ctx: TkeContext, groups: Map<string, SelectedUnit[]>, operation: Administration, done: string, show?: (groups: Map<string, SelectedUnit[]>) => void): Promise<void> {
  const signers = signersFor(ctx, groups, operation);
  for (const [instanceId, units] of groups) {
    const backend = await ctx.account.open(instanceId);
    for (const unit of units) await backend.administer(unit.listed.id, operation, signers);
  }
  line("OK");
  line(done);
  show?.(await selectedStatuses(ctx));
}

const readThreshold = (question: string): number => {
  const answer = ask(question).trim();
  const value = Number(answer);
  return /^\d+$/.test(answer) && value >= 1 && value <= 8 ? value : fail(`'${answer}' is not a valid threshold value. Enter a number from 1 to 8.`);
};

export async function cryptounitAdminAdd(ctx: TkeContext): Promise<void> {
  const groups = await selectedStatuses(ctx);
  const keys = listSigkeys(ctx.tkeDir);
  if (keys.length === 0) fail(TEXTS.noSigkeys.text);
  printSigkeys(keys, selectedSigkeys(ctx.tkeDir));
  line();
  const answer = ask(TEXTS.adminKeynum.text).trim();
  const chosen = keys.find((k) => String(k.keynum) === answer) ?? fail(`'${answer}' is not a valid KEYNUM.`);
  const key = openSigkey(chosen, ask(TEXTS.adminKeyPassword.text, { hidden: true })) ?? fail(TEXTS.invalidPassword.text);
  const admin = { ski: key.ski, name: chosen.description || `ADMIN${chosen.keynum}`, publicKey: key.publicKey };
  await administer(ctx, groups, { kind: "addAdmin", admin }, TEXTS.adminAdded.text, printAdmins);
}

export async function cryptounitThresholdSet(ctx: TkeContext): Promise<void> {
  const groups = await selectedStatuses(ctx);
  const signature = readThreshold(TEXTS.newSignatureThreshold.text);
  const revocation = readThreshold(TEXTS.newRevocationThreshold.text);
  await administer(ctx, groups, { kind: "setThresholds", signature, revocation }, TEXTS.thresholdsSet.text, printThresholds);
}

export async function cryptounitZeroize(ctx: TkeContext): Promise<void> {
  const groups = await selectedStatuses(ctx);
  if (!confirm(TEXTS.zeroizeConfirm.text, TEXTS.answer.text)) {
    line(TEXTS.cancelled.text);
    return;
  }
  await administer(ctx, groups, { kind: "zeroize" }, TEXTS.zeroized.text);
}
