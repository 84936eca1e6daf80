import type { Clock } from "../../src/engine/clock";

/** A clock that never waits: back-off sleeps end at once; step timeouts (sleeps given a signal) never fire. */
export function instantClock(): Clock {
  let now = 0;
  return {
    now: () => (now += 1),
    sleep: (_ms, signal) => (signal ? new Promise((resolve) => signal.addEventListener("abort", () => resolve())) : Promise.resolve()),
  };
}
