import { printable } from "../../format/printable";
import type { UnitStatus } from "../../engine/port/backend";
import { shortVp } from "../../model/vp";
import { renderTable, shortSki } from "./table";

/**
 * The unit tables `status` and `sim show` share, in TKE's layout: the `cryptounits` listing and the
 * `cryptounit-mk` registers, keyed by CRYPTO UNIT NUM. VPs are shortened here; --json carries them whole.
 */
export type Numbered = Pick<UnitStatus, "id" | "type" | "location" | "selected"> & { readonly num: number };

export interface ExtraColumn<U> {
  readonly header: string;
  cell(unit: U): string;
}

export function unitTable<U extends Numbered>(units: readonly U[], extra: readonly ExtraColumn<U>[] = []): string[] {
  return renderTable(
    ["CRYPTO UNIT NUM", "SELECTED", "TYPE", "LOCATION", "HSM ID", ...extra.map((c) => c.header)],
    units.map((u) => [String(u.num), String(u.selected), u.type.toUpperCase(), u.location, u.id, ...extra.map((c) => c.cell(u))]),
  );
}

const registerVp = (register: { status: string; vp: string }) => (register.status === "Empty" ? "-" : shortVp(register.vp));

export function registerTable<U extends Pick<UnitStatus, "new" | "current"> & { readonly num: number }>(units: readonly U[], extra: readonly ExtraColumn<U>[] = []): string[] {
  return renderTable(
    ["CRYPTO UNIT NUM", "NEW STATUS", "NEW VP", "CURRENT STATUS", "CURRENT VP", ...extra.map((c) => c.header)],
    units.map((u) => [String(u.num), u.new.status, registerVp(u.new), u.current.status, registerVp(u.current), ...extra.map((c) => c.cell(u))]),
  );
}

/** `cryptounit-compare`'s thresholds and administrators sections: once when every unit agrees, per unit otherwise. */
export function configurationLines(units: readonly (Pick<UnitStatus, "thresholds" | "admins"> & { readonly num: number })[]): string[] {
  const thresholdKey = (u: (typeof units)[number]) => `${u.thresholds.signature}/${u.thresholds.revocation}`;
  const adminKey = (u: (typeof units)[number]) => u.admins.map((a) => `${a.name}:${a.ski}`).sort().join(",");
  const lines: string[] = [];
  if (new Set(units.map(thresholdKey)).size <= 1 && units.length > 0) {
    const t = units[0].thresholds;
    lines.push(`SIGNATURE THRESHOLDS: signature ${t.signature}, revocation ${t.revocation} on every unit${t.signature === 0 ? "  ==> IMPRINT MODE <==" : ""}`);
  } else {
    lines.push("SIGNATURE THRESHOLDS:  ==> WARNING: Crypto units are configured differently. <==");
    lines.push(...renderTable(["CRYPTO UNIT NUM", "SIGNATURE THRESHOLD", "REVOCATION THRESHOLD"], units.map((u) => [String(u.num), String(u.thresholds.signature), String(u.thresholds.revocation)]), "  "));
  }
  const adminRows = (admins: UnitStatus["admins"]) => admins.map((a) => [a.name, shortSki(a.ski)]);
  if (new Set(units.map(adminKey)).size <= 1 && units.length > 0) {
    lines.push("CRYPTO UNIT ADMINISTRATORS (every unit):");
    lines.push(...(units[0].admins.length ? renderTable(["ADMIN NAME", "SUBJECT KEY IDENTIFIER"], adminRows(units[0].admins), "  ") : ["  No administrators"]));
  } else {
    lines.push("CRYPTO UNIT ADMINISTRATORS:  ==> WARNING: Crypto units are configured differently. <==");
    for (const u of units) lines.push(`  unit ${u.num}: ${u.admins.map((a) => `${printable(a.name)} (${shortSki(a.ski)})`).join(", ") || "No administrators"}`);
  }
  return lines;
}
