import { combineKeyParts } from "../../../model/key-parts";
import { verificationPattern, type Vp } from "../../../model/vp";
import type { Signers } from "../../../engine/port/backend";
import { appendFileSync } from "node:fs";
import { rotatePrecheck, takeUnexpectedPrompt, unsafeAnswersFile, type SimulatorBackend } from "../../../backends/simulator";
import type { BackendCommand } from "../../../engine/port/backend";
import { ask, confirm, line } from "../terminal";
import { renderTable } from "../table";
import { markSelected, openAccount } from "./account";
import { TEXTS } from "../texts";
import { fail, promptSigners, selectedStatuses, type TkeContext } from "./common";
import { printCurrentRegisters, printKeyParts, printNewRegisters, type SelectedUnit } from "./views";
import { listKeyParts, listSigkeys, openKeyPart, selectedSigkeys } from "./workstation";

/** Runs `command` on every instance's selected units, each instance with its own simulated backend. */
async function perInstance(ctx: TkeContext, groups: Map<string, SelectedUnit[]>, command: (backend: SimulatorBackend, units: SelectedUnit[]) => Promise<void>): Promise<void> {
  for (const [instanceId, units] of groups) await command(await ctx.account.open(instanceId), units);
}

/**
 * Runs a command that the plug-in sends with each register's own VP (it reads the register first and sends what it
 * finds, research/real-backends.md §4.3 d): units holding the same key go in one call.
 */
async function byPendingKey(units: readonly SelectedUnit[], send: (ids: string[], vp: Vp) => Promise<void>): Promise<void> {
  const keys = new Map<Vp, string[]>();
  for (const u of units) keys.set(u.status.new.vp, [...(keys.get(u.status.new.vp) ?? []), u.listed.id]);
  for (const [vp, ids] of keys) await send(ids, vp);
}

/**
 * A question the plug-in may one day ask that no driver has seen (the fault `unexpectedPrompt`): a driver must stop at
 * it. An answer of yes is recorded where tests look for it, and the command stops as if key storage were deleted.
 */
async function unexpectedQuestion(ctx: TkeContext, command: BackendCommand): Promise<void> {
  for (const instanceId of ctx.account.selectedByInstance().keys()) {
    if (!(await takeUnexpectedPrompt(ctx.account.simDir, instanceId, command))) continue;
    line("All key storage of the service instance will be deleted.");
    if (confirm("Do you want to delete all key storage?", TEXTS.answer.text)) {
      appendFileSync(unsafeAnswersFile(ctx.account.simDir), `${new Date().toISOString()} yes to an unexpected prompt before ${command} on ${instanceId}\n`);
      fail("All key storage was deleted.");
    }
    fail(TEXTS.cancelled.text);
  }
}

const signatureThreshold = (units: readonly SelectedUnit[]) => Math.max(1, ...units.map((u) => u.status.thresholds.signature));

async function showNewRegisters(ctx: TkeContext): Promise<void> {
  printNewRegisters(await selectedStatuses(ctx));
}

/** `cryptounit-mk-load` (research §2.6): the key parts, the KEYNUMs, a signature, each part's password. */
export async function mkLoad(ctx: TkeContext): Promise<void> {
  await unexpectedQuestion(ctx, "loadNew");
  const groups = await selectedStatuses(ctx);
  const parts = listKeyParts(ctx.tkeDir);
  if (parts.length === 0) fail(TEXTS.noKeyParts.text);
  line();
  printKeyParts(parts);
  line();
  line(TEXTS.loadKeynums.text);
  const chosen = ask(TEXTS.loadCount.text)
    .split(/\s+/)
    .filter((v) => v.length > 0)
    .map((v) => parts.find((p) => String(p.keynum) === v) ?? fail(`'${v}' is not a valid KEYNUM.`));
  if (chosen.length < 2 || chosen.length > 3) fail(TEXTS.loadCount.text);
  const signers = promptSigners(ctx, [...groups.values()].flat(), 1);
  const values = chosen.map((part, i) => openKeyPart(part, ask(TEXTS.keyFilePassword(i + 1).text, { hidden: true })) ?? fail(TEXTS.invalidPassword.text));
  const key = combineKeyParts(values);
  const vp = verificationPattern(key);
  key.fill(0);
  try {
    await perInstance(ctx, groups, (backend, units) =>
      backend
        .loadNew({ units: units.map((u) => u.listed.id), expectedVp: vp, keyParts: { kind: "material", parts: values.map((value, i) => ({ file: chosen[i].file, value })) } }, signers)
        .then(() => undefined),
    );
  } finally {
    values.forEach((v) => v.fill(0));
  }
  line("OK");
  line(TEXTS.loaded.text);
  await showNewRegisters(ctx);
}

export async function mkCommit(ctx: TkeContext): Promise<void> {
  await unexpectedQuestion(ctx, "commitNew");
  const groups = await selectedStatuses(ctx);
  const signers = promptSigners(ctx, [...groups.values()].flat(), signatureThreshold([...groups.values()].flat()));
  await perInstance(ctx, groups, (backend, units) => byPendingKey(units, (ids, vp) => backend.commitNew({ units: ids, expectedVp: vp }, signers)));
  line("OK");
  line(TEXTS.committed.text);
  await showNewRegisters(ctx);
}

export async function mkClrnew(ctx: TkeContext): Promise<void> {
  await unexpectedQuestion(ctx, "clearNew");
  const groups = await selectedStatuses(ctx);
  const signers = promptSigners(ctx, [...groups.values()].flat(), 1);
  const holding = new Map([...groups].map(([id, units]) => [id, units.filter((u) => u.status.new.status !== "Empty")]));
  await perInstance(ctx, holding, (backend, units) => byPendingKey(units, (ids, vp) => backend.clearNew({ units: ids, expectedVp: vp }, signers)));
  line("OK");
  line(TEXTS.cleared.text);
  await showNewRegisters(ctx);
}

/** `cryptounit-mk-setimm` (research §2.8): the warning and its question, a signature, then every selected unit. */
export async function mkSetimm(ctx: TkeContext): Promise<void> {
  await unexpectedQuestion(ctx, "setImmediate");
  const groups = await selectedStatuses(ctx);
  line(TEXTS.setimmWarning.text);
  if (!confirm(TEXTS.continueQuestion.text, TEXTS.answer.text)) {
    line(TEXTS.cancelled.text);
    return;
  }
  const signers = promptSigners(ctx, [...groups.values()].flat(), 1);
  await perInstance(ctx, groups, (backend, units) => byPendingKey(units, (ids, vp) => backend.setImmediate({ units: ids, expectedVp: vp }, signers)));
  line("OK");
  line(TEXTS.setimmDone.text);
  const after = await selectedStatuses(ctx);
  printNewRegisters(after);
  line();
  printCurrentRegisters(after);
}

/**
 * `cryptounit-mk-rotate` (research §2.10, §4.2; its transcript is not public, so its texts are the inferred ones of
 * texts.ts): exactly one instance, all of its units selected; the pre-check; a signature; the rewrap with progress;
 * the marker; then set immediate on every unit.
 */
export async function mkRotate(ctx: TkeContext): Promise<void> {
  const groups = ctx.account.selectedByInstance();
  const [instanceId] = [...groups.keys()];
  const whole = groups.size === 1 && ctx.account.units.filter((u) => u.instanceId === instanceId).every((u) => u.selected);
  if (!whole) fail(TEXTS.invalidSelection.text);
  await unexpectedQuestion(ctx, "rotate");
  line(TEXTS.rotateIntro.text);
  if (!confirm(TEXTS.rotatePrecheckQuestion.text, TEXTS.answer.text)) {
    line(TEXTS.cancelled.text);
    return;
  }
  const backend = await ctx.account.open(instanceId);
  const statuses = (await selectedStatuses(ctx)).get(instanceId) ?? [];
  const target = statuses[0].status.new.vp;
  const selectedSkis = listSigkeys(ctx.tkeDir).filter((k) => selectedSigkeys(ctx.tkeDir).includes(k.keynum)).map((k) => k.sealed.ski.toLowerCase());
  const reasons = rotatePrecheck(
    statuses.map((s) => s.status),
    selectedSkis,
    target,
    new Set(statuses.map((s) => s.listed.id)),
  );
  if (reasons.length > 0) fail(...reasons);
  line(TEXTS.precheckPassed.text);
  // One password signs the rotation (research §4.2); the pre-check counts every selected administrator, by SKI only.
  const signing = promptSigners(ctx, statuses, 1);
  const unsigned = selectedSkis.filter((ski) => !signing.keys.some((k) => k.ski === ski)).map((ski) => ({ ski, publicKey: "", sign: () => fail(TEXTS.invalidPassword.text) }));
  const signers: Signers = { keys: [...signing.keys, ...unsigned] };
  line(TEXTS.rotationStarted.text);
  let shown = -1;
  await backend.rotate(target, signers, {
    onProgress: ({ done, total }) => {
      const step = Math.max(1, Math.ceil(total / 10));
      if ((done === total || done - shown >= step) && done !== shown) {
        shown = done;
        line(TEXTS.rewrapProgress(done, total).text);
      }
    },
    onMarker: () => line(TEXTS.marker.text),
  });
  line("OK");
  line(TEXTS.rotationSuccessful.text);
  const after = await selectedStatuses(ctx);
  printNewRegisters(after);
  line();
  printCurrentRegisters(after);
}

/**
 * The instance `auto-mk-rotate` rotates (research tke-domain §4.3: "Select instance (list if several)"): the one whose
 * units the workstation has selected, all of them; otherwise the one instance of the account; otherwise the one the
 * user picks from a list. Its units are then all selected, as the command selects them itself.
 */
function autoRotateInstance(ctx: TkeContext): string {
  const groups = ctx.account.selectedByInstance();
  const [selected] = [...groups.keys()];
  if (groups.size === 1 && ctx.account.units.filter((u) => u.instanceId === selected).every((u) => u.selected)) return selected;
  if (ctx.account.instances.length === 1) return ctx.account.instances[0];
  renderTable(["INSTANCE NUM", "SERVICE INSTANCE"], ctx.account.instances.map((id, i) => [String(i + 1), id])).forEach((row) => line(row));
  line();
  const answer = ask(TEXTS.autoRotateInstance.text).trim();
  return ctx.account.instances[Number(answer) - 1] ?? fail(TEXTS.badUnitNumber(answer).text);
}

/**
 * `auto-mk-rotate` (research tke-domain §4.3, §4.4): the instance; every unit of it selected; the pre-check
 * question; the signatures (the copies are exported under the signature threshold); a random key generated in a
 * recovery unit and transferred to every other unit, committed; "Delaying 30 seconds…"; the rewrap with progress;
 * the marker; set immediate on every unit. Its faults are the simulator's autoRotate points.
 */
export async function autoMkRotate(ctx: TkeContext): Promise<void> {
  const instanceId = autoRotateInstance(ctx);
  const units = ctx.account.units.filter((u) => u.instanceId === instanceId);
  markSelected(ctx.account, units, true);
  const account = await openAccount(ctx.account.simDir, ctx.tkeDir);
  const selectedCtx = { ...ctx, account };
  await unexpectedQuestion(selectedCtx, "autoRotate");
  line(TEXTS.autoRotateIntro.text);
  if (!confirm(TEXTS.rotatePrecheckQuestion.text, TEXTS.answer.text)) {
    line(TEXTS.cancelled.text);
    return;
  }
  const statuses = (await selectedStatuses(selectedCtx)).get(instanceId) ?? [];
  const signers = promptSigners(selectedCtx, statuses, signatureThreshold(statuses));
  const backend = await account.open(instanceId);
  line(TEXTS.generating.text);
  let shown = -1;
  await backend.autoRotate({ units: statuses.map((s) => s.listed.id) }, signers, {
    onTransfer: (n, of) => line(TEXTS.transferring(n, of).text),
    onDelaying: () => line(TEXTS.delaying.text),
    onProgress: ({ done, total }) => {
      const step = Math.max(1, Math.ceil(total / 10));
      if ((done === total || done - shown >= step) && done !== shown) {
        shown = done;
        line(TEXTS.rewrapProgress(done, total).text);
      }
    },
    onMarker: () => line(TEXTS.autoMarker.text),
  });
  line("OK");
  line(TEXTS.rotationSuccessful.text);
  const after = await selectedStatuses(selectedCtx);
  printNewRegisters(after);
  line();
  printCurrentRegisters(after);
}
