import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UnknownInstanceError } from "../../src/engine/port/errors";
import {
  checkKeyStorageReadable,
  createSimulatedInstance,
  describeSimulatedInstance,
  listSimulatedInstances,
  openSimulator,
  type CreateSimulatedInstanceOptions,
} from "../../src/backends/simulator";
import { InputError } from "../../src/model/errors";
import { EMPTY_VP } from "../../src/model/vp";
import { makeAdmin, sharedKeyPartSets, type AdminFixture } from "../helpers/sim-fixture";

describe("creating a simulated instance", () => {
  let root: string;
  let dir: string;
  let admins: AdminFixture[];
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "sim-create-"));
    admins = [1, 2, 3].map((i) => makeAdmin(root, i));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  beforeEach(() => {
    dir = mkdtempSync(join(root, "sim-"));
  });

  const adminsFromFiles = () => admins.slice(0, 2).map((a) => ({ name: a.name, publicKey: a.key.publicKey }));
  const key = () => ({ keyPartValues: sharedKeyPartSets(1, 2)[0].values.map((m) => m.value) });

  test.each([
    { operational: 2, recovery: 0, failover: 0 },
    { operational: 2, recovery: 2, failover: 2 },
    { operational: 3, recovery: 2, failover: 3 },
  ])("an instance of $operational operational, $recovery recovery and $failover failover units has those units", async (shape) => {
    const created = await createSimulatedInstance(dir, { shape });
    const count = (type: string) => created.units.filter((u) => u.type === type).length;
    expect([count("operational"), count("recovery"), count("failover")]).toEqual([shape.operational, shape.recovery, shape.failover]);
    for (const unit of created.units) {
      expect(unit.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(unit.location).toMatch(/^\[[a-z]{2}-[a-z]+\]\.\[AZ\d-CS\d\]\.\[\d{2}\]\.\[\d{2}\]$/);
    }
    expect(new Set(created.units.map((u) => u.location)).size).toBe(created.units.length);
  });

  test("recovery and failover units sit in the paired region as well", async () => {
    const created = await createSimulatedInstance(dir, { region: "eu-de", shape: { operational: 2, recovery: 2, failover: 2 } });
    const regions = created.units.map((u) => `${u.type}:${u.location.slice(1, u.location.indexOf("]"))}`);
    expect(regions).toEqual(["operational:eu-de", "operational:eu-de", "recovery:eu-de", "recovery:eu-gb", "failover:eu-gb", "failover:eu-gb"]);
  });

  test("by default an instance is uninitialized, in imprint mode, unselected, with empty key storage", async () => {
    const created = await createSimulatedInstance(dir);
    const summary = describeSimulatedInstance(dir, created.instanceId);
    expect(summary.units).toHaveLength(4);
    for (const unit of summary.units) {
      expect(unit).toMatchObject({ selected: false, thresholds: { signature: 0, revocation: 0 }, admins: [], current: { status: "Empty", vp: EMPTY_VP }, new: { status: "Empty", vp: EMPTY_VP } });
    }
    expect(summary.rewrap).toEqual({ state: "none", records: 0 });
    expect(created.currentVp).toBeUndefined();
  });

  test("admins given by their public keys are installed in every unit with their SKIs", async () => {
    const created = await createSimulatedInstance(dir, { admins: adminsFromFiles(), thresholds: { signature: 2, revocation: 1 } });
    const summary = describeSimulatedInstance(dir, created.instanceId);
    for (const unit of summary.units) {
      expect(unit.admins).toEqual(admins.slice(0, 2).map((a) => ({ ski: a.key.ski, name: a.name })));
      expect(unit.thresholds).toEqual({ signature: 2, revocation: 1 });
    }
  });

  test("an initial master key makes every current register Valid with its VP and wraps the records under it", async () => {
    const set = sharedKeyPartSets(1, 2)[0];
    const created = await createSimulatedInstance(dir, { admins: adminsFromFiles(), thresholds: { signature: 1, revocation: 1 }, masterKey: key(), records: 25, chunkSize: 10 });
    expect(created.currentVp).toBe(set.vp);
    const summary = describeSimulatedInstance(dir, created.instanceId);
    expect(summary.units.every((u) => u.current.status === "Valid" && u.current.vp === set.vp && u.new.status === "Empty")).toBe(true);
    expect(summary.keyStorage).toEqual({ records: 25, chunks: 3 });
    const report = await checkKeyStorageReadable(dir, created.instanceId);
    expect(report).toEqual({ instanceId: created.instanceId, records: 25, byVp: { [set.vp]: 25 }, problems: [] });
  });

  test("several instances live side by side in one directory", async () => {
    const a = await createSimulatedInstance(dir, { instanceId: "instance-a" });
    const b = await createSimulatedInstance(dir, { instanceId: "instance-b" });
    expect(listSimulatedInstances(dir)).toEqual([a.instanceId, b.instanceId]);
  });

  const bad: { name: string; options: () => CreateSimulatedInstanceOptions; field: string }[] = [
    { name: "one operational unit", options: () => ({ shape: { operational: 1, recovery: 0, failover: 0 } }), field: "shape" },
    { name: "more failover than operational units", options: () => ({ shape: { operational: 2, recovery: 2, failover: 3 } }), field: "shape" },
    { name: "a fractional unit count", options: () => ({ shape: { operational: 2.5, recovery: 0, failover: 0 } }), field: "shape.operational" },
    { name: "an instance id with a slash", options: () => ({ instanceId: "../escape" }), field: "instanceId" },
    { name: "a region that is not a region", options: () => ({ region: "Texas" }), field: "region" },
    { name: "a signature threshold of 9", options: () => ({ thresholds: { signature: 9, revocation: 1 } }), field: "thresholds.signature" },
    { name: "only one threshold left at 0", options: () => ({ admins: adminsFromFiles(), thresholds: { signature: 1, revocation: 0 } }), field: "thresholds" },
    { name: "a threshold above the number of admins", options: () => ({ admins: adminsFromFiles(), thresholds: { signature: 3, revocation: 1 } }), field: "thresholds.signature" },
    { name: "a revocation threshold above the number of admins", options: () => ({ admins: adminsFromFiles(), thresholds: { signature: 1, revocation: 3 } }), field: "thresholds.revocation" },
    { name: "nine admins", options: () => ({ admins: Array.from({ length: 9 }, (_, i) => ({ name: `A${i}`, publicKey: admins[i % 3].key.publicKey })) }), field: "admins" },
    { name: "an admin name of 31 characters", options: () => ({ admins: [{ name: "x".repeat(31), publicKey: admins[0].key.publicKey }] }), field: "admins[0].name" },
    { name: "the same admin key twice", options: () => ({ admins: [{ name: "A", publicKey: admins[0].key.publicKey }, { name: "B", publicKey: admins[0].key.publicKey }] }), field: "admins[1]" },
    { name: "an admin public key that is not a key", options: () => ({ admins: [{ name: "A", publicKey: "bm90IGEga2V5" }] }), field: "admins[0].publicKey" },
    { name: "a master key in imprint mode", options: () => ({ masterKey: key() }), field: "masterKey" },
    { name: "records without a master key", options: () => ({ admins: adminsFromFiles(), thresholds: { signature: 1, revocation: 1 }, records: 5 }), field: "records" },
    { name: "negative records", options: () => ({ records: -1 }), field: "records" },
    { name: "a master key of one part", options: () => ({ admins: adminsFromFiles(), thresholds: { signature: 1, revocation: 1 }, masterKey: { keyPartValues: [new Uint8Array(32)] } }), field: "masterKey.keyParts" },
    { name: "a master key part of 16 bytes", options: () => ({ admins: adminsFromFiles(), thresholds: { signature: 1, revocation: 1 }, masterKey: { keyPartValues: [new Uint8Array(32), new Uint8Array(16)] } }), field: "masterKey.keyParts[1]" },
  ];
  test.each(bad)("$name is refused with an InputError naming $field, and nothing is created", async ({ options, field }) => {
    const error = await createSimulatedInstance(dir, options()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).field).toBe(field);
    expect((error as InputError).message).toContain(field);
    expect(existsSync(join(dir, "instances")) ? readdirSync(join(dir, "instances")) : []).toEqual([]);
  });

  test("an instance id that exists is refused and the existing instance is untouched", async () => {
    await createSimulatedInstance(dir, { instanceId: "taken", admins: adminsFromFiles(), thresholds: { signature: 1, revocation: 1 } });
    const before = describeSimulatedInstance(dir, "taken");
    await expect(createSimulatedInstance(dir, { instanceId: "taken" })).rejects.toThrow(expect.objectContaining({ field: "instanceId" }));
    expect(describeSimulatedInstance(dir, "taken")).toEqual(before);
  });
});

describe("opening a simulated instance", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "sim-open-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("an unknown instance in an empty directory says how to create one", async () => {
    const error = await openSimulator({ dir, instanceId: "missing" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownInstanceError);
    expect(String(error)).toMatch(/service instance missing was not found.*holds no instances; create one with "hpcs-mk sim init/);
  });

  test("an unknown instance lists the instances the directory holds", async () => {
    await createSimulatedInstance(dir, { instanceId: "alpha" });
    await createSimulatedInstance(dir, { instanceId: "beta" });
    await expect(openSimulator({ dir, instanceId: "gamma" })).rejects.toThrow(/holds: alpha, beta/);
  });

  test("a known instance opens and describes itself", async () => {
    const backend = await openSimulator({ dir, instanceId: "alpha" });
    expect(backend.description).toBe(`simulator (${dir})`);
    expect(backend.instanceId).toBe("alpha");
  });

  test("an invalid in-process fault is refused with the field that is wrong", async () => {
    await expect(openSimulator({ dir, instanceId: "alpha", faults: [{ kind: "explode" } as never] })).rejects.toThrow(expect.objectContaining({ field: "faults[0].kind" }));
  });
});
