import { Ep11Error, TransientError } from "../../src/engine/port/errors";
import type { Clock } from "../../src/engine/clock";
import { Executor, ExecutionError, LoadedKeyMismatchError, type ExecutorOptions } from "../../src/engine/executor";
import type { Backend, GenerateNewRequest, GenerateOptions, Signers } from "../../src/engine/port/backend";
import { createSimFixture } from "../helpers/sim-fixture";
import type { Journal } from "../../src/engine/journal";
import type { ProgressEvent } from "../../src/engine/progress";
import { fakeBackend } from "../helpers/fake-backend";
import { DEFAULT_CAPABILITIES } from "../../src/engine/port/capabilities";
import { DESIRED, obs, unit, VP } from "./observations";
import { CLI_WORDS } from "../../src/cli/shell-words";

const { X, D } = VP;

/** A clock under the test's control: back-off sleeps return at once and advance time; timeouts fire only when told. */
function testClock(): Clock & { advance(ms: number): void } {
  let now = 0;
  const timers: { at: number; fire: () => void }[] = [];
  return {
    now: () => now,
    sleep: (ms, signal) =>
      new Promise((resolve) => {
        if (!signal) {
          now += ms;
          return resolve();
        }
        timers.push({ at: now + ms, fire: resolve });
        signal.addEventListener("abort", () => resolve());
      }),
    advance(ms) {
      now += ms;
      for (const t of timers.filter((t) => t.at <= now)) t.fire();
    },
  };
}

const active = () => obs([unit("u1", X, "-"), unit("u2", X, "-")]);

function executor(backend: ExecutorOptions["backend"], more: Partial<ExecutorOptions> = {}) {
  const events: ProgressEvent[] = [];
  const persisted: Journal[] = [];
  const run = new Executor({
    backend,
    desired: DESIRED,
    material: { keyParts: { kind: "material", parts: [] }, signers: { keys: [] } },
    clock: testClock(),
    newRotationId: () => "rot-test",
    onProgress: (e) => events.push(e),
    persist: (j) => void persisted.push(j),
    ...more,
  });
  return { run, events, persisted };
}

describe("the executor", () => {
  test("rotates an Active instance through load, commit, rewrap and set immediate, the rewrap proving itself in the journal", async () => {
    const backend = fakeBackend(active());
    const { run, events } = executor(backend);
    const result = await run.run();
    expect(result.outcome).toBe("done");
    expect(events.filter((e) => e.type === "step").map((e) => (e as { action: string }).action)).toEqual(["loadNew", "commitNew", "rewrap", "setImmediate"]);
    expect(backend.state.units.every((u) => u.current.vp === D && u.new.status === "Empty")).toBe(true);
    expect(result.journal).toMatchObject({ rotationId: "rot-test", fromVp: X, targetVp: D, rewrapProof: { vp: D, source: "rewrap" } });
    expect(result.journal?.completedAt).not.toBeNull();
  });

  test("persists the journal with the step started before the backend is called, and its outcome after", async () => {
    const order: string[] = [];
    const backend = fakeBackend(active());
    const load = backend.loadNew.bind(backend);
    backend.loadNew = async (r, s) => {
      order.push("loadNew");
      return load(r, s);
    };
    const { run } = executor(backend, {
      persist: (j) => void order.push(`persist ${j.steps[j.steps.length - 1].action} ${j.steps[j.steps.length - 1].outcome}`),
    });
    await run.run();
    expect(order.slice(0, 4)).toEqual(["persist loadNew started", "loadNew", "persist loadNew ok", "persist commitNew started"]);
  });

  test("sends a command to every unit it is for in one call (TKE commands act on the selected set)", async () => {
    const calls: (readonly string[])[] = [];
    const backend = fakeBackend(active());
    const load = backend.loadNew.bind(backend);
    backend.loadNew = async (r, s) => {
      calls.push(r.units);
      return load(r, s);
    };
    await executor(backend).run.run();
    expect(calls).toEqual([["u1", "u2"]]);
  });

  test("a combined rotate's marker is journaled at once; a journal that cannot be written then fails the step, not the process", async () => {
    const combined = () => {
      const backend = fakeBackend(active(), { capabilities: { ...DEFAULT_CAPABILITIES, rotation: "combined" } });
      const rotate = backend.rotate.bind(backend);
      backend.rotate = async (vp, s, options) => {
        options?.onMarker?.();
        // The command goes on promoting while the marker is being persisted.
        await new Promise((resolve) => setTimeout(resolve, 5));
        return rotate(vp, s, options);
      };
      return backend;
    };
    const journals: Journal[] = [];
    await executor(combined(), { persist: (j) => void journals.push(j) }).run.run();
    expect(journals.find((j) => j.rewrapProof?.source === "marker")?.steps.at(-1)).toMatchObject({ action: "rotate", outcome: "started" });

    const persisted: Journal[] = [];
    const diskFull = (j: Journal) => {
      if (j.rewrapProof?.source === "marker") throw new Error("ENOSPC: no space left on device");
      persisted.push(j);
    };
    const error = await executor(combined(), { persist: diskFull }).run.run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExecutionError);
    expect((error as Error).message).toContain("ENOSPC");
    expect(persisted.at(-1)?.steps.at(-1)).toMatchObject({ action: "rotate", outcome: "failed" });
  });

  test("retries a transient error after re-observing, and reports the retry", async () => {
    const boom = new TransientError("boom");
    let failures = 1;
    const backend = fakeBackend(active());
    const commit = backend.commitNew.bind(backend);
    backend.commitNew = async (c, s) => {
      if (c.units.includes("u1") && failures-- > 0) throw boom;
      return commit(c, s);
    };
    const { run, events } = executor(backend);
    expect((await run.run()).outcome).toBe("done");
    expect(events.filter((e) => e.type === "retry")).toEqual([expect.objectContaining({ attempt: 1, message: "boom", delayMs: 200 })]);
  });

  test("gives up after the allowed consecutive transient errors, keeping the cause", async () => {
    const boom = new TransientError("boom");
    const backend = fakeBackend(active(), { rewrap: async () => Promise.reject(boom) });
    const error = await executor(backend, { retries: 2 }).run.run().catch((e) => e);
    expect(error).toBeInstanceOf(ExecutionError);
    expect(error.cause).toBe(boom);
    expect(error.journal.steps.at(-1)).toMatchObject({ action: "rewrap", outcome: "failed", message: "boom" });
  });

  test("stops at once on an EP11 error and carries the journal for partial state", async () => {
    const rejected = new Ep11Error("u2", 3, undefined, "Not enough signatures were provided on the command.");
    const backend = fakeBackend(active(), { commitNew: async () => Promise.reject(rejected) });
    const { run, persisted } = executor(backend);
    const error = await run.run().catch((e) => e);
    expect(error).toBeInstanceOf(ExecutionError);
    expect(error.cause).toBe(rejected);
    expect(error.message).toContain("Not enough signatures");
    expect(persisted.at(-1)?.steps.map((s) => `${s.action}:${s.outcome}`)).toEqual(["loadNew:ok", "commitNew:failed"]);
  });

  test("enforces its own step deadline (Pulumi gives dynamic providers none)", async () => {
    const clock = testClock();
    const backend = fakeBackend(active(), { rewrap: () => new Promise(() => setTimeout(() => clock.advance(60_000), 0)) });
    const error = await executor(backend, { clock, stepTimeoutMs: 30_000 }).run.run().catch((e) => e);
    expect(error).toBeInstanceOf(ExecutionError);
    expect(error.message).toMatch(/could not rewrap on .* within 30 s; the call may still complete: run again to resume/);
  });

  test("a refusal makes no mutating call", async () => {
    const diverged = obs([unit("u1", X, "-"), unit("u2", VP.T, "-")]);
    const backend = fakeBackend(diverged, {}, ["select", "deselect", "loadNew", "commitNew", "clearNew", "rewrap", "setImmediate"]);
    const result = await executor(backend).run.run();
    expect(result.outcome).toBe("refused");
    expect(result.refusal?.code).toBe("Diverged");
    expect(result.steps).toBe(0);
  });

  test("releases the lease however the run ends", async () => {
    const released: string[] = [];
    const backend = fakeBackend(active(), {
      acquireLease: async (owner) => ({ renew: async () => undefined, release: async () => void released.push(owner) }),
      rewrap: async () => Promise.reject(new Ep11Error("u1", 3, undefined, "Operation not allowed in imprint mode.")),
    });
    await executor(backend, { owner: "test" }).run.run().catch(() => undefined);
    expect(released).toEqual(["test"]);
  });

  test("renews the lease before every step, for as long as two of the longest calls plus a margin", async () => {
    const log: string[] = [];
    const backend = fakeBackend(active(), {
      acquireLease: async (owner, ttlMs) => {
        log.push(`acquire ${owner} ${ttlMs}`);
        return { renew: async () => void log.push("renew"), release: async () => void log.push("release") };
      },
    });
    const { run, events } = executor(backend, { owner: "test", stepTimeoutMs: 30_000 });
    await run.run();
    const steps = events.filter((e) => e.type === "step").length;
    expect(log).toEqual(["acquire test 120000", ...Array.from({ length: steps }, () => "renew"), "release"]);
  });

  test("stops when the lease was taken over meanwhile, before the step", async () => {
    const lost = new Error("the lease is held by someone else");
    const backend = fakeBackend(active(), { acquireLease: async () => ({ renew: async () => Promise.reject(lost), release: async () => undefined }) }, ["loadNew"]);
    const error = await executor(backend).run.run().catch((e) => e);
    expect(error.cause).toBe(lost);
  });

  test("aborts a timed-out call's signal, and releases the lease only once the call has settled", async () => {
    const clock = testClock();
    const log: string[] = [];
    let settle: () => void = () => undefined;
    const backend = fakeBackend(active(), {
      acquireLease: async () => ({ renew: async () => undefined, release: async () => void log.push("release") }),
      rewrap: (_vp, _signers, options) =>
        new Promise<void>((resolve) => {
          options?.signal?.addEventListener("abort", () => log.push(`aborted: ${(options.signal?.reason as Error).name}`));
          settle = () => {
            log.push("rewrap settled");
            resolve();
          };
          setTimeout(() => clock.advance(60_000), 0);
        }),
    });
    const ended = executor(backend, { clock, stepTimeoutMs: 30_000, settleMs: 120_000 }).run.run().catch((e) => e);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(log).toEqual(["aborted: DeadlineExceededError"]);
    settle();
    expect(await ended).toBeInstanceOf(ExecutionError);
    expect(log).toEqual(["aborted: DeadlineExceededError", "rewrap settled", "release"]);
  });

  test("keeps the lease (to expire) when an abandoned call does not settle in time", async () => {
    const clock = testClock();
    const log: string[] = [];
    const backend = fakeBackend(active(), {
      acquireLease: async () => ({ renew: async () => undefined, release: async () => void log.push("release") }),
      rewrap: () =>
        new Promise<void>(() => {
          setTimeout(() => clock.advance(60_000), 0);
          setTimeout(() => clock.advance(60_000), 10);
        }),
    });
    const error = await executor(backend, { clock, stepTimeoutMs: 30_000, settleMs: 30_000 }).run.run().catch((e) => e);
    expect(error).toBeInstanceOf(ExecutionError);
    expect(log).toEqual([]);
  });

  test("a journal that could not be persisted is never adopted: the run stops before the step, carrying the last one written", async () => {
    const full = Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
    const backend = fakeBackend(active(), {}, ["loadNew"]);
    const error = await executor(backend, { persist: () => Promise.reject(full) }).run.run().catch((e) => e);
    expect(error).toBeInstanceOf(ExecutionError);
    expect(error.cause).toBe(full);
    expect(error.journal).toBeUndefined();
  });
});

describe("a generation in a recovery unit", () => {
  test("a backend that ends with another key than the one it reported before copying fails the step, both keys journaled", async () => {
    const fixture = await createSimFixture({ shape: { operational: 2, recovery: 2, failover: 0 }, records: 4 });
    try {
      const inner = await fixture.open();
      const reported = "c3".repeat(28) + "00000000";
      const lying: Backend = Object.assign(Object.create(inner) as Backend, {
        generateNew: (request: GenerateNewRequest, signers: Signers, options?: GenerateOptions) => inner.generateNew(request, signers, { ...options, onGenerated: async () => options?.onGenerated?.(reported) }),
      });
      const persisted: Journal[] = [];
      const run = new Executor({
        backend: lying,
        desired: { key: { kind: "generated", replacing: fixture.keyParts[0].vp }, words: CLI_WORDS, signerSkis: fixture.admins.map((a) => a.key.ski) },
        material: { keyParts: { kind: "material", parts: [] }, signers: fixture.signers },
        persist: (j) => void persisted.push(j),
        retries: 0,
      }).run();
      const error = (await run.catch((e) => e)) as ExecutionError;
      expect(error.cause).toBeInstanceOf(LoadedKeyMismatchError);
      expect(error.message).toContain(`the generation reported the key ${reported} when the recovery unit made it, but ended with`);
      // The key the registers hold is the generation's; the step's message keeps the one reported first.
      const last = persisted[persisted.length - 1];
      const actual = error.message.match(/but ended with ([0-9a-f]{64})/)?.[1];
      expect(last.generated?.madeVp).toBe(actual);
      expect(last.steps[last.steps.length - 1]).toMatchObject({ action: "generateNew", outcome: "failed", vp: actual, message: expect.stringContaining(reported) });
    } finally {
      fixture.cleanup();
    }
  });
});
