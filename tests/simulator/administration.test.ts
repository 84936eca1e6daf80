import { randomBytes, randomUUID } from "node:crypto";
import { Ep11Error } from "../../src/engine/port/errors";
import { AdministrationError, administrationParameter, executeAdministration, type Administration } from "../../src/backends/simulator/administration";
import { holding, type UnitState } from "../../src/backends/simulator/instance-state";
import { signRequest } from "../../src/backends/simulator/signing";
import { createSignatureKeyFile, openSignatureKey, type SignatureKey } from "../../src/model/signature-key-file";

/** The simulated unit's administration rules (research/tke-domain.md §1.3): who must sign what, in and after imprint mode. */

const newKey = (): SignatureKey => openSignatureKey(createSignatureKeyFile("pw"), "pw", "mem.sigkey");
const [alice, bob, carol] = [newKey(), newKey(), newKey()];
const admin = (k: SignatureKey, name: string) => ({ ski: k.ski, name, publicKey: k.publicKey });

function unit(overrides: Partial<UnitState> = {}): UnitState {
  return {
    id: randomUUID(),
    type: "operational",
    location: "[us-south].[AZ1-CS1].[02].[07]",
    selected: true,
    thresholds: { signature: 0, revocation: 0 },
    admins: [],
    transactionCounter: 3,
    current: { status: "Empty" },
    new: { status: "Empty" },
    ...overrides,
  };
}
const initialised = () => unit({ thresholds: { signature: 2, revocation: 2 }, admins: [admin(alice, "ALICE"), admin(bob, "BOB")], current: holding("Valid", new Uint8Array(randomBytes(32))) });

const send = (u: UnitState, operation: Administration, keys: SignatureKey[], counter = u.transactionCounter + 1) =>
  executeAdministration(u, { ...signRequest({ target: u.id, command: operation.kind, parameter: administrationParameter(operation), counter }, keys), operation });

const returnCode = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    if (error instanceof Ep11Error) return error.returnCode;
    throw error;
  }
  return undefined;
};

describe("administration commands on a simulated crypto unit", () => {
  test("in imprint mode, administrators are added unsigned; leaving it needs as many of them as the new signature threshold", () => {
    let u = send(unit(), { kind: "addAdmin", admin: admin(alice, "ALICE") }, []);
    u = send(u, { kind: "addAdmin", admin: admin(bob, "BOB") }, []);
    expect(u.admins.map((a) => a.name)).toEqual(["ALICE", "BOB"]);
    expect(u.transactionCounter).toBe(5);
    const leave: Administration = { kind: "setThresholds", signature: 2, revocation: 1 };
    expect(returnCode(() => send(u, leave, [alice]))).toBe(208);
    expect(send(u, leave, [alice, bob]).thresholds).toEqual({ signature: 2, revocation: 1 });
  });

  test("after imprint mode, adding an administrator needs the signature threshold, and only installed administrators count", () => {
    const u = initialised();
    const add: Administration = { kind: "addAdmin", admin: admin(carol, "CAROL") };
    expect(returnCode(() => send(u, add, [alice]))).toBe(208);
    expect(returnCode(() => send(u, add, [alice, carol]))).toBe(257);
    expect(send(u, add, [alice, bob]).admins).toHaveLength(3);
  });

  test("zeroize takes one signature after imprint mode and leaves imprint mode with no administrators and empty registers", () => {
    const u = initialised();
    expect(returnCode(() => send(u, { kind: "zeroize" }, []))).toBe(208);
    expect(send(u, { kind: "zeroize" }, [bob])).toMatchObject({ admins: [], thresholds: { signature: 0, revocation: 0 }, current: { status: "Empty" }, new: { status: "Empty" } });
  });

  test("a stale transaction counter, a signature over another operation, a duplicate administrator or a threshold above the administrators is refused", () => {
    const u = initialised();
    expect(returnCode(() => send(u, { kind: "zeroize" }, [alice], u.transactionCounter))).toBe(163);
    const signed = signRequest({ target: u.id, command: "setThresholds", parameter: "1:1", counter: u.transactionCounter + 1 }, [alice, bob]);
    expect(() => executeAdministration(u, { ...signed, operation: { kind: "setThresholds", signature: 2, revocation: 2 } })).toThrow(AdministrationError);
    expect(() => send(u, { kind: "addAdmin", admin: admin(alice, "ALICE") }, [alice, bob])).toThrow(/already an administrator/);
    expect(() => send(u, { kind: "setThresholds", signature: 3, revocation: 2 }, [alice, bob])).toThrow(/more than the 2 installed/);
  });
});
