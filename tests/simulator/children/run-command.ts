/**
 * A child process that runs one backend command against a simulated instance with the default crash hook, so an
 * armed crash fault kills it for real (SIGKILL). argv[2] is a JSON HammerJob; argv[3] is "loadNew" or "rewrap".
 */
import { openSimulator } from "../../../src/backends/simulator";
import { openKeyParts } from "../../../src/files/key-parts";
import { openSigners } from "../../../src/files/signature-keys";
import type { HammerJob } from "./hammer-job";

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]) as HammerJob;
  const backend = await openSimulator({ dir: job.dir, instanceId: job.instanceId });
  const signers = openSigners(job.signatureKeys);
  const parts = openKeyParts(job.keyParts);
  if (process.argv[3] === "rewrap") await backend.rewrap(parts.vp, signers);
  else await backend.loadNew({ units: [job.unit], keyParts: { kind: "material", parts: parts.parts }, expectedVp: parts.vp }, signers);
  parts.close();
  process.stdout.write("survived\n");
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
  process.exit(1);
});
