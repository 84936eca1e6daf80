import type { RewrapStatus, UnitStatus } from "./port/backend";

/**
 * Observation — everything the engine knows about an instance at one moment: every unit's registers, thresholds
 * and admins, and the key storage rewrap status. Built by the executor from backend reads; the pure core decides
 * from nothing else (plus the journal and the desired key).
 */
export interface Observation {
  /** Every crypto unit of the instance, in a stable order (by id). */
  readonly units: readonly UnitStatus[];
  /** Which phases are possible depends on it: `complete` for the pending key makes `Rewrapped`, `inProgress` makes `Rewrapping`. */
  readonly rewrap: RewrapStatus;
}
