import type { MasterKeyArgs } from "../../src/resource";
import type { MasterKeyInputs } from "../../src/provider/inputs";

/** The resource's argument types reject what `check` would reject anyway, at compile time (tsc runs in npm test). */
describe("MasterKeyArgs", () => {
  test("accepts two or three key parts and any number of signature keys", () => {
    const two: MasterKeyArgs = { instanceId: "guid", keyParts: [{ file: "a", password: "p" }, { file: "b", password: "q" }], signatureKeys: [{ file: "1.sigkey", password: "s" }] };
    const three: MasterKeyArgs = { ...two, keyParts: [{ file: "a", password: "p" }, { file: "b", password: "q" }, { file: "c", password: "r" }], expectedVerificationPattern: "ab".repeat(32) };
    expect([two, three].map((a) => a.instanceId)).toEqual(["guid", "guid"]);
  });

  test("rejects a single key part and a missing instance id", () => {
    // @ts-expect-error keyParts needs at least two parts
    const one: MasterKeyArgs = { instanceId: "guid", keyParts: [{ file: "a", password: "p" }], signatureKeys: [] };
    // @ts-expect-error instanceId is required
    const noInstance: MasterKeyArgs = { keyParts: [{ file: "a", password: "p" }, { file: "b", password: "q" }], signatureKeys: [] };
    expect([one, noInstance]).toHaveLength(2);
  });

  test("the schema's input type is what users write", () => {
    const inputs: MasterKeyInputs = { instanceId: "guid", keyParts: [{ file: "a", password: "p" }], signatureKeys: [{ file: "s", password: "x" }], deadlines: { runSeconds: 600 } };
    // @ts-expect-error deadlines are whole seconds as numbers, not strings
    const bad: MasterKeyInputs = { ...inputs, deadlines: { runSeconds: "600" } };
    expect([inputs, bad]).toHaveLength(2);
  });
});
