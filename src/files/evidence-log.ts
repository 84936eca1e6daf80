import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { ceremonyFor, evidenceEntry, evidenceOfProgress, outcomeEvent, runEvent, type RunContext } from "../engine/evidence";
import type { Journal, JournalBinding } from "../engine/journal";
import type { ProgressEvent } from "../engine/progress";
import { HpcsError } from "../model/errors";
import { GENESIS, sealEntry, signatureEvent, verifyEvidence, type EvidenceEvent, type VerifiedEvidence } from "../model/evidence";
import type { SignatureKey } from "../model/signature-key-file";
import type { Vp } from "../model/vp";
import { appendDurably } from "./atomic-file";
import { readBoundedFile } from "./read-file";

/** An evidence file that does not verify: it is never appended to (the next entry could not link to it honestly). */
export class EvidenceBrokenError extends HpcsError {
  readonly retryable = false;
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`the evidence file ${file} does not verify at line ${line} (${reason}); nothing was changed. Keep it for review (hpcs-mk evidence verify ${file}), move it aside, and run again: the run then starts a new evidence file`);
  }
}

/** An evidence file that cannot be read. */
export class EvidenceFileError extends HpcsError {
  readonly retryable = false;
}

/** Far above any ceremony's record (transcripts included). */
const EVIDENCE_MAX_BYTES = 64 * 1024 * 1024;

const SUFFIX = ".evidence.jsonl";

/** A name as it can stand in a path: ids come from the service and from journals in the stack state. */
const pathSafe = (name: string) => name.replace(/[^A-Za-z0-9._-]/g, "_");

/** Evidence files are named by instance and ceremony: `<root>/<instance>/<ceremony>.evidence.jsonl`. */
export function evidenceDirOf(root: string, instanceId: string): string {
  return join(root, pathSafe(instanceId));
}

export function evidenceFileOf(root: string, instanceId: string, ceremony: string): string {
  return join(evidenceDirOf(root, instanceId), `${pathSafe(ceremony)}${SUFFIX}`);
}

/** The instance and ceremony an evidence file's place names (what is left of them once made path-safe). */
export function evidenceFileNames(file: string): { readonly instanceId: string; readonly ceremony: string } {
  const [instanceId = "", name = ""] = file.split(/[\\/]/).slice(-2);
  return { instanceId, ceremony: name.endsWith(SUFFIX) ? name.slice(0, -SUFFIX.length) : name };
}

/** A fresh id for a ceremony or a run. */
export function newEvidenceId(prefix: "rot" | "run"): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(5).toString("hex")}`;
}

/** Reads and verifies one evidence file. */
export function readEvidenceFile(file: string): VerifiedEvidence {
  return verifyEvidence(readBoundedFile(file, EVIDENCE_MAX_BYTES, (detail) => new EvidenceFileError(`the evidence file ${file} ${detail}`)).toString("utf8"));
}

export interface EvidenceFileInfo {
  readonly file: string;
  readonly instanceId: string;
  readonly ceremony: string;
  readonly modifiedAt: string;
}

/** Every evidence file under `root` (one instance's, when given), newest first. */
export function listEvidenceFiles(root: string, instanceId?: string): EvidenceFileInfo[] {
  if (!existsSync(root)) return [];
  const dirs = instanceId !== undefined ? [evidenceDirOf(root, instanceId)] : readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(root, d.name));
  return dirs
    .filter((dir) => existsSync(dir))
    .flatMap((dir) =>
      readdirSync(dir)
        .filter((name) => name.endsWith(SUFFIX))
        .map((name) => {
          const file = join(dir, name);
          return { file, ...evidenceFileNames(file), modifiedAt: statSync(file).mtime.toISOString() };
        }),
    )
    .sort((a, b) => b.modifiedAt.localeCompare(a.modifiedAt));
}

export interface EvidenceRecorderOptions {
  readonly root: string;
  readonly run: RunContext;
  readonly now?: () => string;
  /** Sign each run's record with this administrator's key (`--sign-evidence`, `signEvidence`). */
  readonly signWith?: SignatureKey;
}

/**
 * Records one run as evidence: appends to its ceremony's file (created on the first run), each entry linked to the one
 * before and durable before the next. The file must verify before the run adds to it (EvidenceBrokenError
 * otherwise, thrown by `start`, before anything changes). A write that fails later (a full disk) stops the record
 * there, never the ceremony: `failure` says so, and the shells report it.
 */
export class EvidenceRecorder {
  readonly file: string;
  readonly runId = newEvidenceId("run");
  private head = "";
  private seq = 0;
  private steps = 0;
  private finished = false;
  private stopped: Error | undefined;
  private readonly now: () => string;

  constructor(private readonly options: EvidenceRecorderOptions) {
    this.file = evidenceFileOf(options.root, options.run.backend.instanceId, options.run.ceremony);
    this.now = options.now ?? (() => new Date().toISOString());
  }

  /** Checks the ceremony's file and writes the run's first entry. */
  start(): void {
    mkdirSync(evidenceDirOf(this.options.root, this.options.run.backend.instanceId), { recursive: true, mode: 0o700 });
    if (existsSync(this.file)) {
      const existing = readEvidenceFile(this.file);
      if (existing.broken) throw new EvidenceBrokenError(this.file, existing.broken.line, existing.broken.reason);
      this.head = existing.head;
      this.seq = existing.entries.length;
    } else {
      this.head = GENESIS;
    }
    this.write(runEvent(this.options.run), { rethrow: true });
  }

  progress(event: ProgressEvent): void {
    if (event.type === "stepDone") this.steps++;
    const evidence = evidenceOfProgress(event);
    if (evidence) this.record(evidence);
  }

  /**
   * The run's outcome, then, when the user asked for it, an administrator's signature over the record so far. Only
   * the first call records (an error thrown after the outcome is not another one).
   */
  finish(end: { readonly outcome: "done" | "refused" | "failed"; readonly vp?: Vp; readonly message?: string }): void {
    if (this.finished) return;
    this.finished = true;
    this.record(outcomeEvent({ ...end, steps: this.steps }));
    if (this.options.signWith && !this.stopped) this.record(signatureEvent(this.head, this.options.signWith));
  }

  record(event: EvidenceEvent): void {
    this.write(event, { rethrow: false });
  }

  /** One of IBM's plug-in's redacted transcripts (the TKE CLI backend's `Transcript`). */
  transcript(t: { readonly command: string; readonly startedAt: string; readonly endedAt: string; readonly exitCode: number | undefined; readonly text: string }): void {
    this.record({ type: "transcript", command: t.command, startedAt: t.startedAt, endedAt: t.endedAt, exitCode: t.exitCode ?? null, text: t.text });
  }

  /** Why the record stopped early, if it did. */
  get failure(): Error | undefined {
    return this.stopped;
  }

  /** The record's id (the file's ceremony and this run) and the hash of its last entry: what the stack outputs. */
  get latest(): { readonly id: string; readonly hash: string } {
    return { id: `${this.options.run.ceremony}/${this.runId}`, hash: this.head };
  }

  private write(event: EvidenceEvent, options: { readonly rethrow: boolean }): void {
    if (this.stopped) return;
    try {
      const { line, hash } = sealEntry(evidenceEntry(event, { seq: this.seq, prev: this.head, at: this.now(), run: this.runId }));
      appendDurably(this.file, `${line}\n`);
      this.head = hash;
      this.seq++;
    } catch (e) {
      this.stopped = e as Error;
      if (options.rethrow) throw e;
    }
  }
}

export interface OpenEvidenceOptions extends Omit<EvidenceRecorderOptions, "run"> {
  readonly run: Omit<RunContext, "ceremony">;
  /** The journal the run starts from: a rotation it resumes names the ceremony. */
  readonly journal: Journal | undefined;
  readonly binding: JournalBinding;
}

/**
 * The record of one run, started (its file checked, its first entry written), in the ceremony the journal names or a
 * new one, and the rotation id the executor gives a rotation it begins, so the next run finds the same file.
 */
export function startEvidenceRecord(options: OpenEvidenceOptions): { readonly recorder: EvidenceRecorder; readonly newRotationId: () => string } {
  const { ceremony, newRotationId } = ceremonyFor(options.journal, options.binding, () => newEvidenceId("rot"));
  const recorder = new EvidenceRecorder({ ...options, run: { ...options.run, ceremony } });
  recorder.start();
  return { recorder, newRotationId };
}
