import { classify } from "../../src/engine/classify";
import { divergenceSteps } from "../../src/engine/manual-steps";
import type { Observation } from "../../src/engine/observation";
import type { DivergenceCode, PhaseName } from "../../src/engine/phases";
import { obs, unit, VP } from "./observations";

const { X, T } = VP;

interface Row {
  name: string;
  reason: string;
  observation: Observation;
  want: PhaseName;
  reasons?: DivergenceCode[];
}

const rows: Row[] = [
  { name: "Uninitialized", reason: "all current registers Empty and no key storage", observation: obs([unit("u1", "-", "-"), unit("u2", "-", "-")], { state: "none", records: 0 }), want: "Uninitialized" },
  { name: "Active", reason: "all current Valid with one VP and new Empty", observation: obs([unit("u1", X, "-"), unit("u2", X, "-")]), want: "Active" },
  {
    name: "Active on 28 bytes",
    reason: "old firmware did not zero the last four bytes, so VPs compare on the first 28",
    observation: obs([unit("u1", X, "-"), unit("u2", X.slice(0, 56) + "deadbeef", "-")]),
    want: "Active",
  },
  { name: "Loading", reason: "some new registers still Empty", observation: obs([unit("u1", X, `u:${T}`), unit("u2", X, "-")]), want: "Loading" },
  { name: "Loading with a committed unit", reason: "any Empty new register means loading is unfinished", observation: obs([unit("u1", X, `c:${T}`), unit("u2", X, "-")]), want: "Loading" },
  { name: "Loaded", reason: "every new register Full Uncommitted with one VP", observation: obs([unit("u1", X, `u:${T}`), unit("u2", X, `u:${T}`)]), want: "Loaded" },
  { name: "Committing", reason: "new registers split between uncommitted and committed", observation: obs([unit("u1", X, `c:${T}`), unit("u2", X, `u:${T}`)]), want: "Committing" },
  { name: "Committed", reason: "all committed, no rewrap reported", observation: obs([unit("u1", X, `c:${T}`), unit("u2", X, `c:${T}`)]), want: "Committed" },
  {
    name: "Committed with a stale job",
    reason: "a complete rewrap to another key says nothing about this one",
    observation: obs([unit("u1", X, `c:${T}`), unit("u2", X, `c:${T}`)], { state: "complete", targetVp: X, records: 10 }),
    want: "Committed",
  },
  {
    name: "Rewrapping",
    reason: "the service reports a rewrap to the pending key in progress",
    observation: obs([unit("u1", X, `c:${T}`), unit("u2", X, `c:${T}`)], { state: "inProgress", targetVp: T, done: 3, total: 10 }),
    want: "Rewrapping",
  },
  {
    name: "Rewrapped",
    reason: "the service reports key storage entirely under the pending key",
    observation: obs([unit("u1", X, `c:${T}`), unit("u2", X, `c:${T}`)], { state: "complete", targetVp: T, records: 10 }),
    want: "Rewrapped",
  },
  {
    name: "HalfPromoted",
    reason: "one unit promoted to T, the others still on X with T committed: the seed scenario",
    observation: obs([unit("u1", T, "-"), unit("u2", X, `c:${T}`), unit("u3", X, `c:${T}`)], { state: "complete", targetVp: T, records: 10 }),
    want: "HalfPromoted",
  },
  {
    name: "HalfPromoted during initialisation",
    reason: "promotion split while initialising: lagging units have an Empty current register",
    observation: obs([unit("u1", T, "-"), unit("u2", "-", `c:${T}`)], { state: "none", records: 0 }),
    want: "HalfPromoted",
  },
  {
    name: "Diverged: current registers differ",
    reason: "two current keys with no pending key to explain them",
    observation: obs([unit("u1", T, "-"), unit("u2", X, "-")]),
    want: "Diverged",
    reasons: ["CurrentRegistersDiffer"],
  },
  {
    name: "Diverged: split with uncommitted lagging unit",
    reason: "promotion only follows a full commit, so an uncommitted lagging unit is not a half-promotion",
    observation: obs([unit("u1", T, "-"), unit("u2", X, `u:${T}`)]),
    want: "Diverged",
    reasons: ["CurrentRegistersDiffer"],
  },
  {
    name: "Diverged: new registers differ",
    reason: "two different pending keys",
    observation: obs([unit("u1", X, `u:${T}`), unit("u2", X, `u:${VP.Y}`)]),
    want: "Diverged",
    reasons: ["NewRegistersDiffer"],
  },
  {
    name: "Diverged: pending equals current",
    reason: "a new register holding the current key cannot be a rotation",
    observation: obs([unit("u1", X, `u:${X}`), unit("u2", X, `u:${X}`)]),
    want: "Diverged",
    reasons: ["PendingEqualsCurrent"],
  },
  {
    name: "Diverged: imprint mode",
    reason: "master key commands are not allowed in imprint mode",
    observation: obs([unit("u1", X, "-", { thresholds: { signature: 0, revocation: 0 } }), unit("u2", X, "-")]),
    want: "Diverged",
    reasons: ["ImprintMode", "ThresholdsDiffer"],
  },
  {
    name: "Diverged: administrators differ",
    reason: "every unit must have the same administrators",
    observation: obs([unit("u1", X, "-", { admins: [] }), unit("u2", X, "-")]),
    want: "Diverged",
    reasons: ["AdministratorsDiffer"],
  },
  {
    name: "Diverged: key storage without a key",
    reason: "records exist but no unit has a current key",
    observation: obs([unit("u1", "-", "-"), unit("u2", "-", "-")], { state: "none", records: 5 }),
    want: "Diverged",
    reasons: ["KeyStorageWithoutKey"],
  },
  {
    name: "Diverged: key storage under a key a unit lost",
    reason: "a unit's new register was cleared mid-rewrap: never auto-fix",
    observation: obs([unit("u1", X, `c:${T}`), unit("u2", X, "-")], { state: "inProgress", targetVp: T, done: 4, total: 10 }),
    want: "Diverged",
    reasons: ["KeyStorageUnderMissingKey"],
  },
  { name: "Diverged: no units", reason: "an instance with no crypto units", observation: obs([]), want: "Diverged", reasons: ["NoUnits"] },
  {
    name: "Diverged: a zeroized unit",
    reason: "one reason for a reset unit, not every difference it shows",
    observation: obs([unit("u1", "-", "-", { thresholds: { signature: 0, revocation: 0 }, admins: [] }), unit("u2", X, "-"), unit("u3", X, "-")]),
    want: "Diverged",
    reasons: ["UnitZeroized"],
  },
  {
    name: "Diverged: a zeroized unit beside a half-promoted rotation",
    reason: "no single current key to copy into it: every reason stands, with its stricter steps",
    observation: obs([unit("u1", "-", "-", { thresholds: { signature: 0, revocation: 0 }, admins: [] }), unit("u2", T, "-"), unit("u3", X, `c:${T}`)], { state: "inProgress", targetVp: T, done: 4, total: 10 }),
    want: "Diverged",
    reasons: ["ImprintMode", "ThresholdsDiffer", "AdministratorsDiffer", "CurrentRegistersDiffer", "KeyStorageUnderMissingKey"],
  },
];

describe("classify", () => {
  test.each(rows)("$name: $reason", ({ observation, want, reasons }) => {
    const phase = classify(observation);
    expect(phase.name).toBe(want);
    expect(phase.reasons.map((r) => r.code)).toEqual(reasons ?? []);
  });

  test("HalfPromoted names the promoted and lagging units and both keys", () => {
    const phase = classify(rows.find((r) => r.name === "HalfPromoted")!.observation);
    expect(phase.roles).toEqual({ u1: "promoted", u2: "lagging", u3: "lagging" });
    expect(phase.currentVp).toBe(X);
    expect(phase.pendingVp).toBe(T);
  });

  test("every divergence reason names the units and values involved", () => {
    for (const row of rows.filter((r) => r.want === "Diverged")) {
      for (const reason of classify(row.observation).reasons) expect(reason.message.length).toBeGreaterThan(20);
    }
  });
});

describe("divergenceSteps", () => {
  const codes: DivergenceCode[] = ["NoUnits", "UnitZeroized", "ImprintMode", "ThresholdsDiffer", "AdministratorsDiffer", "CurrentRegistersDiffer", "NewRegistersDiffer", "PendingEqualsCurrent", "KeyStorageWithoutKey", "KeyStorageUnderMissingKey"];

  test("every reason has steps", () => {
    for (const code of codes) expect(divergenceSteps([code]).length).toBeGreaterThan(0);
  });

  test("stacked reasons give one procedure: each line once, thresholds set once, what forbids commands first", () => {
    const steps = divergenceSteps(["ImprintMode", "ThresholdsDiffer", "AdministratorsDiffer", "CurrentRegistersDiffer"]);
    expect(new Set(steps).size).toBe(steps.length);
    expect(steps.filter((s) => s.includes("cryptounit-thrhld-set"))).toHaveLength(1);
    expect(steps.filter((s) => s.startsWith("ibmcloud tke cryptounit-mk"))).toHaveLength(1);
    expect(steps.findIndex((s) => s.startsWith("do not run"))).toBeLessThan(steps.findIndex((s) => s.includes("cryptounit-admin-add")));
  });

  test("a zeroized unit among set-up ones gets the set-up steps only, never a support case or a clear", () => {
    const phase = classify(obs([unit("u1", "-", "-", { thresholds: { signature: 0, revocation: 0 }, admins: [] }), unit("u2", X, "-")]));
    const steps = divergenceSteps(phase.reasons.map((r) => r.code));
    expect(steps.join("\n")).not.toMatch(/support case|clrnew|do not run/);
    expect(steps.filter((s) => s.startsWith("ibmcloud tke ")).map((s) => s.split("#")[0].trim())).toEqual([
      "ibmcloud tke cryptounits",
      "ibmcloud tke cryptounit-compare",
      "ibmcloud tke cryptounit-mk",
      "ibmcloud tke cryptounit-rm; ibmcloud tke cryptounit-add",
      "ibmcloud tke cryptounit-admin-add",
      "ibmcloud tke cryptounit-thrhld-set",
      "ibmcloud tke auto-mk-recover",
    ]);
  });
});
