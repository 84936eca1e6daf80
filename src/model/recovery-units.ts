/**
 * Where a master key can be generated in a recovery crypto unit (IBM's `auto-mk-rotate`, research §1.1, §4.3): every
 * region but Madrid (`eu-es`) gives an instance recovery units; the key is generated in one of them.
 */
export const NO_GENERATION = {
  noRecoveryUnits:
    "The service instance does not contain any recovery crypto units. auto-mk-rotate generates the new master key in a recovery crypto unit; rotate with key part files instead",
  madrid: "Recovery crypto units, and with them auto-mk-rotate, are not available in Madrid (eu-es); rotate with key part files instead",
} as const;

/** The region of a unit's location `[region].[zone].[module].[domain]`. */
export function regionOf(location: string): string | undefined {
  return /^\[([^\]]+)\]/.exec(location)?.[1];
}

/** IBM's reason why an instance with these units cannot generate a key in a recovery unit, or undefined when it can. */
export function generationUnavailable(units: readonly { readonly type: string; readonly location: string }[]): string | undefined {
  if (units.some((u) => regionOf(u.location) === "eu-es")) return NO_GENERATION.madrid;
  if (!units.some((u) => u.type === "recovery")) return NO_GENERATION.noRecoveryUnits;
  return undefined;
}
