import { Ep11Error } from "../../src/engine/port/errors";
import type { Ep11ErrorName } from "../../src/backends/simulator/ep11";

/** IBM's codes and texts, typed from research/tke-domain.md §3 and §6.3 (SDK `tkeHTPErrors.go`), not from the code. */
const IBM_EP11: Record<Ep11ErrorName, { returnCode: number; reasonCode?: number; text: string }> = {
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
  randomKeyNotAllowed: { returnCode: 80, reasonCode: 52, text: "Operation not allowed.  The permissions for this domain prohibit loading random master key values." },
  exportNotAllowed: { returnCode: 80, reasonCode: 131, text: "Operation not allowed.  The permissions for this domain prohibit exporting master master keys." },
};

/** The error a promise rejects with; fails the test if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection, but the promise resolved");
}

/** Asserts an EP11 error with IBM's exact return code, reason code and text, on the given unit. */
export async function expectEp11(promise: Promise<unknown>, name: Ep11ErrorName, unit: string): Promise<void> {
  const error = await rejectionOf(promise);
  const want = IBM_EP11[name];
  expect(error).toBeInstanceOf(Ep11Error);
  expect({ unit: (error as Ep11Error).unit, returnCode: (error as Ep11Error).returnCode, reasonCode: (error as Ep11Error).reasonCode, ibmText: (error as Ep11Error).ibmText }).toEqual({
    unit,
    returnCode: want.returnCode,
    reasonCode: want.reasonCode,
    ibmText: want.text,
  });
}
