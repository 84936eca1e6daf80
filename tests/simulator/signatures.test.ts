import { randomBytes, randomUUID } from "node:crypto";
import { Ep11Error } from "../../src/engine/port/errors";
import { EP11_ERRORS, type Ep11ErrorName } from "../../src/backends/simulator/ep11";
import { executeOnHsm, type HsmRequest } from "../../src/backends/simulator/hsm";
import { holding, type UnitState } from "../../src/backends/simulator/instance-state";
import { chooseSigners, commandBytes, requiredSignatures, signRequest } from "../../src/backends/simulator/signing";
import { createSignatureKeyFile, openSignatureKey, type SignatureKey } from "../../src/model/signature-key-file";
import { verificationPattern } from "../../src/model/vp";

function newKey(): SignatureKey {
  const file = createSignatureKeyFile("pw");
  return openSignatureKey(file, "pw", "mem.sigkey");
}

const [alice, bob, carol] = [newKey(), newKey(), newKey()];
const current = new Uint8Array(randomBytes(32));
const pending = new Uint8Array(randomBytes(32));
const pendingVp = verificationPattern(pending);

function unit(overrides: Partial<UnitState> = {}): UnitState {
  return {
    id: randomUUID(),
    type: "operational",
    location: "[us-south].[AZ1-CS1].[02].[07]",
    selected: true,
    thresholds: { signature: 2, revocation: 2 },
    admins: [alice, bob].map((k, i) => ({ ski: k.ski, name: `ADMIN${i + 1}`, publicKey: k.publicKey })),
    transactionCounter: 41,
    current: holding("Valid", current),
    new: holding("Full Uncommitted", pending),
    ...overrides,
  };
}

function commit(u: UnitState, keys: SignatureKey[], edit: (r: HsmRequest) => HsmRequest = (r) => r): HsmRequest {
  return edit({ ...signRequest({ target: u.id, command: "commitNew", vp: pendingVp, counter: u.transactionCounter + 1 }, keys), command: "commitNew", bindsVp: true });
}

function ep11Of(fn: () => unknown): { name?: Ep11ErrorName; unit?: string } {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof Ep11Error)) throw e;
    const name = (Object.keys(EP11_ERRORS) as Ep11ErrorName[]).find((n) => EP11_ERRORS[n].returnCode === e.returnCode);
    return { name, unit: e.unit };
  }
  return {};
}

describe("the simulated unit's checks on signed commands", () => {
  test("a command signed by enough administrators with the next counter is applied and advances the counter", () => {
    const u = unit();
    const next = executeOnHsm(u, commit(u, [alice, bob]));
    expect(next.new.status).toBe("Full Committed");
    expect(next.transactionCounter).toBe(42);
    expect(u.new.status).toBe("Full Uncommitted");
  });

  const cases: { name: string; reason: string; unit?: Partial<UnitState>; keys?: SignatureKey[]; edit?: (r: HsmRequest) => HsmRequest; want: Ep11ErrorName }[] = [
    { name: "imprint mode", reason: "MK commands are not allowed before thresholds are set", unit: { thresholds: { signature: 0, revocation: 0 } }, want: "imprintMode" },
    { name: "stale counter", reason: "a command prepared before another one was accepted is replayed", edit: (r) => ({ ...r, counter: r.counter - 1 }), want: "invalidTransactionCounter" },
    { name: "future counter", reason: "a counter that skips ahead is refused too", edit: (r) => ({ ...r, counter: r.counter + 1 }), want: "invalidTransactionCounter" },
    { name: "other unit", reason: "a command addressed to another unit is not this unit's next command", edit: (r) => ({ ...r, target: randomUUID() }), want: "invalidTransactionCounter" },
    { name: "outsider", reason: "a signer that is not an installed administrator", keys: [alice, carol], want: "unauthorizedSigner" },
    { name: "forged signature", reason: "a signature that does not verify", edit: (r) => ({ ...r, signatures: [r.signatures[0], { ...r.signatures[1], signature: r.signatures[0].signature }] }), want: "invalidSignature" },
    { name: "changed parameter", reason: "the VP was changed after signing", edit: (r) => ({ ...r, vp: "ab".repeat(32) }), want: "invalidSignature" },
    { name: "one of two", reason: "fewer administrators than the signature threshold", keys: [alice], want: "notEnoughSignatures" },
    { name: "same twice", reason: "one administrator signing twice counts once", keys: [alice, alice], want: "notEnoughSignatures" },
  ];
  test.each(cases)("$name: $reason", ({ unit: overrides, keys, edit, want }) => {
    const u = unit(overrides);
    expect(ep11Of(() => executeOnHsm(u, commit(u, keys ?? [alice, bob], edit)))).toEqual({ name: want, unit: u.id });
  });

  test("EP11 errors carry IBM's return code, reason code and exact text", () => {
    const u = unit({ new: holding("Full Uncommitted", current) });
    try {
      executeOnHsm(u, commit(u, [alice, bob]));
      throw new Error("expected an EP11 error");
    } catch (e) {
      expect(e).toBeInstanceOf(Ep11Error);
      expect((e as Ep11Error).message).toBe(
        `Error reported by EP11 crypto module on crypto unit ${u.id}. Return code: 101, reason code: 48. Commit failed.  The supplied verification pattern of the new master key does not match the verification pattern of the key in the register.  This error will occur if the master keys being committed in a domain group are not all the same.`,
      );
    }
  });

  test("the signed bytes name the target, the command, the VP and the counter", () => {
    const base = { target: "u", command: "commitNew", vp: pendingVp, counter: 1 } as const;
    const variants = [base, { ...base, target: "v" }, { ...base, command: "setImmediate" as const }, { ...base, vp: "ab".repeat(32) }, { ...base, counter: 2 }];
    expect(new Set(variants.map((v) => Buffer.from(commandBytes(v)).toString("hex"))).size).toBe(variants.length);
  });

  test.each([
    { command: "loadNew", want: 1 },
    { command: "commitNew", want: 3 },
    { command: "clearNew", want: 1 },
    { command: "setImmediate", want: 1 },
    { command: "rewrap", want: 1 },
  ] as const)("$command needs $want signature(s) at a signature threshold of 3", ({ command, want }) => {
    expect(requiredSignatures(command, 3)).toBe(want);
  });

  test("the workstation signs with installed administrators first, each once", () => {
    const admins = [{ ski: bob.ski }, { ski: carol.ski }];
    expect(chooseSigners([alice, bob, bob, carol], admins, 2).map((k) => k.ski)).toEqual([bob.ski, carol.ski]);
    expect(chooseSigners([alice, bob], admins, 2).map((k) => k.ski)).toEqual([bob.ski, alice.ski]);
    expect(chooseSigners([bob], admins, 2)).toHaveLength(1);
  });
});
