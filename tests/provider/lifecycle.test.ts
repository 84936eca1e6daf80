import { armFault, describeSimulatedInstance } from "../../src/backends/simulator";
import { checkInputs } from "../../src/provider/check";
import { checkMasterKey, createMasterKey, deleteMasterKey, diffMasterKey, readMasterKey, updateMasterKey, type PartialStateError } from "../../src/provider/lifecycle";
import { UNKNOWN } from "../../src/provider/inputs";
import { createSimFixture, loadAndCommit, type SimFixture } from "../helpers/sim-fixture";
import { checked, contextFor, expectNoSecrets, inputsFor } from "./provider-fixture";

type Props = Record<string, unknown>;

const counters = (fixture: SimFixture) => describeSimulatedInstance(fixture.dir, fixture.instanceId).units.map((u) => u.transactionCounter);

describe("the MasterKey provider, called directly", () => {
  let fixture: SimFixture;
  beforeEach(async () => {
    fixture = await createSimFixture({ shape: { operational: 3, recovery: 2, failover: 0 }, records: 9, chunkSize: 4 });
  });
  afterEach(() => fixture.cleanup());

  describe("check", () => {
    test("computes the desired VP and the signer SKIs locally", () => {
      const result = checkInputs(inputsFor(fixture, 1), "material");
      expect(result.failures).toEqual([]);
      expect(result.inputs).toMatchObject({ desiredVerificationPattern: fixture.keyParts[1].vp, signerSkis: fixture.admins.map((a) => a.key.ski), __provider: "serialized-provider-text" });
    });

    test.each([
      { name: "one key part", edit: (i: Props) => ({ ...i, keyParts: (i.keyParts as unknown[]).slice(0, 1) }), property: "keyParts", reason: /2 or 3 key parts/ },
      { name: "a missing key part file", edit: (i: Props) => ({ ...i, keyParts: [{ file: "nope.json", password: "x" }, (i.keyParts as unknown[])[1]] }), property: "keyParts[0].file", reason: /nope.json: does not exist/ },
      { name: "a wrong key part password", edit: (i: Props) => ({ ...i, keyParts: [(i.keyParts as unknown[])[0], { ...((i.keyParts as Props[])[1]), password: "wrong" }] }), property: "keyParts[1].password", reason: /password is wrong/ },
      { name: "a wrong signature key password", edit: (i: Props) => ({ ...i, signatureKeys: [{ ...((i.signatureKeys as Props[])[0]), password: "wrong" }] }), property: "signatureKeys[0].password", reason: /password is wrong/ },
      { name: "no instance id", edit: (i: Props) => ({ ...i, instanceId: "" }), property: "instanceId", reason: /must not be empty/ },
      { name: "a malformed expected VP", edit: (i: Props) => ({ ...i, expectedVerificationPattern: "abc" }), property: "expectedVerificationPattern", reason: /64-character hex/ },
    ])("reports $name against the property at fault, without throwing", ({ edit, property, reason }) => {
      const result = checkInputs(edit(inputsFor(fixture, 1)), "material");
      expect(result.failures).toEqual([{ property, reason: expect.stringMatching(reason) }]);
    });

    test("refuses key parts that do not make the expected verification pattern", () => {
      const result = checkInputs(inputsFor(fixture, 1, { expectedVerificationPattern: fixture.keyParts[2].vp }), "material");
      expect(result.failures).toEqual([{ property: "expectedVerificationPattern", reason: expect.stringContaining(`make a master key with verification pattern ${fixture.keyParts[1].vp}`) }]);
    });

    test("accepts the expected VP written the way TKE prints it (upper case, two lines)", () => {
      const vp = fixture.keyParts[1].vp.toUpperCase();
      expect(checkInputs(inputsFor(fixture, 1, { expectedVerificationPattern: `${vp.slice(0, 32)}\n${vp.slice(32)}` }), "material").failures).toEqual([]);
    });

    test("prints the planned ceremony for a resource not yet in the state (Pulumi calls diff only for existing ones)", async () => {
      const lines: string[] = [];
      const result = await checkMasterKey(contextFor(fixture, lines), {}, inputsFor(fixture, 1));
      expect(result.failures).toEqual([]);
      expect(lines.join("\n")).toMatch(/planned ceremony for [\s\S]*loadNew[\s\S]*commitNew[\s\S]*rewrap[\s\S]*setImmediate[\s\S]*then: done/);
      const again: string[] = [];
      await checkMasterKey(contextFor(fixture, again), inputsFor(fixture, 0), inputsFor(fixture, 1));
      expect(again).toEqual([]);
    });

    test("passes unknown values (preview) through untouched", () => {
      const news = inputsFor(fixture, 1, { instanceId: UNKNOWN });
      expect(checkInputs(news, "material")).toEqual({ inputs: news, failures: [] });
    });
  });

  describe("create", () => {
    test("adopts an instance already on the desired key without any command", async () => {
      const before = counters(fixture);
      const { id, outs } = await createMasterKey(contextFor(fixture), checked(fixture, 0));
      expect(id).toBe(fixture.instanceId);
      expect(outs).toMatchObject({ phase: "Active", verificationPattern: fixture.keyParts[0].vp, rotation: null, lastStep: { outcome: "ok" } });
      expect(counters(fixture)).toEqual(before);
    });

    test("rotates to the desired key, reporting progress, and returns plain JSON outputs without secrets", async () => {
      const lines: string[] = [];
      const { outs } = await createMasterKey(contextFor(fixture, lines), checked(fixture, 1));
      expect(outs).toMatchObject({ phase: "Active", verificationPattern: fixture.keyParts[1].vp, driftReasons: [] });
      expect(outs.units).toHaveLength(5);
      expect(outs.rotation).toMatchObject({ fromVp: fixture.keyParts[0].vp, targetVp: fixture.keyParts[1].vp, rewrapProof: expect.objectContaining({ vp: fixture.keyParts[1].vp }) });
      expect(outs.lastRotatedAt).toBe(outs.rotation?.completedAt);
      expect(JSON.parse(JSON.stringify(outs))).toEqual(outs);
      expect(lines.join("\n")).toContain("KMS CRK rewrap successful, waiting on cryptounit-mk-setimm.");
      expect((await fixture.check()).byVp).toEqual({ [fixture.keyParts[1].vp]: 9 });
      expectNoSecrets(fixture, outs, lines);
    });

    test("initialises an Uninitialized instance", async () => {
      const fresh = await createSimFixture({ shape: { operational: 2, recovery: 2, failover: 0 }, initialized: false });
      try {
        const { outs } = await createMasterKey(contextFor(fresh), checked(fresh, 1));
        expect(outs).toMatchObject({ phase: "Active", verificationPattern: fresh.keyParts[1].vp, rotation: { fromVp: null } });
      } finally {
        fresh.cleanup();
      }
    });

    test("a failure after the first change is reported as partial state carrying the journal and __provider", async () => {
      await armFault(fixture.dir, fixture.instanceId, { kind: "fail", when: "before", command: "rewrap" });
      const error = (await createMasterKey(contextFor(fixture), checked(fixture, 1)).catch((e) => e)) as PartialStateError;
      expect(error.id).toBe(fixture.instanceId);
      expect(error.properties).toMatchObject({ phase: "Committed", __provider: "serialized-provider-text", lastStep: { outcome: "failed" } });
      expect((error.properties.rotation as Props).steps).toEqual(expect.arrayContaining([expect.objectContaining({ action: "rewrap", outcome: "failed" })]));
      expect(error.reasons[0]).toMatch(/run pulumi up again to resume/);
      expectNoSecrets(fixture, error.message, error.properties);
    });

    test("a refusal before any change saves nothing (a plain error, no partial state)", async () => {
      const error = await createMasterKey(contextFor(fixture), checked(fixture, 1, { signatureKeys: [{ file: fixture.admins[0].file, password: fixture.admins[0].password }] })).catch((e) => e);
      expect(error.id).toBeUndefined();
      expect(error.message).toMatch(/refused \(PrecheckFailed\)[\s\S]*manual steps:[\s\S]*ibmcloud tke sigkeys/);
    });
  });

  describe("update", () => {
    const steps = [
      { command: "loadNew" as const, skip: 1 },
      { command: "commitNew" as const, skip: 2 },
      { command: "rewrap" as const, skip: 0 },
      { command: "setImmediate" as const, skip: 1 },
    ];
    test.each(steps)("fails at $command #$skip with partial state, and the next update with the same inputs resumes to convergence", async ({ command, skip }) => {
      const news = checked(fixture, 1);
      const { outs: initial } = await createMasterKey(contextFor(fixture), checked(fixture, 0));
      await armFault(fixture.dir, fixture.instanceId, { kind: "fail", when: "after", command, skip });
      const olds = { ...initial, __provider: "serialized-provider-text" };
      const error = (await updateMasterKey(contextFor(fixture), olds, news).catch((e) => e)) as PartialStateError;
      expect(error.properties).toMatchObject({ lastStep: { outcome: "failed" }, rotation: { targetVp: fixture.keyParts[1].vp } });
      // The engine saves error.properties as the new outputs and calls update again with them.
      const { outs } = await updateMasterKey(contextFor(fixture), error.properties, news);
      expect(outs).toMatchObject({ phase: "Active", verificationPattern: fixture.keyParts[1].vp });
      expect(outs.rotation?.rotationId).toBe((error.properties.rotation as Props).rotationId);
      const storage = await fixture.check();
      expect(storage.problems).toEqual([]);
      expect(storage.byVp).toEqual({ [fixture.keyParts[1].vp]: 9 });
      expectNoSecrets(fixture, error.message, error.properties, outs);
    });
  });

  describe("diff", () => {
    test("reports no change on a converged resource whose provider code is unchanged", async () => {
      const { outs } = await createMasterKey(contextFor(fixture), checked(fixture, 0));
      expect(await diffMasterKey(contextFor(fixture), { ...outs, __provider: "serialized-provider-text" }, checked(fixture, 0))).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    });

    test.each([
      { name: "the desired key differs", olds: {}, set: 1 },
      { name: "the phase is not Active", olds: { phase: "HalfPromoted" }, set: 0 },
      { name: "the serialized provider changed", olds: { __provider: "older-provider-text" }, set: 0 },
    ])("reports a change when $name, and prints the planned ceremony", async ({ olds, set }) => {
      const { outs } = await createMasterKey(contextFor(fixture), checked(fixture, 0));
      const lines: string[] = [];
      const diff = await diffMasterKey(contextFor(fixture, lines), { ...outs, __provider: "serialized-provider-text", ...olds }, checked(fixture, set));
      expect(diff).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
      expect(lines[0]).toMatch(/^planned ceremony for .* \(signature threshold 2, 2 signature keys provided\):$/);
      if (set === 1) expect(lines.join("\n")).toMatch(/1\. \[Active\] loadNew on .*\n.*2\. \[Loaded\] commitNew[\s\S]*rewrap[\s\S]*setImmediate[\s\S]*then: done/);
    });

    test("replaces only for a new instanceId", async () => {
      const { outs } = await createMasterKey(contextFor(fixture), checked(fixture, 0));
      expect(await diffMasterKey(contextFor(fixture), { ...outs, __provider: "serialized-provider-text" }, { ...checked(fixture, 0), instanceId: "another" })).toMatchObject({ changes: true, replaces: ["instanceId"] });
    });

    test("reports a change for unknown inputs during preview", async () => {
      const { outs } = await createMasterKey(contextFor(fixture), checked(fixture, 0));
      expect((await diffMasterKey(contextFor(fixture), { ...outs, __provider: "serialized-provider-text" }, { ...checked(fixture, 0), signatureKeys: UNKNOWN })).changes).toBe(true);
    });
  });

  describe("read (refresh)", () => {
    test("shows a half-promoted instance as drift that the next diff reports", async () => {
      const { outs } = await createMasterKey(contextFor(fixture), checked(fixture, 0));
      const backend = await fixture.open();
      await loadAndCommit(backend, fixture, fixture.keyParts[1]);
      await backend.rewrap(fixture.keyParts[1].vp, fixture.signers);
      await backend.setImmediate({ units: [fixture.unitIds[0]], expectedVp: fixture.keyParts[1].vp }, fixture.signers);
      const { id, props } = await readMasterKey(contextFor(fixture), fixture.instanceId, { ...outs });
      expect(id).toBe(fixture.instanceId);
      expect(props).toMatchObject({ phase: "HalfPromoted", verificationPattern: null, driftReasons: [expect.stringContaining("phase HalfPromoted")] });
      // Refresh = read, then diff(refreshed outputs, stored inputs).
      expect((await diffMasterKey(contextFor(fixture), { ...props, __provider: "serialized-provider-text" }, checked(fixture, 0))).changes).toBe(true);
    });

    test("lists every divergence reason in driftReasons", async () => {
      const { outs } = await createMasterKey(contextFor(fixture), checked(fixture, 0));
      const backend = await fixture.open();
      await backend.loadNew({ units: [fixture.unitIds[0]], keyParts: fixture.keyParts[1].material, expectedVp: fixture.keyParts[1].vp }, fixture.signers);
      await backend.commitNew({ units: [fixture.unitIds[0]], expectedVp: fixture.keyParts[1].vp }, fixture.signers);
      await backend.loadNew({ units: [fixture.unitIds[1]], keyParts: fixture.keyParts[2].material, expectedVp: fixture.keyParts[2].vp }, fixture.signers);
      const { props } = await readMasterKey(contextFor(fixture), fixture.instanceId, { ...outs });
      expect(props).toMatchObject({ phase: "Diverged", driftReasons: [expect.stringContaining("new master key registers hold different keys")] });
    });

    test("reads a vanished instance as deleted", async () => {
      expect(await readMasterKey(contextFor(fixture), "no-such-instance", { instanceId: "no-such-instance" })).toEqual({});
    });
  });

  describe("the rotation journal in the stack state", () => {
    const v1 = (target: string) => ({ schemaVersion: 1, rotationId: "rot-v1", fromVp: fixture.keyParts[0].vp, targetVp: target, startedAt: "2026-01-01T00:00:00.000Z", completedAt: null, rewrapCompletedFor: target, steps: [] });

    test("a journal an earlier release wrote still reads, as unbound: refresh and up work and replace it with a bound one", async () => {
      const { outs } = await createMasterKey(contextFor(fixture), checked(fixture, 0));
      const stored = { ...outs, rotation: v1(fixture.keyParts[1].vp) };
      const { props } = await readMasterKey(contextFor(fixture), fixture.instanceId, stored);
      expect(props?.rotation).toMatchObject({ schemaVersion: 4, rotationId: "rot-v1", binding: null, rewrapProof: null });
      const { outs: updated } = await updateMasterKey(contextFor(fixture), { ...stored, __provider: "serialized-provider-text" }, checked(fixture, 1));
      expect(updated).toMatchObject({ phase: "Active", verificationPattern: fixture.keyParts[1].vp });
      expect(updated.rotation).toMatchObject({ schemaVersion: 4, binding: { instanceId: fixture.instanceId, backend: expect.stringMatching(/^hpcs-simulator:/) } });
      expect(updated.rotation?.rotationId).not.toBe("rot-v1");
    });

    test("refresh closes the journal of a rotation it finds finished, so it never outlives it", async () => {
      const { outs } = await createMasterKey(contextFor(fixture), checked(fixture, 0));
      const { outs: rotated } = await updateMasterKey(contextFor(fixture), { ...outs, __provider: "serialized-provider-text" }, checked(fixture, 1));
      const reopened = { ...rotated, rotation: rotated.rotation && { ...rotated.rotation, completedAt: null } };
      const { props } = await readMasterKey(contextFor(fixture), fixture.instanceId, reopened);
      expect((props?.rotation as { completedAt: string | null }).completedAt).not.toBeNull();
    });

    test("a malformed journal is set aside with one line naming the field, and up still converges", async () => {
      const { outs } = await createMasterKey(contextFor(fixture), checked(fixture, 0));
      const lines: string[] = [];
      const broken = { ...v1(fixture.keyParts[1].vp), schemaVersion: 2, steps: [{ action: "teleport" }] };
      const { outs: updated } = await updateMasterKey(contextFor(fixture, lines), { ...outs, rotation: broken, __provider: "serialized-provider-text" }, checked(fixture, 1));
      expect(updated.phase).toBe("Active");
      const note = lines.find((l) => l.includes("set aside"));
      expect(note).toMatch(/^the rotation journal in the stack state was set aside: the rotation journal \(schemaVersion 2\) is malformed: field binding: /);
      expect(note?.split("\n")).toHaveLength(1);
    });
  });

  describe("with a backend that cannot report the rewrap (the simulator rehearsing the TKE CLI)", () => {
    async function halfPromotedAfterRewrap(): Promise<Props> {
      const { outs } = await createMasterKey(contextFor(fixture), checked(fixture, 0));
      const backend = await fixture.open();
      await loadAndCommit(backend, fixture, fixture.keyParts[1]);
      await backend.rewrap(fixture.keyParts[1].vp, fixture.signers);
      await backend.setImmediate({ units: [fixture.unitIds[0]], expectedVp: fixture.keyParts[1].vp }, fixture.signers);
      return { ...outs, __provider: "serialized-provider-text" };
    }

    /** The attestation value a RewrapNotProven refusal tells the operator to give. */
    const attestationIn = (message: string) => /attestRewrapComplete: "([0-9a-f]{64}:[0-9a-f]{8})"/.exec(message)?.[1];

    test("up refuses a half-promoted instance it has no proof for, changing nothing, and prints the attestation for this situation", async () => {
      const olds = await halfPromotedAfterRewrap();
      const before = fixture.fingerprint();
      const error = (await updateMasterKey(contextFor(fixture, [], { rewrapStatus: "hidden" }), olds, checked(fixture, 1)).catch((e) => e)) as Error;
      expect(error.message).toMatch(/^refused \(RewrapNotProven\)/);
      expect(attestationIn(error.message)?.startsWith(`${fixture.keyParts[1].vp}:`)).toBe(true);
      expect(fixture.fingerprint()).toBe(before);
    });

    test("the attestRewrapComplete value the refusal printed repairs it, and the journal records the attestation", async () => {
      const olds = await halfPromotedAfterRewrap();
      const refused = (await updateMasterKey(contextFor(fixture, [], { rewrapStatus: "hidden" }), olds, checked(fixture, 1)).catch((e) => e)) as Error;
      const { outs } = await updateMasterKey(contextFor(fixture, [], { rewrapStatus: "hidden" }), olds, checked(fixture, 1, { attestRewrapComplete: attestationIn(refused.message) }));
      expect(outs).toMatchObject({ phase: "Active", verificationPattern: fixture.keyParts[1].vp, rotation: { rewrapProof: { vp: fixture.keyParts[1].vp, source: "attestation" } } });
      expect((await fixture.check()).problems).toEqual([]);
    });

    test("an attestation for another key, or for another situation, is no proof", async () => {
      const olds = await halfPromotedAfterRewrap();
      const hidden = contextFor(fixture, [], { rewrapStatus: "hidden" });
      const refused = (await updateMasterKey(hidden, olds, checked(fixture, 1)).catch((e) => e)) as Error;
      const code = attestationIn(refused.message)?.split(":")[1];
      for (const attestRewrapComplete of [`${fixture.keyParts[2].vp}:${code}`, `${fixture.keyParts[1].vp}:00000000`]) {
        const error = (await updateMasterKey(hidden, olds, checked(fixture, 1, { attestRewrapComplete })).catch((e) => e)) as Error;
        expect(error.message).toMatch(/^refused \(RewrapNotProven\)/);
        expect(error.message).toContain("the attestation given was not used");
      }
    });

    test("check refuses an attestation that is not <VP>:<code>, naming the input", () => {
      for (const attestRewrapComplete of ["yes", fixture.keyParts[1].vp]) {
        expect(checkInputs(inputsFor(fixture, 1, { attestRewrapComplete }), "material").failures).toEqual([{ property: "attestRewrapComplete", reason: expect.stringContaining("<verification pattern>:<8-character code>") }]);
      }
    });
  });

  test("delete forgets the resource and touches neither registers nor key storage", async () => {
    const { outs } = await createMasterKey(contextFor(fixture), checked(fixture, 1));
    const before = JSON.stringify(describeSimulatedInstance(fixture.dir, fixture.instanceId));
    const storage = await fixture.check();
    const lines: string[] = [];
    await deleteMasterKey(contextFor(fixture, lines), outs.instanceId);
    expect(JSON.stringify(describeSimulatedInstance(fixture.dir, fixture.instanceId))).toBe(before);
    expect(await fixture.check()).toEqual(storage);
    expect(lines[0]).toMatch(/were not touched/);
  });
});
