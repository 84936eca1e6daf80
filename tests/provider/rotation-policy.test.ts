import { armFault, describeSimulatedInstance } from "../../src/backends/simulator";
import { checkInputs } from "../../src/provider/check";
import { createMasterKey, diffMasterKey, readMasterKey, updateMasterKey, type LifecycleContext, type PartialStateError } from "../../src/provider/lifecycle";
import { createSimFixture, type SimFixture } from "../helpers/sim-fixture";
import { checked, contextFor, expectNoSecrets, inputsFor } from "./provider-fixture";

type Props = Record<string, unknown>;

const DAY = 86_400_000;
const counters = (fixture: SimFixture) => describeSimulatedInstance(fixture.dir, fixture.instanceId).units.map((u) => u.transactionCounter);

describe("the rotation policy (rotationPeriodDays), with an injected clock", () => {
  let fixture: SimFixture;
  // Day 0 lies 200 days back, so that a rotation this test runs (journaled at the real time) is the newest event.
  const day0 = Date.now() - 200 * DAY;
  const on = (day: number) => new Date(day0 + day * DAY);
  const at = (day: number, lines: string[] = []): LifecycleContext => ({ ...contextFor(fixture, lines), now: () => on(day) });
  const stored = (outs: object): Props => ({ ...outs, __provider: "serialized-provider-text" });

  beforeEach(async () => {
    fixture = await createSimFixture({ shape: { operational: 2, recovery: 0, failover: 0 }, records: 5, chunkSize: 4 });
  });
  afterEach(() => fixture.cleanup());

  test("check refuses a policy that is not a whole number of days from 1 to 3650, naming the input", () => {
    for (const bad of [0, 1.5, 4000, "90"]) {
      expect(checkInputs(inputsFor(fixture, 0, { rotationPeriodDays: bad }), "material").failures).toEqual([{ property: "rotationPeriodDays", reason: expect.stringMatching(/^rotationPeriodDays: /) }]);
    }
  });

  test("an adopted key counts from when it was first seen: not due at once, due one period later, with what the custodians do", async () => {
    const { outs } = await createMasterKey(at(0), checked(fixture, 0, { rotationPeriodDays: 90 }));
    expect(outs).toMatchObject({
      keyAge: { verificationPattern: fixture.keyParts[0].vp, since: on(0).toISOString(), source: "firstSeen" },
      rotationPeriodDays: 90,
      rotationDueAt: on(90).toISOString(),
      rotationDue: false,
      driftReasons: [],
    });
    const notYet = await readMasterKey(at(89), fixture.instanceId, stored(outs));
    expect(notYet.props).toMatchObject({ rotationDue: false, driftReasons: [] });
    expect((await diffMasterKey(at(89), stored(notYet.props ?? {}), checked(fixture, 0, { rotationPeriodDays: 90 }))).changes).toBe(false);

    const refreshed = await readMasterKey(at(91), fixture.instanceId, stored(outs));
    expect(refreshed.props).toMatchObject({ rotationDue: true, rotationDueAt: on(90).toISOString(), keyAge: outs.keyAge });
    const reasons = refreshed.props?.driftReasons as string[];
    expect(reasons).toEqual([expect.stringMatching(/^a master key rotation is due since .*: the rotation policy is every 90 days, and the master key .* \(when this tool first saw it; .*\), 91 days\. The key custodians each create a new key part file \(hpcs-mk keypart create, or ibmcloud tke mk-add --random\), declare the new files in the MasterKey's keyParts, and run pulumi up$/)]);
    // preview (diff) reports the change, so `pulumi preview --expect-no-changes` fails, and says why.
    const lines: string[] = [];
    expect((await diffMasterKey(at(91, lines), stored(refreshed.props ?? {}), checked(fixture, 0, { rotationPeriodDays: 90 }))).changes).toBe(true);
    expect(lines[0]).toBe(reasons[0]);
  });

  test("a due rotation with unchanged key parts never fails pulumi up: nothing is sent, the drift is said, and the age stays", async () => {
    const { outs } = await createMasterKey(at(0), checked(fixture, 0, { rotationPeriodDays: 30 }));
    const before = counters(fixture);
    const lines: string[] = [];
    const { outs: after } = await updateMasterKey(at(45, lines), stored(outs), checked(fixture, 0, { rotationPeriodDays: 30 }));
    expect(counters(fixture)).toEqual(before);
    expect(after).toMatchObject({ phase: "Active", lastStep: { outcome: "ok" }, rotationDue: true, keyAge: outs.keyAge });
    expect(lines.filter((l) => l.includes("rotation is due"))).toEqual([expect.stringMatching(/^hpcs .*: a master key rotation is due since /)]);
  });

  test("new key parts rotate, and the age resets to the rotation's completion", async () => {
    const { outs } = await createMasterKey(at(0), checked(fixture, 0, { rotationPeriodDays: 90 }));
    const { outs: rotated } = await updateMasterKey(at(200), stored(outs), checked(fixture, 1, { rotationPeriodDays: 90 }));
    const completedAt = rotated.rotation?.completedAt as string;
    expect(rotated).toMatchObject({ verificationPattern: fixture.keyParts[1].vp, keyAge: { verificationPattern: fixture.keyParts[1].vp, since: completedAt, source: "rotation" }, rotationDue: false });
    expect(rotated.rotationDueAt).toBe(new Date(Date.parse(completedAt) + 90 * DAY).toISOString());
    expectNoSecrets(fixture, rotated);
  });

  test("a changed policy is a change (the outputs' due date moves), and a shorter one can make a rotation due at once", async () => {
    const { outs } = await createMasterKey(at(0), checked(fixture, 0, { rotationPeriodDays: 365 }));
    expect((await diffMasterKey(at(40), stored(outs), checked(fixture, 0, { rotationPeriodDays: 365 }))).changes).toBe(false);
    expect((await diffMasterKey(at(40), stored(outs), checked(fixture, 0, { rotationPeriodDays: 100 }))).changes).toBe(true);
    const { outs: shorter } = await updateMasterKey(at(40), stored(outs), checked(fixture, 0, { rotationPeriodDays: 30 }));
    expect(shorter).toMatchObject({ rotationPeriodDays: 30, rotationDueAt: on(30).toISOString(), rotationDue: true });
    const { outs: none } = await updateMasterKey(at(40), stored(shorter), checked(fixture, 0));
    expect(none).toMatchObject({ rotationPeriodDays: null, rotationDueAt: null, rotationDue: false, driftReasons: [], keyAge: outs.keyAge });
  });

  test("a rotation that fails half-way keeps the old key's age until it completes", async () => {
    const { outs } = await createMasterKey(at(0), checked(fixture, 0, { rotationPeriodDays: 90 }));
    await armFault(fixture.dir, fixture.instanceId, { kind: "fail", when: "before", command: "setImmediate", unit: fixture.unitIds[1] });
    const news = checked(fixture, 1, { rotationPeriodDays: 90 });
    const error = (await updateMasterKey(at(100), stored(outs), news).catch((e) => e)) as PartialStateError;
    expect(error.properties).toMatchObject({ phase: "HalfPromoted", keyAge: outs.keyAge, rotationDue: true });
    const refreshed = await readMasterKey(at(101), fixture.instanceId, error.properties);
    expect(refreshed.props).toMatchObject({ keyAge: outs.keyAge, rotationDue: true });
    const { outs: resumed } = await updateMasterKey(at(102), stored(refreshed.props ?? {}), news);
    expect(resumed).toMatchObject({ phase: "Active", keyAge: { verificationPattern: fixture.keyParts[1].vp, source: "rotation" }, rotationDue: false });
  });

  test("a rotation whose run failed after the last promotion dates the key from then, as a rotation", async () => {
    const { outs } = await createMasterKey(at(0), checked(fixture, 0, { rotationPeriodDays: 90 }));
    await armFault(fixture.dir, fixture.instanceId, { kind: "fail", when: "after", command: "setImmediate" });
    const error = (await updateMasterKey(at(100), stored(outs), checked(fixture, 1, { rotationPeriodDays: 90 })).catch((e) => e)) as PartialStateError;
    expect(error.properties).toMatchObject({ phase: "Active", keyAge: { verificationPattern: fixture.keyParts[1].vp, since: on(100).toISOString(), source: "rotation" }, rotationDue: false });
  });

  test("a key rotated outside this tool counts as first seen at the refresh that sees it", async () => {
    const { outs } = await createMasterKey(at(0), checked(fixture, 0, { rotationPeriodDays: 90 }));
    await createMasterKey(at(0), checked(fixture, 1)); // another stack, or a person, rotates the instance
    const { props } = await readMasterKey(at(50), fixture.instanceId, stored(outs));
    expect(props).toMatchObject({ keyAge: { verificationPattern: fixture.keyParts[1].vp, since: on(50).toISOString(), source: "firstSeen" }, rotationDueAt: on(140).toISOString() });
  });
});
