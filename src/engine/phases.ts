import type { Vp } from "../model/vp";

/** Instance phases (DESIGN §4). One word per concept: these names appear in outputs, the CLI and docs. */
export const PHASES = [
  "Uninitialized",
  "Active",
  "Loading",
  "Loaded",
  "Committing",
  "Committed",
  "Rewrapping",
  "Rewrapped",
  "HalfPromoted",
  "Diverged",
] as const;
export type PhaseName = (typeof PHASES)[number];

/** Why an instance is Diverged: a closed vocabulary, each with a sentence naming the units and values. */
export type DivergenceCode =
  | "NoUnits"
  /** Units zeroized (no administrators, imprint mode, no key) among configured ones: set them up like the others. */
  | "UnitZeroized"
  | "ImprintMode"
  | "ThresholdsDiffer"
  | "AdministratorsDiffer"
  | "CurrentRegistersDiffer"
  | "NewRegistersDiffer"
  | "PendingEqualsCurrent"
  | "KeyStorageWithoutKey"
  | "KeyStorageUnderMissingKey";

export interface DivergenceReason {
  readonly code: DivergenceCode;
  readonly message: string;
  readonly units: readonly string[];
}

/** The role a unit plays in the instance's phase; `Diverged` instances give every unit `inconsistent`. */
export type UnitRole = "uninitialized" | "active" | "pendingEmpty" | "pendingUncommitted" | "pendingCommitted" | "promoted" | "lagging" | "inconsistent";

/**
 * Phase — what `classify` returns. `currentVp` is the key every unit agrees on (absent when current registers are
 * Empty, or split); `pendingVp` is the key the new registers hold (the rotation target) or that promoted units
 * already hold (HalfPromoted).
 */
export interface Phase {
  readonly name: PhaseName;
  readonly currentVp?: Vp;
  readonly pendingVp?: Vp;
  readonly roles: Readonly<Record<string, UnitRole>>;
  /** Non-empty exactly when `name` is `Diverged`. */
  readonly reasons: readonly DivergenceReason[];
}
