import type { Vp } from "../model/vp";
import type { RewrapProofSource } from "./journal";

/**
 * Action — the next single safe step `plan` chooses. Every action carries `vp`: the key of the ceremony it belongs
 * to, which binds it (the executor refuses if a register no longer holds what the action expects) and tells the
 * journal which rotation it is part of. Only a load of key part files whose key is not known yet (opaque key parts,
 * no VP declared or learned), and the selection before it, have none: that load is how the key becomes known.
 * Names are the Backend's, one word per concept in every layer.
 */
export type Action =
  /** cryptounit-add */
  | { readonly kind: "select"; readonly units: readonly string[]; readonly vp: Vp | undefined }
  /** cryptounit-rm */
  | { readonly kind: "deselect"; readonly units: readonly string[]; readonly vp: Vp }
  /**
   * cryptounit-mk-load. `keyPartIds`: the SHA-256s of key part files only the backend can open (opaque), which the
   * journal records with the key the load reports they make.
   */
  | { readonly kind: "loadNew"; readonly units: readonly string[]; readonly vp: Vp | undefined; readonly keyPartIds?: readonly string[] }
  /** cryptounit-mk-commit */
  | { readonly kind: "commitNew"; readonly units: readonly string[]; readonly vp: Vp }
  /** cryptounit-mk-clrnew */
  | { readonly kind: "clearNew"; readonly units: readonly string[]; readonly vp: Vp }
  /** the key storage step of cryptounit-mk-rotate, where it is a command of its own (`rotation: "separate"`) */
  | { readonly kind: "rewrap"; readonly units: readonly string[]; readonly vp: Vp }
  /** cryptounit-mk-rotate as one command (`rotation: "combined"`): rewrap, the marker, set immediate on every unit */
  | { readonly kind: "rotate"; readonly units: readonly string[]; readonly vp: Vp }
  /** journal only: records that rewrap to `vp` is complete, durably, before any promotion, and what proved it */
  | { readonly kind: "recordRewrap"; readonly units: readonly string[]; readonly vp: Vp; readonly evidence: Extract<RewrapProofSource, "backend" | "attestation"> }
  /** cryptounit-mk-setimm */
  | { readonly kind: "setImmediate"; readonly units: readonly string[]; readonly vp: Vp }
  /**
   * auto-mk-rotate's first half (`rotation: "separate"`): a key generated in a recovery unit and copied into every
   * unit's new register. `vp` is undefined: the generation reports the key, and the journal records it before any copy.
   */
  | { readonly kind: "generateNew"; readonly units: readonly string[]; readonly vp: undefined }
  /** finishes an interrupted generation: copies `vp` from a recovery unit's new register into `units` */
  | { readonly kind: "copyNew"; readonly units: readonly string[]; readonly vp: Vp }
  /**
   * auto-mk-rotate as one command (`rotation: "combined"`): generate, copy, commit, "Delaying 30 seconds…", rewrap, the
   * marker, set immediate on every unit. `vp` is undefined: the key is made by the command.
   */
  | { readonly kind: "autoRotate"; readonly units: readonly string[]; readonly vp: undefined };

export type ActionKind = Action["kind"];

/**
 * The steps that rewrap key storage: the separate rewrap, the combined rotate (which then promotes every unit), and
 * auto-mk-rotate (which generates the key first).
 */
export function rewrapsKeyStorage(kind: string): kind is "rewrap" | "rotate" | "autoRotate" {
  return kind === "rewrap" || kind === "rotate" || kind === "autoRotate";
}

/** The steps that make a pending key current (set immediate, alone or at the end of the combined rotate). */
export function makesKeyCurrent(kind: string): kind is "setImmediate" | "rotate" | "autoRotate" {
  return kind === "setImmediate" || kind === "rotate" || kind === "autoRotate";
}

/**
 * The steps that act on the whole instance, so every unit must be selected: those that rewrap key storage (IBM's
 * rotate pre-check), and a generation and its copies, which read the key from a recovery unit's new register
 * (auto-mk-rotate selects every unit itself).
 */
export function needsEveryUnitSelected(kind: string): boolean {
  return rewrapsKeyStorage(kind) || kind === "generateNew" || kind === "copyNew";
}

export const ACTION_KINDS = [
  "select",
  "deselect",
  "loadNew",
  "commitNew",
  "clearNew",
  "rewrap",
  "rotate",
  "recordRewrap",
  "setImmediate",
  "generateNew",
  "copyNew",
  "autoRotate",
] as const satisfies readonly ActionKind[];

/** Why the engine will not act. Each code has its own manual steps (manual-steps.ts). */
export type RefusalCode =
  | "Diverged"
  | "PrecheckFailed"
  | "ForeignPendingKey"
  | "CannotFinishRotation"
  /** Units were promoted while the backend reports the key storage rewrap not complete: never promote further. */
  | "PromotedBeforeRewrap"
  /** A promotion would need proof of a complete rewrap that neither the backend, a bound journal nor an attestation gives. */
  | "RewrapNotProven"
  /**
   * The units hold a pending key, and the declared key part files (opaque) are not known to make it or not: nothing
   * recorded what they make. A person confirms it (the load's output, Activity Tracker) and declares it.
   */
  | "UnknownPendingKey"
  /** The declared VP (`expectedVerificationPattern`) is not the key a load reported the declared key part files to make. */
  | "KeyPartsMismatch"
  /**
   * A key is to be generated in a recovery unit, and the instance cannot: it has no recovery units (or is in eu-es,
   * where there are none), or has no current master key to rotate from (IBM initialises such an instance with auto-init).
   */
  | "CannotGenerate";

export interface Act {
  readonly kind: "act";
  readonly action: Action;
  /** One sentence for progress output and the preview: why this step is the safe one now. */
  readonly reason: string;
}

export interface Done {
  readonly kind: "done";
  readonly vp: Vp;
}

export interface Refusal {
  readonly kind: "refuse";
  readonly code: RefusalCode;
  readonly message: string;
  readonly units: readonly string[];
  /** What a person would do with the TKE CLI, as real `ibmcloud tke …` commands in order. */
  readonly manualSteps: readonly string[];
  /** What the engine saw that led here: the rewrap evidence and any journal it set aside, one sentence each. */
  readonly evidence: readonly string[];
}

export type Decision = Act | Done | Refusal;

/** True for a refusal from this package, also when it crossed module copies. */
export function isRefusal(value: unknown): value is Refusal {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "refuse" && typeof (value as { code?: unknown }).code === "string";
}

/** Signatures each command needs (research §1.3): `threshold` means the unit's signature threshold. */
export const SIGNATURES_NEEDED: Readonly<Record<ActionKind, number | "threshold">> = {
  select: 0,
  deselect: 0,
  loadNew: 1,
  commitNew: "threshold",
  clearNew: 1,
  rewrap: 1,
  rotate: 1,
  recordRewrap: 0,
  setImmediate: 1,
  // EXPORT_WK from the recovery unit needs the signature threshold (research §5.2); auto-mk-rotate also commits.
  generateNew: "threshold",
  copyNew: "threshold",
  autoRotate: "threshold",
};
