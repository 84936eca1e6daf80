import { readFileSync } from "node:fs";
import { join } from "node:path";
import { classify } from "../../src/engine/classify";
import { DECISION_TABLE, EXAMPLE_DESIRED, renderDecisionTable } from "../../src/engine/decision-table";
import { plan } from "../../src/engine/plan";

describe("the decision table", () => {
  test.each(DECISION_TABLE.map((row) => ({ ...row, name: `${row.phase}, ${row.when}` })))("$name: $then", (row) => {
    const phase = classify(row.example.observation);
    expect(phase.name).toBe(row.phase);
    const decision = plan({ phase, observation: row.example.observation, journal: row.example.journal, desired: row.example.desired ?? EXAMPLE_DESIRED });
    switch (row.expect.kind) {
      case "act":
        expect(decision).toMatchObject({ kind: "act", action: { kind: row.expect.action, units: row.expect.units } });
        break;
      case "done":
        expect(decision.kind).toBe("done");
        break;
      case "refuse":
        expect(decision).toMatchObject({ kind: "refuse", code: row.expect.code });
        break;
    }
  });

  test("covers every phase", () => {
    const covered = new Set(DECISION_TABLE.map((r) => r.phase));
    expect([...covered].sort()).toEqual(["Active", "Committed", "Committing", "Diverged", "HalfPromoted", "Loaded", "Loading", "Rewrapped", "Rewrapping", "Uninitialized"]);
  });

  test("docs/decision-table.md is the rendering of the code's table (run npm run docs:decision-table after a change)", () => {
    const doc = readFileSync(join(__dirname, "../../docs/decision-table.md"), "utf8");
    expect(doc).toBe(renderDecisionTable());
  });
});
