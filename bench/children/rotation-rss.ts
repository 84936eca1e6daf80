import { readFileSync } from "node:fs";
import { openSimulator } from "../../src/backends/simulator";
import { Executor } from "../../src/engine/executor";
import { openSigners, type SignatureKeyRef } from "../../src/files/signature-keys";
import type { Vp } from "../../src/model/vp";
import { CLI_WORDS } from "../../src/cli/shell-words";

/**
 * One full rotation through the Executor (latency 0) in a fresh process, for its peak memory. Reads its job as JSON
 * on stdin (throwaway bench keys: never argv or the environment, which other processes can read) and prints
 * {"outcome", "steps", "rssBeforeMb", "peakRssMb", "typescriptLoaded"} on stdout. The peak is the kernel's maximum
 * resident set size of the whole process (`process.resourceUsage().maxRSS`), so nothing between samples is missed.
 */
export interface RotationJob {
  readonly dir: string;
  readonly instanceId: string;
  readonly targetVp: Vp;
  /** Decrypted key part values, hex. */
  readonly keyParts: readonly { readonly file: string; readonly value: string }[];
  readonly signatureKeys: readonly SignatureKeyRef[];
}

export interface RotationMemory {
  readonly outcome: string;
  readonly steps: number;
  readonly rssBeforeMb: number;
  readonly peakRssMb: number;
  /** True when this process compiled TypeScript itself: its peak then measures the compiler, not the rotation. */
  readonly typescriptLoaded: boolean;
}

async function main(): Promise<void> {
  const job = JSON.parse(readFileSync(0, "utf8")) as RotationJob;
  const rssBeforeMb = process.memoryUsage().rss / 2 ** 20;
  const keyParts = job.keyParts.map((p) => ({ file: p.file, value: new Uint8Array(Buffer.from(p.value, "hex")) }));
  try {
    const signers = openSigners(job.signatureKeys);
    const backend = await openSimulator({ dir: job.dir, instanceId: job.instanceId });
    const result = await new Executor({
      backend,
      desired: { key: { kind: "vp", vp: job.targetVp }, words: CLI_WORDS, signerSkis: signers.keys.map((k) => k.ski) },
      material: { keyParts: { kind: "material", parts: keyParts }, signers },
      owner: "bench",
    }).run();
    const report: RotationMemory = {
      outcome: result.outcome,
      steps: result.steps,
      rssBeforeMb,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      typescriptLoaded: Object.keys(require.cache).some((file) => /[\\/]node_modules[\\/]typescript[\\/]/.test(file)),
    };
    process.stdout.write(JSON.stringify(report));
  } finally {
    keyParts.forEach((p) => p.value.fill(0));
  }
}

// Imported by bench/memory.ts only to put this file in the transpile cache; runs when started as a process.
if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
