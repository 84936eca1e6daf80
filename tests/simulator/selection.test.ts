import { SelectionError } from "../../src/engine/port/errors";
import { createSimFixture, type SimFixture } from "../helpers/sim-fixture";

describe("workstation selection (cryptounit-add / cryptounit-rm)", () => {
  let f: SimFixture;
  beforeEach(async () => {
    f = await createSimFixture({ selected: false, records: 0 });
  });
  afterEach(() => f.cleanup());

  const selected = async () => {
    const backend = await f.open();
    return Promise.all(f.unitIds.map(async (u) => (await backend.queryUnit(u)).selected));
  };

  test("select adds units to the selection and deselect removes them", async () => {
    const backend = await f.open();
    await backend.select(f.unitIds);
    expect(await selected()).toEqual([true, true, true, true]);
    await backend.deselect([f.unitIds[1], f.unitIds[3]]);
    expect(await selected()).toEqual([true, false, true, false]);
  });

  test("selecting a selected unit again changes nothing", async () => {
    const backend = await f.open();
    await backend.select([f.unitIds[0]]);
    const before = f.fingerprint();
    await backend.select([f.unitIds[0]]);
    expect(f.fingerprint()).toBe(before);
  });

  test("selection is workstation state: it does not touch transaction counters or registers", async () => {
    const backend = await f.open();
    const before = await backend.queryUnit(f.unitIds[0]);
    await backend.select([f.unitIds[0]]);
    expect({ ...(await backend.queryUnit(f.unitIds[0])), selected: false }).toEqual(before);
  });

  test("a unit outside the instance is refused and nothing changes, not even the valid units named with it", async () => {
    const backend = await f.open();
    const before = f.fingerprint();
    await expect(backend.select([f.unitIds[0], "0e3dc0b4-5d55-4f51-5f8a-2b1aa5098dd0"])).rejects.toThrow(SelectionError);
    await expect(backend.deselect(["nope"])).rejects.toThrow(SelectionError);
    expect(f.fingerprint()).toBe(before);
  });

  test("an empty list is a no-op", async () => {
    const backend = await f.open();
    const before = f.fingerprint();
    await backend.select([]);
    await backend.deselect([]);
    expect(f.fingerprint()).toBe(before);
  });
});
