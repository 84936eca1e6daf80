import { EXAMPLE_ADMINS, EXAMPLE_DESIRED, EXAMPLE_VPS, exampleObservation, exampleUnit } from "../../src/engine/decision-table";

/** Terse builders for engine tests; the same ones the decision table's examples use. */
export const VP = {
  X: "a1".repeat(28) + "00000000",
  T: "b2".repeat(28) + "00000000",
  D: EXAMPLE_VPS.desired,
  Y: "d4".repeat(28) + "00000000",
} as const;

export const ADMINS = EXAMPLE_ADMINS;
export const unit = exampleUnit;
export const obs = exampleObservation;
export const DESIRED = EXAMPLE_DESIRED;
