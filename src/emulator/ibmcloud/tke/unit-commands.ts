import { renderTable } from "../table";
import { ask, line } from "../terminal";
import { TEXTS } from "../texts";
import { markSelected, openAccount } from "./account";
import { selectedStatuses, unitsByNumbers, type TkeContext } from "./common";
import { printCompare, printContext, printCurrentRegisters, printNewRegisters, printThresholds, printUnits } from "./views";

/** `cryptounits`: the context, then the units of every instance of the targeted resource group. */
export async function cryptounits(ctx: TkeContext): Promise<void> {
  printContext(ctx.session);
  printUnits(ctx.account);
}

/** `cryptounit-add` / `cryptounit-rm`: the listing, the prompt, `OK`, and the listing again (research §2.2, §2.3). */
export async function changeSelection(ctx: TkeContext, selected: boolean): Promise<void> {
  await cryptounits(ctx);
  line();
  const units = unitsByNumbers(ctx, ask(selected ? TEXTS.addUnits.text : TEXTS.removeUnits.text));
  markSelected(ctx.account, units, selected);
  line("OK");
  line();
  await cryptounits({ ...ctx, account: await openAccount(ctx.account.simDir, ctx.tkeDir) });
}

export async function cryptounitCompare(ctx: TkeContext): Promise<void> {
  line();
  printCompare(await selectedStatuses(ctx));
}

/** `cryptounit-mk`: both registers of the selected units (the layout printed after cryptounit-mk-setimm). */
export async function cryptounitMk(ctx: TkeContext): Promise<void> {
  const groups = await selectedStatuses(ctx);
  printNewRegisters(groups);
  line();
  printCurrentRegisters(groups);
}

export async function cryptounitThresholds(ctx: TkeContext): Promise<void> {
  printThresholds(await selectedStatuses(ctx));
}

/** `cryptounit-admins`: per instance, the administrators installed in its selected units. */
export async function cryptounitAdmins(ctx: TkeContext): Promise<void> {
  const groups = await selectedStatuses(ctx);
  for (const [instanceId, units] of groups) {
    const admins = new Map(units.flatMap((u) => u.status.admins.map((a) => [a.ski, a.name] as const)));
    line();
    if (admins.size === 0) {
      line(TEXTS.noAdminsForInstance(instanceId).text);
      continue;
    }
    line(`SERVICE INSTANCE: ${instanceId}`);
    renderTable(["ADMIN NAME", "SUBJECT KEY IDENTIFIER"], [...admins].map(([ski, name]) => [name, ski])).forEach((l) => line(l));
  }
}
