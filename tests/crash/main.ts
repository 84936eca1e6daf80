import { describeScenario, prepareTemplate, runScenario, scenariosFor, type Shape, type Start } from "./scenarios";

/**
 * npm run check:crash — every crash point of a rotation and of a first-time initialisation, for instance shapes of
 * 1 to 3 operational units, with and without recovery and failover units. Prints one line per shape and ends with
 * `crash scenarios: N passed, 0 failed`. Exits 1 if any scenario failed.
 */
const SHAPES: Shape[] = [];
for (const operational of [1, 2, 3]) {
  for (const recovery of [0, 2]) {
    for (const failover of [0, 2, 3].filter((f) => f <= operational)) SHAPES.push({ operational, recovery, failover });
  }
}
const STARTS: Start[] = ["rotation", "initialisation"];

async function main(): Promise<number> {
  const started = Date.now();
  let passed = 0;
  let refused = 0;
  const failures: string[] = [];
  for (const shape of SHAPES) {
    for (const start of STARTS) {
      const template = await prepareTemplate(shape, start);
      const scenarios = scenariosFor(template);
      let shapePassed = 0;
      for (const scenario of scenarios) {
        const result = await runScenario(scenario);
        if (result.outcome === "failed") failures.push(`FAILED ${describeScenario(scenario)}\n    ${result.problems.join("\n    ")}`);
        else {
          shapePassed++;
          if (result.outcome === "refusedUnchanged") refused++;
        }
      }
      passed += shapePassed;
      template.fixture.cleanup();
      console.log(`${start} ${shape.operational}op/${shape.recovery}rec/${shape.failover}fo: ${shapePassed}/${scenarios.length} scenarios, ${template.reference.length} crash points (${((Date.now() - started) / 1000).toFixed(0)}s)`);
    }
  }
  for (const failure of failures.slice(0, 20)) console.log(failure);
  if (failures.length > 20) console.log(`… and ${failures.length - 20} more failures`);
  console.log(`refused without change: ${refused}`);
  console.log(`crash scenarios: ${passed} passed, ${failures.length} failed`);
  return failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(2);
  },
);
