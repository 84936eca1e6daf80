import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSimFixture } from "../tests/helpers/sim-fixture";
import type { RotationJob, RotationMemory } from "./children/rotation-rss";
import { LARGE_SHAPE } from "./rewrap";

/**
 * Peak memory of a full rotation with large key storage: one fresh child process per size
 * (bench/children/rotation-rss.ts), so each peak belongs to that rotation alone. The child runs TypeScript through
 * tests/helpers/register-ts.js; its transpile cache is warmed here first (this process loads the same files), so no
 * child loads the compiler. A child that did anyway fails the bench rather than report the compiler's memory.
 */
const REGISTER = join(__dirname, "../tests/helpers/register-ts.js");
const CHILD = join(__dirname, "children/rotation-rss.ts");

function runChild(job: RotationJob): Promise<RotationMemory> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-r", REGISTER, CHILD], { stdio: ["pipe", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`the rotation child for ${job.instanceId} exited with ${code}`));
      resolve(JSON.parse(stdout) as RotationMemory);
    });
    child.stdin.end(JSON.stringify(job));
  });
}

export async function measureRotationMemory(records: number): Promise<RotationMemory> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded for the transpile cache only (see above)
  require(CHILD);
  const fixture = await createSimFixture({ shape: LARGE_SHAPE, records });
  try {
    const target = fixture.keyParts[1];
    const job: RotationJob = {
      dir: fixture.dir,
      instanceId: fixture.instanceId,
      targetVp: target.vp,
      keyParts: target.values.map((m) => ({ file: m.file, value: Buffer.from(m.value).toString("hex") })),
      signatureKeys: fixture.admins.map((a) => ({ file: a.file, password: a.password })),
    };
    const memory = await runChild(job);
    if (memory.outcome !== "done" || memory.steps === 0) throw new Error(`the ${records}-record rotation ended ${memory.outcome} after ${memory.steps} steps`);
    if (memory.typescriptLoaded) throw new Error(`the rotation child compiled TypeScript itself (is the transpile cache in ${tmpdir()} writable?): its peak would measure the compiler`);
    return memory;
  } finally {
    fixture.cleanup();
  }
}
