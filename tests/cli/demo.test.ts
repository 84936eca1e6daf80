import { spawn } from "node:child_process";
import { join } from "node:path";

/**
 * The README demo end to end (scripts/demo.js --from-source: the real CLI from src/, no build): it checks every
 * step's exit code and phase itself and exits non-zero on any surprise. It must stay well under a minute.
 */
test("npm run demo: rotates, survives a crash half-way through promotion, repairs, and verifies 1000 records", async () => {
  const started = Date.now();
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, "..", "..", "scripts", "demo.js"), "--from-source"], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("close", (exit) => resolve({ code: exit, stdout: out, stderr: err }));
  });
  expect({ code, tail: stdout.slice(-2000), stderr: code === 0 ? "" : stderr }).toEqual({ code: 0, tail: expect.any(String), stderr: "" });
  const lines = stdout.trimEnd().split("\n");
  expect(lines[lines.length - 1]).toMatch(/^demo: rotated, survived a crash half-way through promotion \(\d of 5 units promoted\), repaired, 1000 records verified$/);
  expect(stdout).toContain("  ✓ phase HalfPromoted: promoted units");
  expect(stdout).toContain("  (the process was killed by SIGKILL)");
  expect(Date.now() - started).toBeLessThan(60_000);
}, 90_000);
