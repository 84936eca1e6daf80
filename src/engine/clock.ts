/** Time, injected so tests control it; `plan` never reads a clock. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or as soon as `signal` aborts (so a pending timeout never keeps a process alive). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The time now from an injected source (tests), else the system's: for the key's age and the rotation policy. */
export function dateNow(now?: () => Date): Date {
  return now ? now() : new Date();
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      signal?.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve();
      });
    }),
};
