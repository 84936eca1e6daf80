import { armFault } from "../../src/backends/simulator";
import { checkInputs } from "../../src/provider/check";
import { createMasterKey, diffMasterKey, readMasterKey, updateMasterKey, type LifecycleContext, type PartialStateError } from "../../src/provider/lifecycle";
import { createSimFixture, type SimFixture } from "../helpers/sim-fixture";
import { contextFor, expectNoSecrets } from "./provider-fixture";

type Props = Record<string, unknown>;
const DAY = 86_400_000;

/** MasterKey with recoveryUnitKey: a key generated in a recovery unit (auto-mk-rotate), on the simulator. */
describe("a master key generated in a recovery unit (recoveryUnitKey)", () => {
  let fixture: SimFixture;
  beforeEach(async () => {
    fixture = await createSimFixture({ shape: { operational: 2, recovery: 2, failover: 0 }, records: 6, chunkSize: 4 });
  });
  afterEach(() => fixture.cleanup());

  const inputs = (keepers: Record<string, string>, extra: Props = {}): Props => {
    const result = checkInputs(
      { instanceId: fixture.instanceId, recoveryUnitKey: { keepers }, signatureKeys: fixture.admins.map((a) => ({ file: a.file, password: a.password })), __provider: "p", ...extra },
      "material",
    );
    if (result.failures.length > 0) throw new Error(JSON.stringify(result.failures));
    return result.inputs;
  };
  const stored = (outs: object): Props => ({ ...outs, __provider: "p" });
  const ctx = (lines: string[] = [], rotation: "separate" | "combined" = "separate", now?: Date): LifecycleContext => ({ ...contextFor(fixture, lines, { rotation }), ...(now ? { now: () => now } : {}) });
  const current = async () => (await (await fixture.open()).queryUnit(fixture.unitIds[0])).current.vp;

  test("check takes exactly one of keyParts and recoveryUnitKey, naming the input", () => {
    const base = { instanceId: fixture.instanceId, signatureKeys: fixture.admins.map((a) => ({ file: a.file, password: a.password })) };
    expect(checkInputs(base, "material").failures).toEqual([{ property: "keyParts", reason: expect.stringContaining("not neither") }]);
    const both = { ...base, recoveryUnitKey: {}, keyParts: fixture.keyParts[0].refs.map((r) => ({ file: r.file, password: r.password })) };
    expect(checkInputs(both, "material").failures).toEqual([{ property: "recoveryUnitKey", reason: expect.stringContaining("not both") }]);
    expect(checkInputs({ ...base, recoveryUnitKey: { keepers: { q: 3 } } }, "material").failures).toEqual([{ property: "recoveryUnitKey.keepers.q", reason: "recoveryUnitKey.keepers: every value must be a string" }]);
    expect(checkInputs({ ...base, recoveryUnitKey: {} }, "material")).toMatchObject({ failures: [], inputs: { keyPartIds: [], desiredVerificationPattern: null } });
  });

  test.each(["separate", "combined"] as const)("create adopts the current key; a keepers change generates and rotates (%s); unchanged keepers change nothing", async (rotation) => {
    const before = await current();
    const { outs } = await createMasterKey(ctx([], rotation), inputs({ quarter: "2026Q4" }));
    expect(outs).toMatchObject({ phase: "Active", verificationPattern: before, keySource: "recoveryUnit", generatedFor: { keepers: { quarter: "2026Q4" } }, desiredVerificationPattern: before, driftReasons: [] });
    expect((await diffMasterKey(ctx([], rotation), stored(outs), inputs({ quarter: "2026Q4" }))).changes).toBe(false);

    const lines: string[] = [];
    expect((await diffMasterKey(ctx(lines, rotation), stored(outs), inputs({ quarter: "2027Q1" }))).changes).toBe(true);
    expect(lines.join("\n")).toContain("a new master key will be generated in a recovery unit: its keepers changed");
    expect(lines.join("\n")).toMatch(rotation === "combined" ? /autoRotate/ : /generateNew[\s\S]*then: the rotation goes on to the key the generation reports/);

    const progress: string[] = [];
    const { outs: rotated } = await updateMasterKey(ctx(progress, rotation), stored(outs), inputs({ quarter: "2027Q1" }));
    const after = await current();
    expect(after).not.toBe(before);
    expect(rotated).toMatchObject({ phase: "Active", verificationPattern: after, generatedFor: { keepers: { quarter: "2027Q1" } }, keyAge: { verificationPattern: after, source: "rotation" }, rotation: { fromVp: before, targetVp: after, generated: { madeVp: after } } });
    expect(progress.join("\n")).toContain(`a recovery unit generated the new master key ${after.slice(0, 12)}`);
    if (rotation === "combined") expect(progress.join("\n")).toContain("auto-mk-rotate: Delaying 30 seconds to allow server to discover new master key values (journaled");
    expect((await fixture.check())).toMatchObject({ problems: [], byVp: { [after]: 6 } });
    expect((await diffMasterKey(ctx([], rotation), stored(rotated), inputs({ quarter: "2027Q1" }))).changes).toBe(false);
    expectNoSecrets(fixture, rotated, progress);
  });

  test("a due rotation policy generates a new key at the next pulumi up, and the age resets", async () => {
    const day0 = Date.now() - 100 * DAY;
    const { outs } = await createMasterKey(ctx([], "separate", new Date(day0)), inputs({}, { rotationPeriodDays: 30 }));
    const before = await current();
    const refreshed = await readMasterKey(ctx(), fixture.instanceId, stored(outs));
    expect(refreshed.props).toMatchObject({ rotationDue: true, driftReasons: [expect.stringMatching(/pulumi up generates a new master key in a recovery unit and rotates to it \(auto-mk-rotate\)$/)] });
    expect((await diffMasterKey(ctx(), stored(refreshed.props ?? {}), inputs({}, { rotationPeriodDays: 30 }))).changes).toBe(true);
    const { outs: rotated } = await updateMasterKey(ctx(), stored(refreshed.props ?? {}), inputs({}, { rotationPeriodDays: 30 }));
    expect(rotated.verificationPattern).not.toBe(before);
    expect(rotated).toMatchObject({ rotationDue: false, keyAge: { source: "rotation" }, driftReasons: [] });
  });

  test("a failure after the key was copied resumes the same generation: the keepers stay old until it converges, and no second key is made", async () => {
    const { outs } = await createMasterKey(ctx(), inputs({ v: "1" }));
    const before = await current();
    await armFault(fixture.dir, fixture.instanceId, { kind: "fail", when: "before", command: "rewrap" });
    const error = (await updateMasterKey(ctx(), stored(outs), inputs({ v: "2" })).catch((e) => e)) as PartialStateError;
    expect(error.properties).toMatchObject({ phase: "Committed", generatedFor: { keepers: { v: "1" } }, keyAge: outs.keyAge });
    const generated = (error.properties.rotation as { generated: { madeVp: string } }).generated.madeVp;
    const { outs: resumed } = await updateMasterKey(ctx(), error.properties, inputs({ v: "2" }));
    expect(resumed).toMatchObject({ phase: "Active", verificationPattern: generated, generatedFor: { keepers: { v: "2" } } });
    expect(generated).not.toBe(before);
  });

  test("a run that fails after the last promotion is finished by the retry: the key it generated stays, none other is made", async () => {
    const rotation = "separate";
    const { outs } = await createMasterKey(ctx([], rotation), inputs({ v: "1" }));
    const before = await current();
    await armFault(fixture.dir, fixture.instanceId, { kind: "fail", when: "after", command: "setImmediate" });
    const error = (await updateMasterKey(ctx([], rotation), stored(outs), inputs({ v: "2" })).catch((e) => e)) as PartialStateError;
    const generated = await current();
    expect(generated).not.toBe(before);
    expect(error.properties).toMatchObject({ phase: "Active", verificationPattern: generated, keyAge: { verificationPattern: generated, source: "rotation" } });
    const lines: string[] = [];
    const { outs: resumed } = await updateMasterKey(ctx(lines, rotation), error.properties, inputs({ v: "2" }));
    expect(await current()).toBe(generated);
    expect(lines.join("\n")).not.toMatch(/generated the new master key/);
    expect(resumed).toMatchObject({ phase: "Active", verificationPattern: generated, generatedFor: { keepers: { v: "2" } }, keyAge: { verificationPattern: generated, source: "rotation" } });
    expect((await diffMasterKey(ctx([], rotation), stored(resumed), inputs({ v: "2" }))).changes).toBe(false);
  });

  test("a keepers change after the key was rotated outside the stack is not swallowed: said, then generated at the next up", async () => {
    const { outs } = await createMasterKey(ctx(), inputs({ v: "1" }));
    // Someone rotates the instance outside this stack (another tool run, or by hand): the state still records the old key.
    await updateMasterKey(ctx(), stored((await createMasterKey(ctx(), inputs({ w: "1" }))).outs), inputs({ w: "2" }));
    const byHand = await current();
    expect(byHand).not.toBe(outs.verificationPattern);

    const lines: string[] = [];
    const { outs: first } = await updateMasterKey(ctx(lines), stored(outs), inputs({ v: "2" }));
    expect(await current()).toBe(byHand);
    expect(lines.join("\n")).toContain(`the current master key ${byHand.slice(0, 12)}… is not the key the stack state recorded`);
    expect(lines.join("\n")).toContain("The next pulumi up generates a key for the new keepers");
    expect(first).toMatchObject({ verificationPattern: byHand, generatedFor: { keepers: { v: "1" } }, keyAge: { verificationPattern: byHand, source: "firstSeen" } });
    expect((await diffMasterKey(ctx(), stored(first), inputs({ v: "2" }))).changes).toBe(true);

    const { outs: second } = await updateMasterKey(ctx(), stored(first), inputs({ v: "2" }));
    expect(await current()).not.toBe(byHand);
    expect(second).toMatchObject({ generatedFor: { keepers: { v: "2" } }, keyAge: { source: "rotation" } });
    expect((await diffMasterKey(ctx(), stored(second), inputs({ v: "2" }))).changes).toBe(false);
  });

  test("an expectedVerificationPattern left in the program after its key became current does not stop the next rotation", async () => {
    const before = await current();
    const { outs } = await createMasterKey(ctx(), inputs({ v: "1" }, { expectedVerificationPattern: before }));
    expect(outs).toMatchObject({ phase: "Active", verificationPattern: before });
    const { outs: rotated } = await updateMasterKey(ctx(), stored(outs), inputs({ v: "2" }, { expectedVerificationPattern: before }));
    const after = await current();
    expect(after).not.toBe(before);
    expect(rotated).toMatchObject({ phase: "Active", verificationPattern: after, generatedFor: { keepers: { v: "2" } }, keyAge: { verificationPattern: after, source: "rotation" } });
  });

  test("an instance without recovery units refuses a generation with IBM's reason and changes nothing", async () => {
    const plain = await createSimFixture({ shape: { operational: 2, recovery: 0, failover: 0 } });
    try {
      const mine = (keepers: Record<string, string>) =>
        checkInputs({ instanceId: plain.instanceId, recoveryUnitKey: { keepers }, signatureKeys: plain.admins.map((a) => ({ file: a.file, password: a.password })), __provider: "p" }, "material").inputs;
      const { outs } = await createMasterKey(contextFor(plain), mine({ v: "1" }));
      const before = plain.fingerprint();
      const error = (await updateMasterKey(contextFor(plain), stored(outs), mine({ v: "2" })).catch((e) => e)) as Error;
      expect(error.message).toMatch(/^refused \(CannotGenerate\): The service instance does not contain any recovery crypto units\./);
      expect(plain.fingerprint()).toBe(before);
    } finally {
      plain.cleanup();
    }
  });
});
