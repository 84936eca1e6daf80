import { createMasterKey, diffMasterKey, readMasterKey, updateMasterKey } from "../../src/provider/lifecycle";
import { checkInputs } from "../../src/provider/check";
import { createSimFixture, type SimFixture } from "../helpers/sim-fixture";
import { checked, contextFor, expectNoSecrets, inputsFor } from "./provider-fixture";

type Props = Record<string, unknown>;

/**
 * The provider with a backend that opens the key part files itself (the simulator rehearsing the TKE CLI plug-in and
 * IBM's own key part files): check hashes the files and never opens them; up learns their key from a load and keeps it;
 * refresh and diff compare against the key learned for these very files.
 */
describe("the MasterKey provider with key part files the backend opens", () => {
  let fixture: SimFixture;
  beforeEach(async () => {
    fixture = await createSimFixture({ shape: { operational: 2, recovery: 2, failover: 0 }, records: 6, chunkSize: 4 });
  });
  afterEach(() => fixture.cleanup());

  const context = (lines: string[] = []) => contextFor(fixture, lines, { keyParts: "opaque", rewrapStatus: "hidden", rotation: "combined", vpBinding: "readFirst" });
  const opaqueInputs = (set: number, extra: Props = {}) => checked(fixture, set, extra, "opaque");

  test("check hashes the files (the ids Activity Tracker records) and never opens them: the key is unknown unless declared", () => {
    const result = checkInputs(inputsFor(fixture, 1), "opaque");
    expect(result.failures).toEqual([]);
    expect(result.inputs).toMatchObject({ keyPartIds: fixture.keyParts[1].ids, desiredVerificationPattern: null });
    // A wrong password is the plug-in's to find: check cannot open the file.
    const wrong = inputsFor(fixture, 1);
    (wrong.keyParts as Props[])[0] = { ...(wrong.keyParts as Props[])[0], password: "wrong" };
    expect(checkInputs(wrong, "opaque").failures).toEqual([]);
    expect(checkInputs(inputsFor(fixture, 1, { expectedVerificationPattern: fixture.keyParts[2].vp }), "opaque").inputs).toMatchObject({ desiredVerificationPattern: fixture.keyParts[2].vp });
  });

  test("check still refuses a missing file, or the same file twice, naming the entry", () => {
    const missing = inputsFor(fixture, 1);
    (missing.keyParts as Props[])[1] = { file: "nope.json", password: "x" };
    expect(checkInputs(missing, "opaque").failures).toEqual([{ property: "keyParts[1].file", reason: expect.stringContaining("nope.json: does not exist") }]);
    const twice = inputsFor(fixture, 1);
    (twice.keyParts as Props[])[1] = (twice.keyParts as Props[])[0];
    expect(checkInputs(twice, "opaque").failures).toEqual([{ property: "keyParts[1]", reason: expect.stringContaining("is the same file as keyParts[0]") }]);
  });

  test("up learns the key from the load, rotates to it, and keeps what it learned in the outputs and the journal; no secret anywhere", async () => {
    const lines: string[] = [];
    const { outs } = await createMasterKey(context(lines), opaqueInputs(1));
    expect(outs).toMatchObject({ phase: "Active", verificationPattern: fixture.keyParts[1].vp, desiredVerificationPattern: fixture.keyParts[1].vp, keyPartIds: fixture.keyParts[1].ids, driftReasons: [] });
    expect(outs.rotation).toMatchObject({ keyParts: { madeVp: fixture.keyParts[1].vp } });
    expect(lines.join("\n")).toContain("the declared key part files make the master key");
    expectNoSecrets(fixture, outs, lines);
  });

  test("refresh and diff see no drift once the key is learned, and a change when the files change", async () => {
    const { outs } = await createMasterKey(context(), opaqueInputs(1));
    const stored = { ...outs, __provider: "serialized-provider-text" };
    const { props } = await readMasterKey(context(), fixture.instanceId, stored);
    expect(props).toMatchObject({ desiredVerificationPattern: fixture.keyParts[1].vp, keyPartIds: fixture.keyParts[1].ids });
    expect((await diffMasterKey(context(), { ...props, __provider: "serialized-provider-text" }, opaqueInputs(1))).changes).toBe(false);
    const lines: string[] = [];
    expect((await diffMasterKey(context(lines), stored, opaqueInputs(2))).changes).toBe(true);
    expect(lines.join("\n")).toMatch(/the key the key part files make \(learned when they are loaded\)[\s\S]*1\. \[Active\] loadNew[\s\S]*depend on the key the load reports/);
  });

  test("files that make the current key: up adopts the instance without loading anything, and says so", async () => {
    const lines: string[] = [];
    const { outs } = await createMasterKey(context(lines), opaqueInputs(0));
    expect(outs).toMatchObject({ phase: "Active", desiredVerificationPattern: fixture.keyParts[0].vp, lastStep: { outcome: "ok" } });
    expect(lines.join("\n")).toContain("make the current master key");
    // The next up knows it from the stored journal: no load, no line about it.
    const again: string[] = [];
    await updateMasterKey(context(again), { ...outs, __provider: "serialized-provider-text" }, opaqueInputs(0));
    expect(again.join("\n")).not.toContain("loadNew");
  });
});
