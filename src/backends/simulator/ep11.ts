import { Ep11Error } from "../../engine/port/errors";
import { ep11Text } from "../../protocol/ep11-errors";

/**
 * The EP11 errors the simulated crypto units return (research/tke-domain.md §3, §6.3, §10.2), by name; their texts
 * are IBM's, from the one table in protocol/ep11-errors.ts.
 */
export const EP11_ERRORS = {
  imprintMode: { returnCode: 179 },
  unauthorizedSigner: { returnCode: 257 },
  invalidSignature: { returnCode: 192 },
  notEnoughSignatures: { returnCode: 208 },
  invalidTransactionCounter: { returnCode: 163 },
  commitVpMismatch: { returnCode: 101, reasonCode: 48 },
  /** GEN_WK on a unit whose permissions lack "allow random WK" (0x08): only recovery units have it (research §3). */
  randomKeyNotAllowed: { returnCode: 80, reasonCode: 52 },
  /** EXPORT_WK on a unit whose permissions lack "allow MK export" (0x02): only recovery units have it. */
  exportNotAllowed: { returnCode: 80, reasonCode: 131 },
} as const satisfies Record<string, { returnCode: number; reasonCode?: number }>;

export type Ep11ErrorName = keyof typeof EP11_ERRORS;

export function ep11Error(unit: string, name: Ep11ErrorName): Ep11Error {
  const e: { returnCode: number; reasonCode?: number } = EP11_ERRORS[name];
  return new Ep11Error(unit, e.returnCode, e.reasonCode, ep11Text(e.returnCode, e.reasonCode));
}
