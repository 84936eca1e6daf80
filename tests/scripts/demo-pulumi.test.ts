/** Which Pulumi CLI `npm run demo:pulumi` accepts from PATH: 3.x from the floor of the package's peer dependency. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { compatiblePulumi, minimumPulumi } = require("../../scripts/demo-pulumi.js") as { compatiblePulumi(v: string): boolean; minimumPulumi(): number[] };
import { readFileSync } from "node:fs";
import { join } from "node:path";

test("the floor is the package's @pulumi/pulumi peer dependency", () => {
  const peer = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8")).peerDependencies["@pulumi/pulumi"];
  expect(`^${minimumPulumi().join(".")}`).toBe(peer);
});

test.each([
  ["v3.248.0", true],
  ["v3.139.0", true],
  ["3.200.1", true],
  ["v3.138.9", false],
  ["v3.100.0", false],
  ["v4.0.0", false],
  ["v2.25.2", false],
  ["", false],
  ["pulumi: command not found", false],
])("pulumi %s on PATH is accepted: %s", (version, accepted) => {
  expect(compatiblePulumi(version)).toBe(accepted);
});
