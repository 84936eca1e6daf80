import { verifyKeyStorage } from "../../src/backends/simulator";
import { situationCode, type Attestation } from "../../src/engine/attestation";
import { classify } from "../../src/engine/classify";
import { Executor } from "../../src/engine/executor";
import { observe } from "../../src/engine/observe";
import { audit, type Audit } from "../crash/audited-backend";
import { instantClock } from "../helpers/clocks";
import { createSimFixture, type SimFixture } from "../helpers/sim-fixture";
import { CLI_WORDS } from "../../src/cli/shell-words";

/**
 * The review's reproduction: a rotation killed mid-rewrap (4 of 10 records under the new key), then an operator
 * promotes one unit by hand (cryptounit-mk-setimm only warns). The lagging units still hold both keys, so every
 * record is still readable; the engine must keep it so: refuse, changing nothing, with the evidence and IBM's steps.
 */
describe("an operator promoted one unit while the key storage rewrap was still running", () => {
  let fixture: SimFixture;
  const target = () => fixture.keyParts[1];

  async function rotate(options: { reportsRewrapStatus: boolean; attestation?: Attestation }) {
    const record: Audit = { calls: [], violations: [], crashed: false };
    const backend = audit(await fixture.open({ capabilities: { rewrapStatus: options.reportsRewrapStatus ? "reported" : "hidden" } }), fixture.dir, fixture.instanceId, record);
    const result = await new Executor({
      backend,
      desired: { key: { kind: "vp", vp: target().vp }, words: CLI_WORDS, signerSkis: fixture.admins.map((a) => a.key.ski), ...(options.attestation ? { rewrapAttestation: options.attestation } : {}) },
      material: { keyParts: target().material, signers: fixture.signers },
      clock: instantClock(),
    }).run();
    return { result, record };
  }

  beforeEach(async () => {
    fixture = await createSimFixture({ shape: { operational: 3, recovery: 2, failover: 0 }, records: 10, chunkSize: 2 });
    const killed = await fixture.open({ faults: [{ kind: "crashMidRewrap", afterRecords: 4 }] });
    await new Executor({
      backend: killed,
      desired: { key: { kind: "vp", vp: target().vp }, words: CLI_WORDS, signerSkis: fixture.admins.map((a) => a.key.ski) },
      material: { keyParts: target().material, signers: fixture.signers },
      clock: instantClock(),
    })
      .run()
      .catch(() => undefined);
    const operator = await fixture.open();
    const [first] = await operator.listUnits();
    await operator.setImmediate({ units: [first.id], expectedVp: target().vp }, fixture.signers);
    expect(classify(await observe(operator)).name).toBe("HalfPromoted");
    expect((await verifyKeyStorage(fixture.dir, fixture.instanceId)).problems).toEqual([]);
  });
  afterEach(() => fixture.cleanup());

  test("with a backend that reports the rewrap: refused (PromotedBeforeRewrap), nothing changed, every record still readable", async () => {
    const before = fixture.fingerprint();
    const { result, record } = await rotate({ reportsRewrapStatus: true });
    expect(result.outcome).toBe("refused");
    expect(result.refusal).toMatchObject({ code: "PromotedBeforeRewrap" });
    expect(result.refusal?.evidence).toContain(`the backend reports the key storage rewrap to ${target().vp.slice(0, 12)}… unfinished: 4 of 10 records are under it`);
    expect(result.refusal?.manualSteps.join("\n")).toMatch(/do not run cryptounit-mk-setimm on any other unit/);
    expect(record.calls).toEqual([]);
    expect(record.violations).toEqual([]);
    expect(fixture.fingerprint()).toBe(before);
    const storage = await verifyKeyStorage(fixture.dir, fixture.instanceId);
    expect(storage).toMatchObject({ records: 10, problems: [] });
  });

  test("with a backend that cannot report the rewrap: refused (RewrapNotProven), nothing changed, every record still readable", async () => {
    const before = fixture.fingerprint();
    const { result, record } = await rotate({ reportsRewrapStatus: false });
    expect(result.refusal).toMatchObject({ code: "RewrapNotProven" });
    expect(result.refusal?.manualSteps.join("\n")).toContain(`--attest-rewrap-complete ${target().vp}`);
    expect(record.calls).toEqual([]);
    expect(fixture.fingerprint()).toBe(before);
    expect((await verifyKeyStorage(fixture.dir, fixture.instanceId)).problems).toEqual([]);
  });

  /** The attestation of the target for the half-promoted situation (unit 1 promoted), as the refusal prints it. */
  const forThisSplit = async (): Promise<Attestation> => {
    const [unit1] = await (await fixture.open()).listUnits();
    return { vp: target().vp, code: situationCode({ instanceId: fixture.instanceId, targetVp: target().vp, fromVp: fixture.keyParts[0].vp, promoted: [unit1.id] }) };
  };

  test("an attestation, even one made for this very split, does not override a backend that reports the rewrap unfinished", async () => {
    const { result, record } = await rotate({ reportsRewrapStatus: true, attestation: await forThisSplit() });
    expect(result.refusal).toMatchObject({ code: "PromotedBeforeRewrap" });
    expect(record.calls).toEqual([]);
  });

  test.each([
    { name: "written ahead of time (for the rotation, before any unit was promoted)", promoted: () => [] as string[] },
    { name: "left from the repair of another split", promoted: () => [fixture.unitIds[4]] },
  ])("with a backend that cannot report, an attestation $name is refused as no proof, and nothing changes", async ({ promoted }) => {
    const before = fixture.fingerprint();
    const early: Attestation = { vp: target().vp, code: situationCode({ instanceId: fixture.instanceId, targetVp: target().vp, fromVp: fixture.keyParts[0].vp, promoted: promoted() }) };
    const { result, record } = await rotate({ reportsRewrapStatus: false, attestation: early });
    expect(result.refusal).toMatchObject({ code: "RewrapNotProven" });
    expect(result.refusal?.evidence.join("\n")).toContain("the attestation given was not used: it was made for another situation");
    expect(record.calls).toEqual([]);
    expect(fixture.fingerprint()).toBe(before);
    expect((await verifyKeyStorage(fixture.dir, fixture.instanceId)).problems).toEqual([]);
  });
});

describe("an attestation given for a rotation that has not rewrapped yet", () => {
  test("is never taken instead of the rewrap: the engine rewraps, and every record stays readable", async () => {
    const fixture = await createSimFixture({ shape: { operational: 2, recovery: 0, failover: 0 }, records: 10, chunkSize: 3 });
    try {
      const target = fixture.keyParts[1];
      const early: Attestation = { vp: target.vp, code: situationCode({ instanceId: fixture.instanceId, targetVp: target.vp, fromVp: fixture.keyParts[0].vp, promoted: [] }) };
      const record: Audit = { calls: [], violations: [], crashed: false };
      const result = await new Executor({
        backend: audit(await fixture.open({ capabilities: { rewrapStatus: "hidden" } }), fixture.dir, fixture.instanceId, record),
        desired: { key: { kind: "vp", vp: target.vp }, words: CLI_WORDS, signerSkis: fixture.admins.map((a) => a.key.ski), rewrapAttestation: early },
        material: { keyParts: target.material, signers: fixture.signers },
        clock: instantClock(),
      }).run();
      expect(result.outcome).toBe("done");
      expect(record.calls.map((c) => c.command)).toContain("rewrap");
      expect(result.journal?.rewrapProof).toMatchObject({ vp: target.vp, source: "rewrap" });
      expect(record.violations).toEqual([]);
      expect(await fixture.check()).toMatchObject({ problems: [], byVp: { [target.vp]: 10 } });
    } finally {
      fixture.cleanup();
    }
  });
});
