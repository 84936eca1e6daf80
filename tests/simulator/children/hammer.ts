/**
 * A child process for the multi-process tests: many small read-modify-writes on one simulated instance.
 * argv[2] is a JSON HammerJob. Prints one JSON line with what it did. Crash faults kill it for real (SIGKILL).
 */
import { armFault, openSimulator } from "../../../src/backends/simulator";
import { openKeyParts } from "../../../src/files/key-parts";
import { openSigners } from "../../../src/files/signature-keys";
import type { HammerJob } from "./hammer-job";

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]) as HammerJob;
  const backend = await openSimulator({ dir: job.dir, instanceId: job.instanceId });
  const signers = openSigners(job.signatureKeys);
  const parts = openKeyParts(job.keyParts);
  let commands = 0;
  for (let i = 0; i < job.iterations; i++) {
    if (job.armFaults) {
      await armFault(job.dir, job.instanceId, { kind: "transient", command: "rewrapStatus", unit: `never-${job.unit}-${i}` });
      commands++;
    }
    await backend.deselect([job.unit]);
    await backend.select([job.unit]);
    await backend.loadNew({ units: [job.unit], keyParts: { kind: "material", parts: parts.parts }, expectedVp: parts.vp }, signers);
    await backend.clearNew({ units: [job.unit], expectedVp: parts.vp }, signers);
    commands += 4;
  }
  parts.close();
  process.stdout.write(`${JSON.stringify({ unit: job.unit, commands })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
  process.exit(1);
});
