import type { Backend, Signers } from "../engine/port/backend";
import { openBackend, type Transcript } from "../compose/open-backend";
import type { ActionKind } from "../engine/decision";
import { ACTION_COMMANDS } from "../engine/action-commands";
import { journalBinding, type Journal, type JournalBinding } from "../engine/journal";
import type { PhaseName } from "../engine/phases";
import type { Desired } from "../engine/plan";
import { previewCeremony, type Preview } from "../engine/preview";
import { keyPartFileRefs, openKeyParts, type KeyPartRef } from "../files/key-parts";
import { openSigners } from "../files/signature-keys";
import { parseAttestation } from "../engine/attestation";
import type { DeclaredKey } from "../engine/declared-key";
import type { Material } from "../engine/executor";
import { InputError } from "../model/errors";
import { parseVp, sameVp, type Vp } from "../model/vp";
import { classify } from "../engine/classify";
import { observe } from "../engine/observe";
import { settledKey } from "../engine/rotation-policy";
import { keyAgeReport } from "./key-age";
import type { GlobalOptions } from "./argv";
import { cliConfig, displayPath } from "./config";
import type { CommandContext } from "./context";
import { keyPartRefs, signatureKeyRefs } from "./credentials";
import type { InstanceView } from "./instance-view";
import { CLI_WORDS } from "./shell-words";
import { defaultJournalFile, readJournalFile } from "./journal-file";
import type { UnitNum } from "../format/unit-labels";

/** What `plan` and `rotate` share: the instance, the declared key parts and signers, and the journal file. */
export interface CeremonyOptions extends GlobalOptions {
  readonly instance: string;
  readonly keyPart: readonly string[];
  /** Paired by position with `keyPart`; a part without one is prompted for. */
  readonly keyPartPasswordEnv: readonly string[];
  readonly signatureKey: readonly string[];
  readonly signatureKeyPasswordEnv: readonly string[];
  /** Default `.hpcs-mk/<instance-id>.journal.json` in the working directory. */
  readonly journal: string | undefined;
  /** An operator's attestation, `<VP>:<code>` (`--attest-rewrap-complete`). */
  readonly attestRewrapComplete: string | undefined;
  /** The VP the key parts make (`--expected-vp`): a check, or the key of files only the backend opens. */
  readonly expectedVp: string | undefined;
  /** The rotation policy (`--rotation-period-days`): the report says when a rotation is due and what the custodians do. */
  readonly rotationPeriodDays: number | undefined;
  /**
   * Generate the new key in a recovery unit instead of loading key parts (`--recovery-unit-key`): now, or with a
   * rotation policy only when a rotation is due.
   */
  readonly recoveryUnitKey: boolean;
}

export interface OpenedCeremony {
  readonly backend: Backend;
  readonly journalFile: string;
  readonly journal: Journal | undefined;
  /** The key parts as the backend takes them (`capabilities.keyParts`). */
  readonly keyParts: Material["keyParts"];
  readonly signers: Signers;
  readonly desired: Desired;
  /** This instance and service: a journal is evidence only when it was written for them. */
  readonly binding: JournalBinding;
  /** SHA-256s of the --key-part files (Activity Tracker's masterKeyIds), for the evidence record. */
  readonly keyPartSha256s: readonly string[];
  /** Where IBM's plug-in's redacted transcripts go as well, from now on (the evidence record). */
  onTranscript(listener: (transcript: Transcript) => void): void;
  /** Zeroes the decrypted key parts and closes the backend. Call on every exit path. */
  close(): Promise<void>;
}

/**
 * openCeremony — in the order that fails cheapest first: the instance (unknown → no prompt), the journal file, then
 * the passwords (env or prompt), then decryption of the key parts and signature keys.
 */
export async function openCeremony(opts: CeremonyOptions, ctx: CommandContext): Promise<OpenedCeremony> {
  const relay: { listener?: (transcript: Transcript) => void } = {};
  const backend = await openBackend(cliConfig(opts, ctx), opts.instance, { onTranscript: (t) => relay.listener?.(t), onWait: (notice) => ctx.progress(notice) });
  try {
    const opened = await openWith(backend, opts, ctx);
    return { ...opened, onTranscript: (listener) => (relay.listener = listener) };
  } catch (e) {
    await backend.close?.();
    throw e;
  }
}

async function openWith(backend: Backend, opts: CeremonyOptions, ctx: CommandContext): Promise<Omit<OpenedCeremony, "onTranscript">> {
  const journalFile = displayPath(ctx.cwd, opts.journal ?? defaultJournalFile(ctx.cwd, opts.instance));
  const journal = readJournalFile(journalFile);
  const partRefs = await keyPartRefs(ctx, opts.keyPart, opts.keyPartPasswordEnv, "--key-part-password-env");
  const signerRefs = await signatureKeyRefs(ctx, opts.signatureKey, opts.signatureKeyPasswordEnv, "--signature-key-password-env");
  const expectedVp = opts.expectedVp === undefined ? undefined : parseVp(opts.expectedVp);
  const parts = opts.recoveryUnitKey ? await generatedKey(backend, opts, ctx, journalFile, expectedVp) : openParts(backend, partRefs, expectedVp);
  try {
    const signers = openSigners(signerRefs, { entry: () => "--signature-key" });
    const attestation = opts.attestRewrapComplete === undefined ? undefined : parseAttestation(opts.attestRewrapComplete);
    const desired: Desired = {
      key: parts.key,
      signerSkis: signers.keys.map((k) => k.ski),
      signerSources: Object.fromEntries(signerRefs.map((ref, i) => [signers.keys[i].ski, ref.file])),
      words: CLI_WORDS,
      ...(attestation ? { rewrapAttestation: attestation } : {}),
    };
    const close = async () => {
      parts.close();
      await backend.close?.();
    };
    const keyPartSha256s = parts.key.kind === "files" ? parts.key.ids : parts.key.kind === "vp" ? keyPartFileRefs(partRefs).map((f) => f.sha256) : [];
    return { backend, journalFile, journal, keyParts: parts.keyParts, signers, desired, binding: journalBinding(backend), keyPartSha256s, close };
  } catch (e) {
    parts.close();
    throw e;
  }
}

/**
 * The key parts in the form the backend takes, and the declared key: decrypted here (the VP is known, and
 * `--expected-vp` is a check), or only hashed, for a backend that opens the files itself (the key is `--expected-vp`,
 * or learned when a load reports it).
 */
function openParts(backend: Backend, refs: readonly KeyPartRef[], expectedVp: Vp | undefined): { keyParts: Material["keyParts"]; key: DeclaredKey; close(): void } {
  if (backend.capabilities.keyParts === "opaque") {
    const files = keyPartFileRefs(refs);
    return { keyParts: { kind: "files", files }, key: { kind: "files", ids: files.map((f) => f.sha256), ...(expectedVp ? { expectedVp } : {}) }, close: () => undefined };
  }
  const opened = openKeyParts(refs);
  if (expectedVp !== undefined && !sameVp(expectedVp, opened.vp)) {
    opened.close();
    throw new InputError(`--expected-vp: the key parts make the master key ${opened.vp}, not ${expectedVp}; check that the right --key-part files are given (hpcs-mk keypart show)`, "expectedVp");
  }
  return { keyParts: { kind: "material", parts: opened.parts }, key: { kind: "vp", vp: opened.vp }, close: () => opened.close() };
}

/**
 * `--recovery-unit-key`: a key generated in a recovery unit, replacing the current one; with `--rotation-period-days`
 * only once a rotation is due by this workstation's key age record. A generation of ours under way (the journal
 * file) is finished either way.
 */
async function generatedKey(backend: Backend, opts: CeremonyOptions, ctx: CommandContext, journalFile: string, expectedVp: Vp | undefined): Promise<{ keyParts: Material["keyParts"]; key: DeclaredKey; close(): void }> {
  const phase = classify(await observe(backend));
  const age = keyAgeReport({ instance: opts.instance, binding: journalBinding(backend), phase, journal: readJournalFile(journalFile), periodDays: opts.rotationPeriodDays, record: false, source: "recoveryUnit" }, ctx);
  const wanted = opts.rotationPeriodDays === undefined || age.rotationPolicy?.due === true;
  const current = settledKey(phase);
  const keyParts: Material["keyParts"] = backend.capabilities.keyParts === "opaque" ? { kind: "files", files: [] } : { kind: "material", parts: [] };
  return { keyParts, key: { kind: "generated", replacing: wanted ? current : undefined, ...(expectedVp ? { expectedVp } : {}) }, close: () => undefined };
}

export interface PlannedStep {
  readonly step: number;
  /** The phase the instance is in when the step runs. */
  readonly phase: PhaseName;
  readonly action: ActionKind;
  readonly tke: string;
  readonly units: readonly UnitNum[];
  /** The key the step is bound to; null for a load of key part files whose key it is to learn. */
  readonly vp: Vp | null;
  readonly reason: string;
}

/** How the ceremony would end if every step succeeded: done, the refusal it would meet, or (a bug) no end. */
export type PlanEnd = Preview["end"];

export interface PlannedCeremony {
  /** Every unit of the instance by CRYPTO UNIT NUM, to read the ids in steps and reasons. */
  readonly units: readonly UnitNum[];
  readonly steps: readonly PlannedStep[];
  readonly end: PlanEnd;
}

/** planCeremony — every step a rotation would take from this view, assuming each succeeds (previewCeremony). Pure. */
export function planCeremony(view: InstanceView, ceremony: Pick<OpenedCeremony, "journal" | "binding" | "desired" | "backend">): PlannedCeremony {
  const preview = previewCeremony({ observation: view.observation, journal: ceremony.journal, binding: ceremony.binding, desired: ceremony.desired, capabilities: ceremony.backend.capabilities });
  const units = view.units.map((u) => ({ num: u.num, id: u.id }));
  const steps = preview.steps.map((s, i) => ({
    step: i + 1,
    phase: s.phase,
    action: s.action.kind,
    tke: ACTION_COMMANDS[s.action.kind].tke ?? "(journal only)",
    units: units.filter((u) => s.action.units.includes(u.id)),
    vp: s.action.vp ?? null,
    reason: s.reason,
  }));
  return { units, steps, end: preview.end };
}
