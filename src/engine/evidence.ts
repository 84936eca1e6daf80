import { EVIDENCE_SCHEMA, type EvidenceEntry, type EvidenceEvent } from "../model/evidence";
import type { Vp } from "../model/vp";
import { ACTION_COMMANDS } from "./action-commands";
import { openRotationId, type Journal, type JournalBinding } from "./journal";
import type { Observation } from "./observation";
import type { Desired } from "./plan";
import type { Backend } from "./port/backend";
import type { ProgressEvent } from "./progress";

/** What a shell knows of a run before it starts, for the evidence record's first entry. */
export interface RunContext {
  readonly ceremony: string;
  readonly shell: "hpcs-mk" | "pulumi";
  readonly command: string;
  readonly backend: Pick<Backend, "description" | "identity" | "instanceId" | "version">;
  readonly tool: { readonly name: string; readonly version: string };
  readonly desired: Desired;
  /** SHA-256s of the declared key part files, where the shell opened them. */
  readonly keyPartSha256s: readonly string[];
}

function declaredVp(desired: Desired): Vp | null {
  const key = desired.key;
  if (key.kind === "vp") return key.vp;
  return key.expectedVp ?? null;
}

/** The record's first entry: who ran what, on which instance and service, with which declared key and signers. */
export function runEvent(run: RunContext): EvidenceEvent {
  const key = run.desired.key;
  return {
    type: "run",
    ceremony: run.ceremony,
    shell: run.shell,
    command: run.command,
    instanceId: run.backend.instanceId,
    backend: { description: run.backend.description, identity: run.backend.identity, version: run.backend.version ?? null },
    tool: { ...run.tool },
    declared: {
      source: key.kind === "generated" ? "recoveryUnit" : "keyParts",
      vp: declaredVp(run.desired),
      keyPartSha256s: [...(key.kind === "files" ? key.ids : run.keyPartSha256s)],
    },
    signerSkis: [...run.desired.signerSkis],
    attestations: run.desired.rewrapAttestation ? [{ vp: run.desired.rewrapAttestation.vp, code: run.desired.rewrapAttestation.code }] : [],
  };
}

function observedEvent(phase: string, observation: Observation): EvidenceEvent {
  const rewrap = observation.rewrap;
  return {
    type: "observed",
    phase,
    units: observation.units.map((u) => ({ id: u.id, type: u.type, selected: u.selected, current: { ...u.current }, new: { ...u.new } })),
    rewrap: {
      state: rewrap.state,
      targetVp: rewrap.state === "inProgress" || rewrap.state === "complete" ? rewrap.targetVp : null,
      done: rewrap.state === "inProgress" ? rewrap.done : rewrap.state === "complete" ? rewrap.records : null,
      total: rewrap.state === "inProgress" ? rewrap.total : rewrap.state === "none" || rewrap.state === "complete" ? rewrap.records : null,
    },
  };
}

/**
 * The evidence a progress event is, if any: every observation that decided a step, every step's start and end, the
 * generation's lines, the marker, retries and a refusal. Rewrap progress is left out (the observations bound it).
 */
export function evidenceOfProgress(event: ProgressEvent): EvidenceEvent | undefined {
  switch (event.type) {
    case "observed":
      return observedEvent(event.phase, event.observation);
    case "step": {
      const command = ACTION_COMMANDS[event.action];
      return { type: "step", action: event.action, units: [...event.units], vp: event.vp ?? null, reason: event.reason, tkeCommand: command.tke, activityTracker: [...command.activityTracker] };
    }
    case "stepDone":
      return { type: "stepDone", action: event.action, units: [...event.units], durationMs: Math.round(event.durationMs) };
    case "keyGenerated":
      return { type: "keyGenerated", vp: event.vp };
    case "delaying":
      return { type: "delaying", vp: event.vp ?? null };
    case "rewrapMarker":
      return { type: "rewrapMarker", vp: event.vp ?? null };
    case "keyLearned":
      return { type: "keyLearned", vp: event.vp, current: event.current };
    case "retry":
      return { type: "retry", attempt: event.attempt, message: event.message };
    case "refused": {
      const { code, message, units, manualSteps, evidence } = event.refusal;
      return { type: "refused", code, message, units: [...units], manualSteps: [...manualSteps], evidence: [...evidence] };
    }
    case "done":
    case "rewrapProgress":
      return undefined;
  }
}

/** An entry of `run`, at `seq` after `prev`. */
export function evidenceEntry(event: EvidenceEvent, link: { readonly seq: number; readonly prev: string; readonly at: string; readonly run: string }): EvidenceEntry {
  return { schema: EVIDENCE_SCHEMA, seq: link.seq, at: link.at, run: link.run, prev: link.prev, event };
}

/**
 * The ceremony a run belongs to: the rotation our open journal records (a resumed run adds to its record), or a fresh
 * id, which the first rotation this run begins then takes (`newRotationId`), so the next run finds the same file.
 */
export function ceremonyFor(journal: Journal | undefined, binding: JournalBinding, freshId: () => string): { readonly ceremony: string; readonly newRotationId: () => string } {
  const open = openRotationId(journal, binding);
  const ceremony = open ?? freshId();
  let taken = open !== undefined;
  return {
    ceremony,
    newRotationId: () => {
      if (taken) return freshId();
      taken = true;
      return ceremony;
    },
  };
}

/** The record's last entry: how the run ended. */
export function outcomeEvent(end: { readonly outcome: "done" | "refused" | "failed"; readonly vp?: Vp; readonly message?: string; readonly steps: number }): EvidenceEvent {
  return { type: "outcome", outcome: end.outcome, vp: end.vp ?? null, message: end.message ?? null, steps: end.steps };
}
