import { readFileSync } from "node:fs";
import { join } from "node:path";
import { classify } from "../../src/engine/classify";
import { DECISION_TABLE, EXAMPLE_BINDING, EXAMPLE_DESIRED, renderDecisionTable, STAGES, type DecisionRow, type ExpectedDecision } from "../../src/engine/decision-table";
import type { Capabilities } from "../../src/engine/port/capabilities";
import type { Decision } from "../../src/engine/decision";
import type { Observation } from "../../src/engine/observation";
import { plan } from "../../src/engine/plan";

function decide(row: DecisionRow, observation: Observation, rotation: Capabilities["rotation"] = row.rotation ?? "separate"): Decision {
  const phase = classify(observation);
  expect(phase.name).toBe(row.phase);
  return plan({ phase, observation, journal: row.example.journal, binding: EXAMPLE_BINDING, desired: row.example.desired ?? EXAMPLE_DESIRED, capabilities: { rotation } });
}

/** A separate rewrap is the combined rotate on a backend that has only that; every other decision is the same. */
function asCombined(expected: ExpectedDecision): ExpectedDecision {
  if (expected.kind !== "act") return expected;
  if (expected.action === "rewrap") return { ...expected, action: "rotate" };
  return expected.action === "generateNew" ? { ...expected, action: "autoRotate" } : expected;
}

function expectAsStated(row: DecisionRow, decision: Decision, expected: ExpectedDecision = row.expect): void {
  switch (expected.kind) {
    case "act":
      expect(decision).toMatchObject({ kind: "act", action: { kind: expected.action, units: expected.units } });
      break;
    case "done":
      expect(decision.kind).toBe("done");
      break;
    case "refuse":
      expect(decision).toMatchObject({ kind: "refuse", code: expected.code, manualSteps: expect.arrayContaining([expect.any(String)]) });
      break;
  }
}

const rows = DECISION_TABLE.map((row) => ({ ...row, name: `${row.phase}, ${row.when}` }));

describe("the decision table", () => {
  test.each(rows)("$name: $then", (row) => {
    expectAsStated(row, decide(row, row.example.observation));
  });

  test.each(rows.filter((r) => r.rotation === undefined))("$name: decided the same by a backend that rewraps and promotes in one rotate command", (row) => {
    expectAsStated(row, decide(row, row.example.observation, "combined"), asCombined(row.expect));
  });

  test.each(rows.filter((r) => r.report === "either"))("$name: decided the same when the backend cannot report the rewrap", (row) => {
    expectAsStated(row, decide(row, { ...row.example.observation, rewrap: { state: "unknown" } }));
  });

  test("covers every phase and every stage, and quotes IBM's page or says why it cannot on every row", () => {
    expect([...new Set(DECISION_TABLE.map((r) => r.phase))].sort()).toEqual(["Active", "Committed", "Committing", "Diverged", "HalfPromoted", "Loaded", "Loading", "Rewrapped", "Rewrapping", "Uninitialized"]);
    expect(new Set(DECISION_TABLE.map((r) => r.stage))).toEqual(new Set(STAGES));
    for (const row of DECISION_TABLE) expect(row.ibm).toMatch(/^("|The repair|Not covered)/);
  });

  test("refuses every half-promotion whose rewrap is not proven: reported partial, reported not started, or unknown without proof", () => {
    const refused = DECISION_TABLE.filter((r) => r.phase === "HalfPromoted" && r.expect.kind === "refuse").map((r) => r.example.observation.rewrap.state);
    expect(new Set(refused)).toEqual(new Set(["inProgress", "none", "unknown"]));
  });

  test("docs/decision-table.md is the rendering of the code's table (run npm run docs:decision-table after a change)", () => {
    const doc = readFileSync(join(__dirname, "../../docs/decision-table.md"), "utf8");
    expect(doc).toBe(renderDecisionTable());
  });
});
