import type { UnitStatus } from "../../../engine/port/backend";
import { inImprintMode } from "../../../model/registers";
import type { Session } from "../session";
import { renderTable, vpCell } from "../table";
import { line } from "../terminal";
import { SECTIONS, TEXTS } from "../texts";
import type { Account, ListedUnit } from "./account";
import type { StoredKeyPart, StoredSigkey } from "./workstation";

/** What the unit-listing commands print first (research §2.1): the session's context. */
export function printContext(session: Session): void {
  line(`API endpoint:     ${session.APIEndpoint}`);
  line(`Region:           ${session.Region}`);
  line(`User:             ${session.User}`);
  line(`Account:          ${session.Account}`);
  line(`Resource group:   ${session.ResourceGroup}`);
  line();
}

/** `cryptounits`: one block per instance, then the two notes. */
export function printUnits(account: Account): void {
  if (account.units.length === 0) {
    line(TEXTS.noInstances.text);
    return;
  }
  for (const instanceId of account.instances) {
    const units = account.units.filter((u) => u.instanceId === instanceId);
    line(`SERVICE INSTANCE: ${instanceId}`);
    renderTable(
      ["CRYPTO UNIT NUM", "SELECTED", "TYPE", "LOCATION"],
      units.map((u) => [String(u.num), String(u.selected), u.type.toUpperCase(), u.location]),
    ).forEach((l) => line(l));
    line();
  }
  line(TEXTS.unitsNote.text);
  line(TEXTS.unitsHint.text);
}

export interface SelectedUnit {
  readonly listed: ListedUnit;
  readonly status: UnitStatus;
}

/** Sections of `cryptounit-compare` / `cryptounit-mk`: a title, then one sub-table per service instance. */
function section(title: string, groups: Map<string, SelectedUnit[]>, headers: readonly string[], row: (u: SelectedUnit) => string[][]): void {
  line();
  line(title);
  for (const [instanceId, units] of groups) {
    line(`SERVICE INSTANCE: ${instanceId}`);
    renderTable(headers, units.flatMap(row)).forEach((l) => line(l));
    line();
  }
}

const registerRows = (pick: (s: UnitStatus) => { status: string; vp: string }) => (u: SelectedUnit) => {
  const r = pick(u.status);
  return [[String(u.listed.num), r.status, vpCell(r.vp)]];
};

export function printNewRegisters(groups: Map<string, SelectedUnit[]>): void {
  section(SECTIONS.newRegister, groups, ["CRYPTO UNIT NUM", "STATUS", "VERIFICATION PATTERN"], registerRows((s) => s.new));
}

export function printCurrentRegisters(groups: Map<string, SelectedUnit[]>): void {
  section(SECTIONS.currentRegister, groups, ["CRYPTO UNIT NUM", "STATUS", "VERIFICATION PATTERN"], registerRows((s) => s.current));
}

export function printThresholds(groups: Map<string, SelectedUnit[]>): void {
  section(SECTIONS.thresholds, groups, ["CRYPTO UNIT NUM", "SIGNATURE THRESHOLD", "REVOCATION THRESHOLD"], (u) => [[String(u.listed.num), String(u.status.thresholds.signature), String(u.status.thresholds.revocation)]]);
  const units = [...groups.values()].flat();
  if (units.some((u) => inImprintMode(u.status.thresholds))) line(TEXTS.imprintNote.text);
}

export function printAdmins(groups: Map<string, SelectedUnit[]>): void {
  section(SECTIONS.admins, groups, ["CRYPTO UNIT NUM", "ADMIN NAME", "SUBJECT KEY IDENTIFIER"], (u) =>
    u.status.admins.length === 0 ? [[String(u.listed.num), TEXTS.noAdministrators.text, ""]] : u.status.admins.map((a, i) => [i === 0 ? String(u.listed.num) : "", a.name, a.ski]),
  );
}

/** `cryptounit-compare`: every section, and the warning when the selected units differ. */
export function printCompare(groups: Map<string, SelectedUnit[]>): void {
  printThresholds(groups);
  printAdmins(groups);
  printNewRegisters(groups);
  printCurrentRegisters(groups);
  section(SECTIONS.controlPoints, groups, ["CRYPTO UNIT NUM", "XCP_CPB_ALG_EC_25519", "XCP_CPB_BTC", "XCP_CPB_ECDSA_OTHER"], (u) => [[String(u.listed.num), "Set", "Set", "Set"]]);
  const units = [...groups.values()].flat();
  const shape = (s: UnitStatus) => JSON.stringify([s.thresholds, s.admins.map((a) => a.ski).sort(), s.current, s.new]);
  if (new Set(units.map((u) => shape(u.status))).size > 1) line(TEXTS.differently.text);
}

export function printSigkeys(keys: readonly StoredSigkey[], selected: readonly number[]): void {
  renderTable(
    ["KEYNUM", "DESCRIPTION", "SUBJECT KEY IDENTIFIER"],
    keys.map((k) => [String(k.keynum), k.description, `${k.sealed.ski.toLowerCase().slice(0, 30)}...`]),
  ).forEach((l) => line(l));
  line();
  if (selected.length === 0) line(TEXTS.noSigkeySelected.text);
  else if (selected.length === 1) line(TEXTS.oneSigkeySelected(selected[0]).text);
  else line(TEXTS.sigkeysSelected(selected).text);
}

export function printKeyParts(parts: readonly StoredKeyPart[]): void {
  renderTable(["KEYNUM", "DESCRIPTION", "VERIFICATION PATTERN"], parts.map((p) => [String(p.keynum), p.description, vpCell(p.vp)])).forEach((l) => line(l));
}
