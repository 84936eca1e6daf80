import { SelectionError } from "../../src/engine/port/errors";
import { describeSimulatedInstance } from "../../src/backends/simulator";
import { combineKeyParts } from "../../src/model/key-parts";
import { EMPTY_VP } from "../../src/model/vp";
import { createSimFixture, type SimFixture } from "../helpers/sim-fixture";

describe("reading a simulated instance", () => {
  let f: SimFixture;
  beforeAll(async () => {
    f = await createSimFixture({ shape: { operational: 3, recovery: 2, failover: 2 }, records: 7 });
  });
  afterAll(() => f.cleanup());
  const masterKeyHex = () => Buffer.from(combineKeyParts(f.keyParts[0].values.map((m) => m.value))).toString("hex");

  test("listUnits lists operational, recovery and failover units with ids and locations", async () => {
    const backend = await f.open();
    const units = await backend.listUnits();
    expect(units.map((u) => u.type)).toEqual(["operational", "operational", "operational", "recovery", "recovery", "failover", "failover"]);
    expect(units).toEqual(f.units);
  });

  test("queryUnit returns registers, thresholds and admins as plain JSON without key bytes", async () => {
    const backend = await f.open();
    const status = await backend.queryUnit(f.unitIds[0]);
    expect(status).toEqual({
      ...f.units[0],
      selected: true,
      current: { status: "Valid", vp: f.keyParts[0].vp },
      new: { status: "Empty", vp: EMPTY_VP },
      thresholds: { signature: 2, revocation: 2 },
      admins: f.admins.map((a) => ({ ski: a.key.ski, name: a.name })),
    });
    expect(JSON.parse(JSON.stringify(status))).toEqual(status);
    const text = JSON.stringify(status);
    expect(text).not.toContain(masterKeyHex());
    expect(text).not.toContain("publicKey");
  });

  test("the instance summary for `sim status` shows no key bytes and no public keys", () => {
    const text = JSON.stringify(describeSimulatedInstance(f.dir, f.instanceId));
    expect(text).not.toContain(masterKeyHex());
    expect(text).not.toContain(f.admins[0].key.publicKey);
    expect(text).not.toContain('"key"');
  });

  test("rewrapStatus reports no rewrap and the number of records", async () => {
    const backend = await f.open();
    expect(await backend.rewrapStatus()).toEqual({ state: "none", records: 7 });
  });

  test("queryUnit of a unit outside the instance is a SelectionError that lists the instance's units", async () => {
    const backend = await f.open();
    await expect(backend.queryUnit("not-a-unit")).rejects.toThrow(SelectionError);
    await expect(backend.queryUnit("not-a-unit")).rejects.toThrow(f.unitIds[6]);
  });

  test("reads never change the instance", async () => {
    const backend = await f.open();
    const before = f.fingerprint();
    await backend.listUnits();
    await Promise.all(f.unitIds.map((u) => backend.queryUnit(u)));
    await backend.rewrapStatus();
    await f.check();
    expect(f.fingerprint()).toBe(before);
  });
});
