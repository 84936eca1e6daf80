// Jest globalSetup: builds dist/ once before any test file runs, so tests that `npm pack` the package (the serialized
// provider, the gRPC host) pack what the sources say, and parallel workers never run two builds at once.
const { execFileSync } = require("node:child_process");
const { join } = require("node:path");

module.exports = async function buildOnce() {
  const root = join(__dirname, "../..");
  execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", join(root, "tsconfig.build.json")], { cwd: root, stdio: "inherit" });
};
