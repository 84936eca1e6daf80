import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { EvidenceEntry } from "../../model/evidence";
import { InputError } from "../../model/errors";
import { evidenceFileNames, listEvidenceFiles, readEvidenceFile } from "../../files/evidence-log";
import type { GlobalOptions } from "../argv";
import { cliConfig, displayPath } from "../config";
import type { CommandContext } from "../context";
import type { Report } from "../report";

export interface EvidenceOptions extends GlobalOptions {
  readonly evidenceDir: string | undefined;
  readonly instance: string | undefined;
}

/** One run of a ceremony, as its entries tell it. */
export interface EvidenceRun {
  readonly run: string;
  readonly command: string | null;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly outcome: string | null;
  readonly steps: number;
  /** The hash of the run's last entry: what the stack output `evidence.hash` names. */
  readonly lastHash: string;
}

export interface EvidenceSummary {
  readonly file: string;
  readonly instanceId: string;
  readonly ceremony: string;
  readonly entries: number;
  readonly runs: readonly EvidenceRun[];
  /** Null when every entry verifies; else the first that does not. */
  readonly broken: { readonly line: number; readonly reason: string } | null;
}

export interface EvidenceListReport extends Report {
  readonly dir: string;
  readonly ceremonies: readonly EvidenceSummary[];
}

export interface EvidenceShowReport extends Report, EvidenceSummary {
  readonly records: readonly (EvidenceEntry & { readonly hash: string })[];
}

function rootOf(opts: EvidenceOptions, ctx: CommandContext): string {
  return resolve(ctx.cwd, opts.evidenceDir ?? cliConfig(opts, ctx).evidenceDir);
}

function runsOf(entries: readonly (EvidenceEntry & { readonly hash: string })[]): EvidenceRun[] {
  const runs = new Map<string, (EvidenceEntry & { readonly hash: string })[]>();
  for (const e of entries) runs.set(e.run, [...(runs.get(e.run) ?? []), e]);
  return [...runs.entries()].map(([run, list]) => {
    const first = list[0].event;
    const last = list[list.length - 1];
    const outcome = list.map((e) => e.event).find((e) => e.type === "outcome");
    return {
      run,
      command: first.type === "run" ? first.command : null,
      startedAt: list[0].at,
      endedAt: last.at,
      outcome: outcome?.type === "outcome" ? outcome.outcome : null,
      steps: list.filter((e) => e.event.type === "stepDone").length,
      lastHash: last.hash,
    };
  });
}

function summarise(file: string, ctx: CommandContext): EvidenceSummary & { readonly records: readonly (EvidenceEntry & { readonly hash: string })[] } {
  const verified = readEvidenceFile(file);
  const first = verified.entries[0]?.event;
  // A file whose first entry does not verify is still named by its place.
  const named = evidenceFileNames(file);
  return {
    file: displayPath(ctx.cwd, file),
    instanceId: first?.type === "run" ? first.instanceId : named.instanceId,
    ceremony: first?.type === "run" ? first.ceremony : named.ceremony,
    entries: verified.entries.length,
    runs: runsOf(verified.entries),
    broken: verified.broken ?? null,
    records: verified.entries,
  };
}

/** The file an argument names: a path, or a ceremony id under the evidence directory. */
function fileOf(target: string, opts: EvidenceOptions, ctx: CommandContext): string {
  const asPath = resolve(ctx.cwd, target);
  if (existsSync(asPath)) return asPath;
  const found = listEvidenceFiles(rootOf(opts, ctx), opts.instance).filter((f) => f.ceremony === target);
  if (found.length === 1) return found[0].file;
  if (found.length > 1) throw new InputError(`${target}: ${found.length} instances have a ceremony of that id; add --instance`, "target");
  throw new InputError(`${target}: no such evidence file, and no ceremony of that id under ${displayPath(ctx.cwd, rootOf(opts, ctx))}; hpcs-mk evidence list shows them`, "target");
}

/** evidence list — every ceremony's evidence file, newest first, each verified. */
export function evidenceList(opts: EvidenceOptions, ctx: CommandContext): EvidenceListReport {
  const root = rootOf(opts, ctx);
  const ceremonies = listEvidenceFiles(root, opts.instance).map((f) => {
    const { records: _records, ...summary } = summarise(f.file, ctx);
    return summary;
  });
  return { command: "evidence list", outcome: ceremonies.some((c) => c.broken) ? "failed" : "ok", dir: displayPath(ctx.cwd, root), ceremonies };
}

/** evidence show — one ceremony's record: every run, what it saw and did, and whether it verifies. */
export function evidenceShow(target: string, opts: EvidenceOptions, ctx: CommandContext): EvidenceShowReport {
  const summary = summarise(fileOf(target, opts, ctx), ctx);
  return { command: "evidence show", outcome: summary.broken ? "failed" : "ok", ...summary };
}

/** evidence verify — every link of one ceremony's file; fails naming the first entry that does not verify. */
export function evidenceVerify(target: string, opts: EvidenceOptions, ctx: CommandContext): EvidenceShowReport {
  return { ...evidenceShow(target, opts, ctx), command: "evidence verify" };
}
