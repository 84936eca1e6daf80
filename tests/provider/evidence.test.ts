import { join } from "node:path";
import { armFault } from "../../src/backends/simulator";
import { readEvidenceFile } from "../../src/files/evidence-log";
import { createMasterKey, readMasterKey, updateMasterKey, type PartialStateError } from "../../src/provider/lifecycle";
import { filesUnder } from "../helpers/files-under";
import { createSimFixture, type SimFixture } from "../helpers/sim-fixture";
import { checked, contextFor, expectNoSecrets } from "./provider-fixture";

type Props = Record<string, unknown>;

/** pulumi up's evidence: one record per run in the ceremony's file; the stack keeps only its id and last hash. */
describe("the MasterKey's evidence record", () => {
  let fixture: SimFixture;
  beforeEach(async () => {
    fixture = await createSimFixture({ shape: { operational: 2, recovery: 2, failover: 0 }, records: 6, chunkSize: 4 });
  });
  afterEach(() => fixture.cleanup());
  const files = () => filesUnder(join(fixture.dir, "evidence"));

  test("a failed update and the update that resumes it: two records in one ceremony, the outputs name the last; refresh keeps it", async () => {
    const { outs: created } = await createMasterKey(contextFor(fixture), checked(fixture, 0));
    expect(created.evidence).toMatchObject({ id: expect.stringMatching(/^rot-[^/]+\/run-/), hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(files()).toHaveLength(1);

    await armFault(fixture.dir, fixture.instanceId, { kind: "fail", when: "before", command: "rewrap" });
    const olds = { ...created, __provider: "serialized-provider-text" } as Props;
    const error = (await updateMasterKey(contextFor(fixture), olds, checked(fixture, 1)).catch((e) => e)) as PartialStateError;
    const failed = error.properties.evidence as { id: string; hash: string };
    const { outs } = await updateMasterKey(contextFor(fixture), error.properties, checked(fixture, 1));
    const ceremony = (outs.evidence as { id: string }).id.split("/")[0];
    expect(failed.id.split("/")[0]).toBe(ceremony);
    expect(ceremony).toBe(outs.rotation?.rotationId);
    expect(files()).toHaveLength(2);

    const record = readEvidenceFile(files().find((f) => f.includes(ceremony)) as string);
    expect(record.broken).toBeUndefined();
    expect(record.head).toBe(outs.evidence?.hash);
    const outcomes = record.entries.filter((e) => e.event.type === "outcome").map((e) => e.event);
    expect(outcomes).toMatchObject([{ outcome: "failed" }, { outcome: "done", vp: fixture.keyParts[1].vp }]);
    expect(record.entries.filter((e) => e.event.type === "outcome")[0].hash).toBe(failed.hash);
    expect(record.entries[0].event).toMatchObject({ type: "run", shell: "pulumi", declared: { source: "keyParts", vp: fixture.keyParts[1].vp, keyPartSha256s: checked(fixture, 1).keyPartIds } });

    const refreshed = await readMasterKey(contextFor(fixture), fixture.instanceId, { ...outs });
    expect(refreshed.props?.evidence).toEqual(outs.evidence);
    expect(files()).toHaveLength(2);
    expectNoSecrets(fixture, outs, error.properties);
  });

  test("signEvidence: the first signature key's administrator signs the run's record", async () => {
    const { outs } = await createMasterKey(contextFor(fixture), checked(fixture, 1, { signEvidence: true }));
    const record = readEvidenceFile(files()[0]);
    expect(record.broken).toBeUndefined();
    expect(record.entries.at(-1)?.event).toMatchObject({ type: "signature", ski: fixture.admins[0].key.ski, signs: record.entries.at(-2)?.hash });
    expect(outs.evidence?.hash).toBe(record.head);
  });

  test("a refusal before any change names its record in the error", async () => {
    const error = (await createMasterKey(contextFor(fixture), checked(fixture, 1, { signatureKeys: [{ file: fixture.admins[0].file, password: fixture.admins[0].password }] })).catch((e) => e)) as Error;
    expect(error.message).toMatch(/refused \(PrecheckFailed\)[\s\S]*evidence: rot-[^/]+\/run-\S+ \(hpcs-mk evidence show\)/);
    const [file] = files();
    const record = readEvidenceFile(file);
    expect(record.entries.map((e) => e.event.type)).toEqual(["run", "observed", "refused", "outcome"]);
  });
});
