/**
 * A child process that takes the instance lock, says so on stdout, then stalls with its event loop blocked (as a
 * process stopped by the OS or a long synchronous step would) for argv[4] ms, and only then tries to write: by then
 * another process has taken the stale lock over and written a newer state. argv[2] is the simulator directory,
 * argv[3] the instance id. Prints the outcome of the late write.
 */
import { StateStore } from "../../../src/backends/simulator/state-store";

async function main(): Promise<void> {
  const store = new StateStore(process.argv[2], process.argv[3]);
  const stallMs = Number(process.argv[4]);
  await store.transact((tx) => {
    process.stdout.write("locked\n");
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, stallMs);
    try {
      tx.write({ ...tx.state, units: tx.state.units.map((u, i) => (i === 0 ? { ...u, selected: !u.selected } : u)) });
      process.stdout.write("wrote\n");
    } catch (error) {
      process.stdout.write(`refused: ${(error as Error).name}: ${(error as Error).message}\n`);
    }
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
  process.exit(1);
});
