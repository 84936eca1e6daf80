import { inImprintMode, shapeProblem } from "../../src/model/registers";

describe("instance shapes", () => {
  test.each([
    { shape: { operational: 2, recovery: 0, failover: 0 }, ok: true, reason: "the smallest instance" },
    { shape: { operational: 3, recovery: 2, failover: 3 }, ok: true, reason: "the largest instance" },
    { shape: { operational: 2, recovery: 2, failover: 2 }, ok: true, reason: "failover equal to operational" },
    { shape: { operational: 1, recovery: 0, failover: 0 }, ok: false, reason: "one operational unit is not offered" },
    { shape: { operational: 4, recovery: 0, failover: 0 }, ok: false, reason: "at most three operational units" },
    { shape: { operational: 2, recovery: 1, failover: 0 }, ok: false, reason: "recovery units come in pairs" },
    { shape: { operational: 2, recovery: 0, failover: 1 }, ok: false, reason: "failover units are 0, 2 or 3" },
    { shape: { operational: 2, recovery: 0, failover: 3 }, ok: false, reason: "failover units cannot exceed operational units" },
  ])("$reason", ({ shape, ok }) => {
    expect(shapeProblem(shape) === undefined).toBe(ok);
  });

  test("signature threshold 0 is imprint mode", () => {
    expect(inImprintMode({ signature: 0, revocation: 0 })).toBe(true);
    expect(inImprintMode({ signature: 1, revocation: 1 })).toBe(false);
  });
});
