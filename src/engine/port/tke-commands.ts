import type { BackendCommand } from "./backend";

/**
 * The TKE CLI command each Backend method stands for (DESIGN §5): the one table the driver runs and every person-facing
 * text names (plans, help, docs). `rewrapStatus` has none: the plug-in cannot report the rewrap.
 */
export const TKE_COMMAND = {
  listUnits: "cryptounits",
  queryUnit: "cryptounit-compare",
  rewrapStatus: undefined,
  select: "cryptounit-add",
  deselect: "cryptounit-rm",
  loadNew: "cryptounit-mk-load",
  commitNew: "cryptounit-mk-commit",
  clearNew: "cryptounit-mk-clrnew",
  rewrap: "cryptounit-mk-rotate",
  rotate: "cryptounit-mk-rotate",
  setImmediate: "cryptounit-mk-setimm",
  generateNew: "auto-mk-rotate (generate and copy)",
  copyNew: "auto-mk-rotate (copy)",
  autoRotate: "auto-mk-rotate",
} as const satisfies Readonly<Record<BackendCommand, string | undefined>>;
