import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PULUMI_SDK, REPO } from "../tests/helpers/packed";
import { median } from "./report";

/**
 * The serialized provider (`__provider` in state): its size, and its load time in a fresh process the way the
 * dynamic provider host loads it. The package is packed and installed into a temporary project, as users get it;
 * the text is captured under Pulumi's mocks (tests/provider/children/serialize.js), then loaded by
 * bench/children/load-provider.js once per fresh process.
 *
 * Packs into its own temporary directory with `--ignore-scripts` (`npm run bench` has just built dist/), rather than
 * through tests/helpers/packed.ts, which rebuilds and shares `.tmp/pack` with a test run that may be going on.
 */
export interface ProviderFigures {
  readonly sizeBytes: number;
  readonly deserializeMs: number;
  readonly loadMs: number;
}

const NPM = process.platform === "win32" ? "npm.cmd" : "npm";

/** Inputs for the serialization only: nothing reads these files, and the provider text never holds them. */
const PROGRAM_INPUTS = {
  instanceId: "bench-instance",
  keyParts: [
    { file: "kp1.json", password: "bench-unused" },
    { file: "kp2.json", password: "bench-unused" },
  ],
  signatureKeys: [{ file: "1.sigkey", password: "bench-unused" }],
};

function packAndInstall(root: string): string {
  if (!existsSync(join(REPO, "dist/runtime.js"))) throw new Error("dist/ is missing: run the bench with `npm run bench`, which builds first");
  execFileSync(NPM, ["pack", "--ignore-scripts", "--pack-destination", root, "--silent"], { cwd: REPO, stdio: ["ignore", "ignore", "inherit"] });
  const tgz = readdirSync(root).find((f) => f.endsWith(".tgz"));
  if (!tgz) throw new Error("npm pack produced no tarball");
  const project = join(root, "project");
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "hpcs-bench-project", private: true }));
  execFileSync(NPM, ["install", "--prefer-offline", "--no-audit", "--no-fund", "--legacy-peer-deps", "--silent", join(root, tgz)], { cwd: project, stdio: ["ignore", "ignore", "inherit"] });
  return project;
}

export function measureProvider(loads: number): ProviderFigures {
  const root = mkdtempSync(join(tmpdir(), "hpcs-bench-provider-"));
  try {
    const project = packAndInstall(root);
    const serialized = execFileSync(process.execPath, [join(REPO, "tests/provider/children/serialize.js")], {
      cwd: project,
      env: { ...process.env, PULUMI_SDK, MASTERKEY_INPUTS: JSON.stringify(PROGRAM_INPUTS) },
      encoding: "utf8",
    });
    const { provider } = JSON.parse(serialized) as { provider: string };
    const providerFile = join(root, "provider.json");
    writeFileSync(providerFile, serialized);
    const timings = Array.from({ length: loads }, () => {
      const out = execFileSync(process.execPath, [join(__dirname, "children/load-provider.js")], { cwd: project, env: { ...process.env, PROVIDER_FILE: providerFile }, encoding: "utf8" });
      return JSON.parse(out) as { deserializeMs: number; loadMs: number };
    });
    return {
      sizeBytes: Buffer.byteLength(provider, "utf8"),
      deserializeMs: median(timings.map((t) => t.deserializeMs)),
      loadMs: median(timings.map((t) => t.loadMs)),
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
