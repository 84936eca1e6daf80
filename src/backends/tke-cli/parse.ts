import { HpcsError } from "../../model/errors";
import { CURRENT_STATUSES, NEW_STATUSES, type Administrator, type CurrentStatus, type NewStatus, type Thresholds, type UnitType } from "../../model/registers";
import { EMPTY_VP, type Vp } from "../../model/vp";

/**
 * Parsers of the TKE CLI plug-in's output (research/real-backends.md §2, research/tke-domain.md §2.4). The table layout
 * depends on the CLI SDK the plug-in links (trailing spaces before 2022, go-pretty with coloured first columns since
 * 2025, `\r\n` under a terminal), so rows are read as runs of cells two or more spaces apart, each cell recognised by
 * what it holds, never by its column position; a verification pattern is 32 hex digits on the unit's row and 32 on the
 * next. Anything a parser cannot place is an error naming the line: the driver then refuses, never guesses.
 */
export class TkeOutputError extends HpcsError {
  readonly retryable = false;
  constructor(
    readonly command: string,
    detail: string,
  ) {
    super(`the output of ibmcloud tke ${command} was not understood: ${detail}; nothing further was done (the transcript shows the output)`);
  }
}

// eslint-disable-next-line no-control-regex -- terminal escapes are what this removes
const ANSI = /\x1B(?:[@-Z\\-_]|\[[0-?]*[ -/]*[@-~])/g;

/** Output lines as a person reads them: colours and carriage returns removed. */
export function outputLines(text: string): string[] {
  return text.replace(ANSI, "").replace(/\r\n?/g, "\n").split("\n");
}

const cells = (line: string) =>
  line
    .trim()
    .split(/\s{2,}/)
    .filter((c) => c.length > 0);
const isHalfVp = (cell: string) => /^[0-9a-f]{32}$/.test(cell);

/** The context header of the unit-listing commands: `API endpoint:`, `Region:`, `User:`, `Account:`, `Resource group:`. */
export interface ListingContext {
  readonly apiEndpoint?: string;
  readonly region?: string;
  readonly account?: string;
  readonly resourceGroup?: string;
}

export function parseContext(lines: readonly string[]): ListingContext {
  const value = (label: string) => lines.map((l) => new RegExp(`^${label}:\\s+(.*?)\\s*$`).exec(l)?.[1]).find((v) => v !== undefined);
  return { apiEndpoint: value("API endpoint"), region: value("Region"), account: value("Account"), resourceGroup: value("Resource group") };
}

export interface ListedUnit {
  /** CRYPTO UNIT NUM: valid for this listing only. */
  readonly num: number;
  readonly selected: boolean;
  readonly type: UnitType;
  readonly location: string;
}

export interface InstanceListing {
  readonly instanceId: string;
  readonly units: readonly ListedUnit[];
}

const INSTANCE_LINE = /^SERVICE INSTANCE:\s+(\S+)\s*$/;
const LOCATION = /^\[[^\]]+\]\.\[[^\]]+\]\.\[\d+\]\.\[\d+\]$/;

/**
 * `cryptounits` (and the listing `cryptounit-add`/`-rm` print): one block per service instance. Refuses a listing in
 * which a unit cannot be told to belong to one instance: a row outside a block, a number or location seen twice.
 */
export function parseUnitListing(text: string, command = "cryptounits"): InstanceListing[] {
  const lines = outputLines(text);
  const instances: { instanceId: string; units: ListedUnit[] }[] = [];
  let current: { instanceId: string; units: ListedUnit[] } | undefined;
  let inTable = false;
  for (const line of lines) {
    const instance = INSTANCE_LINE.exec(line);
    if (instance) {
      if (instances.some((i) => i.instanceId === instance[1])) throw new TkeOutputError(command, `service instance ${instance[1]} is listed twice`);
      current = { instanceId: instance[1], units: [] };
      instances.push(current);
      inTable = false;
      continue;
    }
    if (/^CRYPTO UNIT NUM\s+SELECTED\s+(TYPE\s+)?LOCATION\s*$/.test(line.trim())) {
      if (!current) throw new TkeOutputError(command, "a crypto unit table with no SERVICE INSTANCE line above it");
      inTable = true;
      continue;
    }
    if (line.trim() === "") {
      inTable = false;
      continue;
    }
    if (!inTable || !current) continue;
    const row = cells(line);
    const [num, selected] = row;
    const type = row.length === 4 ? row[2].toLowerCase() : "operational";
    const location = row[row.length - 1];
    if (!/^\d+$/.test(num) || !/^(true|false)$/.test(selected) || !["operational", "recovery", "failover"].includes(type) || !LOCATION.test(location) || row.length < 3 || row.length > 4) {
      throw new TkeOutputError(command, `a crypto unit row was not understood: "${line.trim()}"`);
    }
    current.units.push({ num: Number(num), selected: selected === "true", type: type as UnitType, location });
  }
  const all = instances.flatMap((i) => i.units);
  if (new Set(all.map((u) => u.num)).size !== all.length) throw new TkeOutputError(command, "a CRYPTO UNIT NUM is listed twice");
  if (new Set(all.map((u) => u.location)).size !== all.length) throw new TkeOutputError(command, "a crypto unit location is listed twice");
  return instances;
}

/** One unit's registers, thresholds and administrators as `cryptounit-compare` shows them (by CRYPTO UNIT NUM). */
export interface ComparedUnit {
  readonly num: number;
  readonly thresholds?: Thresholds;
  readonly admins: Administrator[];
  readonly current?: { readonly status: CurrentStatus; readonly vp: Vp };
  readonly new?: { readonly status: NewStatus; readonly vp: Vp };
}

/** The section titles of `cryptounit-compare` and `cryptounit-mk` (research §2.4). */
const SECTION_TITLES = ["SIGNATURE THRESHOLDS", "CRYPTO UNIT ADMINISTRATORS", "NEW MASTER KEY REGISTER", "CURRENT MASTER KEY REGISTER", "CONTROL POINTS"];

/** The blocks of a titled section (`NEW MASTER KEY REGISTER`, …): per instance, its table's rows as cells. */
function sectionRows(lines: readonly string[], title: string): Map<string, string[][]> {
  const blocks = new Map<string, string[][]>();
  const start = lines.findIndex((l) => l.trim() === title);
  if (start < 0) return blocks;
  let instance: string | undefined;
  let header = false;
  for (const line of lines.slice(start + 1)) {
    if (SECTION_TITLES.includes(line.trim())) break;
    const match = INSTANCE_LINE.exec(line);
    if (match) {
      instance = match[1];
      blocks.set(instance, []);
      header = false;
      continue;
    }
    if (/^CRYPTO UNIT NUM\b/.test(line.trim())) {
      header = true;
      continue;
    }
    if (line.trim() === "" || line.trim().startsWith("==>")) {
      header = false;
      continue;
    }
    if (instance && header) blocks.get(instance)?.push(line.startsWith(" ") ? ["", ...cells(line)] : cells(line));
  }
  return blocks;
}

/** A register table: `NUM  STATUS  first 32 hex`, then `   last 32 hex`. */
function registers<S extends string>(rows: readonly string[][], statuses: readonly S[], command: string, title: string): Map<number, { status: S; vp: Vp }> {
  const out = new Map<number, { status: S; vp: Vp }>();
  let pending: { num: number; status: S; half: string } | undefined;
  for (const row of rows) {
    if (row[0] === "" && row.length === 2 && pending && isHalfVp(row[1])) {
      out.set(pending.num, { status: pending.status, vp: pending.half + row[1] });
      pending = undefined;
      continue;
    }
    const [num, status, half] = row;
    if (pending || !/^\d+$/.test(num) || !statuses.includes(status as S) || !isHalfVp(half ?? "") || row.length !== 3) {
      throw new TkeOutputError(command, `a row of ${title} was not understood: "${row.join("   ")}"`);
    }
    pending = { num: Number(num), status: status as S, half };
  }
  if (pending) throw new TkeOutputError(command, `the verification pattern of crypto unit ${pending.num} in ${title} is cut off`);
  return out;
}

/**
 * `cryptounit-compare` and `cryptounit-mk`: per instance, per selected unit, what the sections show. A section the
 * command does not print (thresholds in `cryptounit-mk`) leaves its field undefined.
 */
export function parseCompare(text: string, command = "cryptounit-compare"): Map<string, ComparedUnit[]> {
  const lines = outputLines(text);
  const result = new Map<string, Map<number, ComparedUnit>>();
  const unit = (instance: string, num: number): ComparedUnit => {
    const units = result.get(instance) ?? new Map<number, ComparedUnit>();
    result.set(instance, units);
    const found = units.get(num) ?? { num, admins: [] };
    units.set(num, found);
    return found;
  };
  const update = (instance: string, num: number, change: Partial<ComparedUnit>) => {
    result.get(instance)?.set(num, { ...unit(instance, num), ...change });
  };
  for (const [instance, rows] of sectionRows(lines, "SIGNATURE THRESHOLDS")) {
    for (const row of rows) {
      const [num, signature, revocation] = row;
      if (!/^\d+$/.test(num) || !/^\d+$/.test(signature) || !/^\d+$/.test(revocation ?? "") || row.length !== 3) throw new TkeOutputError(command, `a threshold row was not understood: "${row.join("   ")}"`);
      unit(instance, Number(num));
      update(instance, Number(num), { thresholds: { signature: Number(signature), revocation: Number(revocation) } });
    }
  }
  for (const [instance, rows] of sectionRows(lines, "CRYPTO UNIT ADMINISTRATORS")) {
    let num: number | undefined;
    for (const row of rows) {
      if (row[0] !== "") num = /^\d+$/.test(row[0]) ? Number(row[0]) : undefined;
      const [name, ski] = row.slice(1);
      if (num === undefined) throw new TkeOutputError(command, `an administrator row was not understood: "${row.join("   ")}"`);
      const u = unit(instance, num);
      if (name === "No administrators" && ski === undefined) continue;
      if (name === undefined || !/^[0-9a-f]{64}$/.test(ski ?? "")) throw new TkeOutputError(command, `an administrator row was not understood: "${row.join("   ")}"`);
      update(instance, num, { admins: [...u.admins, { name, ski: ski as string }] });
    }
  }
  for (const [title, field, statuses] of [
    ["NEW MASTER KEY REGISTER", "new", NEW_STATUSES],
    ["CURRENT MASTER KEY REGISTER", "current", CURRENT_STATUSES],
  ] as const) {
    for (const [instance, rows] of sectionRows(lines, title)) {
      for (const [num, register] of registers<string>(rows, statuses, command, title)) {
        unit(instance, num);
        update(instance, num, { [field]: { status: register.status, vp: register.status === "Empty" ? EMPTY_VP : register.vp } });
      }
    }
  }
  return new Map([...result].map(([instance, units]) => [instance, [...units.values()]]));
}

export interface ListedSigkey {
  readonly keynum: number;
  readonly description: string;
  /** The first 30 hex digits of the SKI: all the listing shows. */
  readonly skiPrefix: string;
}

/** `sigkeys` (and the listing `sigkey-sel` prints): the workstation's signature keys. */
export function parseSigkeys(text: string): ListedSigkey[] {
  return outputLines(text).flatMap((line) => {
    const row = cells(line);
    const last = row[row.length - 1] ?? "";
    const ski = /^([0-9a-f]{30})\.\.\.$/.exec(last);
    if (!ski || !/^\d+$/.test(row[0])) return [];
    return [{ keynum: Number(row[0]), description: row.slice(1, -1).join("  "), skiPrefix: ski[1] }];
  });
}

export interface ListedKeyPart {
  readonly keynum: number;
  readonly description: string;
  readonly vp: Vp;
}

/** `mks` (and the table `cryptounit-mk-load` prints first): the workstation's master key parts. */
export function parseKeyParts(text: string): ListedKeyPart[] {
  const parts: ListedKeyPart[] = [];
  let pending: { keynum: number; description: string; half: string } | undefined;
  for (const line of outputLines(text)) {
    const row = cells(line);
    if (pending && row.length === 1 && isHalfVp(row[0]) && line.startsWith(" ")) {
      parts.push({ keynum: pending.keynum, description: pending.description, vp: pending.half + row[0] });
      pending = undefined;
      continue;
    }
    pending = undefined;
    if (row.length >= 2 && /^\d+$/.test(row[0]) && isHalfVp(row[row.length - 1])) pending = { keynum: Number(row[0]), description: row.slice(1, -1).join("  "), half: row[row.length - 1] };
  }
  return parts;
}

/** `ibmcloud plugin show tke`: the plug-in's version. */
export function parsePluginVersion(text: string): string | undefined {
  return outputLines(text)
    .map((line) => /^Plugin Version\s+(\S+)\s*$/.exec(line.trim())?.[1])
    .find((v) => v !== undefined);
}
