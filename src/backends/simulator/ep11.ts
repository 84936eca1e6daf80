import { Ep11Error } from "../../engine/port/errors";

/**
 * The EP11 errors the simulated crypto units return, with IBM's exact texts (research/tke-domain.md §3, §6.3,
 * §10.2; SDK `ep11cmds/tkeHTPErrors.go`, keyed `3-<return code>[-<reason code>]`).
 */
export const EP11_ERRORS = {
  imprintMode: { returnCode: 179, text: "Operation not allowed in imprint mode." },
  unauthorizedSigner: { returnCode: 257, text: "An unauthorized administrator signed the command." },
  invalidSignature: { returnCode: 192, text: "One or more signatures provided with the command is invalid." },
  notEnoughSignatures: { returnCode: 208, text: "Not enough signatures were provided on the command." },
  invalidTransactionCounter: { returnCode: 163, text: "Invalid transaction counter." },
  commitVpMismatch: {
    returnCode: 101,
    reasonCode: 48,
    text: "Commit failed.  The supplied verification pattern of the new master key does not match the verification pattern of the key in the register.  This error will occur if the master keys being committed in a domain group are not all the same.",
  },
} as const satisfies Record<string, { returnCode: number; reasonCode?: number; text: string }>;

export type Ep11ErrorName = keyof typeof EP11_ERRORS;

export function ep11Error(unit: string, name: Ep11ErrorName): Ep11Error {
  const e: { returnCode: number; reasonCode?: number; text: string } = EP11_ERRORS[name];
  return new Ep11Error(unit, e.returnCode, e.reasonCode, e.text);
}
