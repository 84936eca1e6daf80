import type { Signers } from "../../../engine/port/backend";
import type { SignatureKey } from "../../../model/signature-key-file";
import type { Session } from "../session";
import { ask, line } from "../terminal";
import { TEXTS } from "../texts";
import type { Account, ListedUnit } from "./account";
import type { SelectedUnit } from "./views";
import { listSigkeys, openSigkey, selectedSigkeys } from "./workstation";

/** What a `tke` command runs with: the session, the account's units, and the workstation directory. */
export interface TkeContext {
  readonly session: Session;
  readonly account: Account;
  readonly tkeDir: string;
}

/** A failure the plug-in reports as `FAILED` and the lines that follow it. */
export class PluginFailure extends Error {
  constructor(readonly lines: readonly string[]) {
    super(lines.join("\n"));
  }
}

export const fail = (...lines: string[]): never => {
  throw new PluginFailure(lines);
};

/** The selected units, grouped by instance, with each one's registers, thresholds and admins. */
export async function selectedStatuses(ctx: TkeContext): Promise<Map<string, SelectedUnit[]>> {
  const groups = new Map<string, SelectedUnit[]>();
  for (const [instanceId, units] of ctx.account.selectedByInstance()) {
    const backend = await ctx.account.open(instanceId);
    const statuses = await Promise.all(units.map((u) => backend.queryUnit(u.id)));
    groups.set(
      instanceId,
      units.map((listed, i) => ({ listed, status: statuses[i] })),
    );
  }
  if (groups.size === 0) fail(TEXTS.noUnitsSelected.text);
  return groups;
}

/** Parses `1 2 3` against the listed CRYPTO UNIT NUMs. */
export function unitsByNumbers(ctx: TkeContext, answer: string): ListedUnit[] {
  const values = answer.split(/\s+/).filter((v) => v.length > 0);
  return values.map((value) => ctx.account.units.find((u) => String(u.num) === value) ?? fail(TEXTS.badUnitNumber(value).text));
}

/**
 * The signatures a command needs, from the keys selected with `sigkey-sel`: installed administrators of every target
 * unit first, up to `required`, each asked for by the name and SKI it is installed under (research §2.4).
 */
export function promptSigners(ctx: TkeContext, targets: readonly SelectedUnit[], required: number): Signers {
  const selected = selectedSigkeys(ctx.tkeDir);
  if (selected.length === 0) fail(TEXTS.noSignersSelected.text);
  const stored = listSigkeys(ctx.tkeDir).filter((k) => selected.includes(k.keynum));
  const installedName = (ski: string) => targets.map((t) => t.status.admins.find((a) => a.ski === ski)?.name).find((n) => n !== undefined);
  const installedEverywhere = (ski: string) => targets.every((t) => t.status.admins.some((a) => a.ski === ski));
  const ordered = [...stored.filter((k) => installedEverywhere(k.sealed.ski.toLowerCase())), ...stored.filter((k) => !installedEverywhere(k.sealed.ski.toLowerCase()))];
  const keys: SignatureKey[] = [];
  for (const key of ordered.slice(0, Math.max(1, required))) {
    const ski = key.sealed.ski.toLowerCase();
    line(TEXTS.signerPrompt.text);
    const password = ask(TEXTS.signer(installedName(ski) ?? key.description, ski).text, { hidden: true });
    keys.push(openSigkey(key, password) ?? fail(TEXTS.invalidPassword.text));
  }
  return { keys };
}
