import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** The repository root, and the @pulumi/pulumi the tests use (the dev dependency). */
export const REPO = resolve(__dirname, "../..");
export const PULUMI_SDK = join(REPO, "node_modules/@pulumi/pulumi");

const NPM = process.platform === "win32" ? "npm.cmd" : "npm";

/**
 * packPackage — `npm pack` of the package as users get it, from the dist/ the caller built (Jest's globalSetup, or the e2e script), into `.tmp/pack-<pid>` (one per test process, so parallel workers never share a directory). Packed once per
 * process; returns the tarball's path.
 */
let packed: string | undefined;
export function packPackage(): string {
  if (packed) return packed;
  const dir = join(REPO, ".tmp", `pack-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync(NPM, ["pack", "--ignore-scripts", "--pack-destination", dir, "--silent"], { cwd: REPO, stdio: ["ignore", "ignore", "inherit"] });
  const tgz = readdirSync(dir).find((f) => f.endsWith(".tgz"));
  if (!tgz) throw new Error("npm pack produced no tarball");
  packed = join(dir, tgz);
  return packed;
}

/**
 * installPacked — a project directory with the packed package installed by npm, as a user's Pulumi project would
 * have it. Peer dependencies are not installed (the caller brings @pulumi/pulumi); the rest comes from npm's cache
 * when it can.
 */
export function installPacked(projectDir: string, extra: readonly string[] = []): void {
  mkdirSync(projectDir, { recursive: true });
  writeFileSync(join(projectDir, "package.json"), JSON.stringify({ name: "hpcs-test-project", private: true }));
  execFileSync(NPM, ["install", "--prefer-offline", "--no-audit", "--no-fund", "--legacy-peer-deps", "--silent", packPackage(), ...extra], {
    cwd: projectDir,
    stdio: ["ignore", "ignore", "inherit"],
  });
}
