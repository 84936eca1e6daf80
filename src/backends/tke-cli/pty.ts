import type { SpawnTerminal } from "./conversation";

/**
 * The pseudo-terminal the plug-in's prompts need, from @lydell/node-pty (prebuilt binaries, no install scripts:
 * research/real-backends.md §7). Loaded only when the TKE CLI backend runs, so nothing else depends on the native
 * module. The terminal is wide enough that no table row is wrapped.
 */
export const spawnPty: SpawnTerminal = (file, args, env) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the native module loads only when this backend runs
  const { spawn } = require("@lydell/node-pty") as typeof import("@lydell/node-pty");
  const child = spawn(file, [...args], { name: "dumb", cols: 400, rows: 60, env });
  return {
    onData: (listener) => void child.onData(listener),
    onExit: (listener) => void child.onExit(listener),
    write: (data) => child.write(data),
    kill: (signal) => {
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
    },
  };
};
