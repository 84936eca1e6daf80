import { Ep11Error } from "../../src/engine/port/errors";
import { EP11_ERRORS, type Ep11ErrorName } from "../../src/backends/simulator/ep11";

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
  const want: { returnCode: number; reasonCode?: number; text: string } = EP11_ERRORS[name];
  expect(error).toBeInstanceOf(Ep11Error);
  expect({ unit: (error as Ep11Error).unit, returnCode: (error as Ep11Error).returnCode, reasonCode: (error as Ep11Error).reasonCode, ibmText: (error as Ep11Error).ibmText }).toEqual({
    unit,
    returnCode: want.returnCode,
    reasonCode: want.reasonCode,
    ibmText: want.text,
  });
}
