import { verifyKeyStorage } from "../../src/backends/simulator";
import { classify } from "../../src/engine/classify";
import { Executor } from "../../src/engine/executor";
import { observe } from "../../src/engine/observe";
import { audit, type Audit } from "../crash/audited-backend";
import { instantClock } from "../helpers/clocks";
import { createSimFixture, type SimFixture } from "../helpers/sim-fixture";

/**
 * The review's reproduction: a rotation killed mid-rewrap (4 of 10 records under the new key), then an operator
 * promotes one unit by hand (cryptounit-mk-setimm only warns). The lagging units still hold both keys, so every
 * record is still readable; the engine must keep it so: refuse, changing nothing, with the evidence and IBM's steps.
 */
describe("an operator promoted one unit while the key storage rewrap was still running", () => {
  let fixture: SimFixture;
  const target = () => fixture.keyParts[1];

  async function rotate(options: { reportsRewrapStatus: boolean; attestation?: string }) {
    const record: Audit = { calls: [], violations: [], crashed: false };
    const backend = audit(await fixture.open({ reportsRewrapStatus: options.reportsRewrapStatus }), fixture.dir, fixture.instanceId, record);
    const result = await new Executor({
      backend,
      desired: { vp: target().vp, signerSkis: fixture.admins.map((a) => a.key.ski), ...(options.attestation ? { rewrapAttestation: options.attestation } : {}) },
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
      desired: { vp: target().vp, signerSkis: fixture.admins.map((a) => a.key.ski) },
      material: { keyParts: target().material, signers: fixture.signers },
      clock: instantClock(),
    })
      .run()
      .catch(() => undefined);
    const operator = await fixture.open();
    const [first] = await operator.listUnits();
    await operator.setImmediate({ unit: first.id, expectedVp: target().vp }, fixture.signers);
    expect(classify(await observe(operator)).name).toBe("HalfPromoted");
    expect((await verifyKeyStorage(fixture.dir, fixture.instanceId)).problems).toEqual([]);
  });
  afterEach(() => fixture.cleanup());

  test("with a backend that reports the rewrap: refused (PromotedBeforeRewrap), nothing changed, every record still readable", async () => {
    const before = fixture.fingerprint();
    const { result, record } = await rotate({ reportsRewrapStatus: true });
    expect(result.outcome).toBe("refused");
    expect(result.refusal).toMatchObject({ code: "PromotedBeforeRewrap" });
    expect(result.refusal?.evidence).toContain(`the backend reports the key storage rewrap to ${target().vp.slice(0, 12)}… in progress: 4 of 10 record(s) are under it`);
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

  test("an attestation does not override a backend that reports the rewrap unfinished", async () => {
    const { result, record } = await rotate({ reportsRewrapStatus: true, attestation: target().vp });
    expect(result.refusal).toMatchObject({ code: "PromotedBeforeRewrap" });
    expect(record.calls).toEqual([]);
  });
});
