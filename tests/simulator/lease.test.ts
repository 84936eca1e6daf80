import { LeaseHeldError } from "../../src/engine/port/errors";
import { spawnSync } from "node:child_process";
import { describeSimulatedInstance, editSimulatedInstance } from "../../src/backends/simulator";
import { createSimFixture, type SimFixture } from "../helpers/sim-fixture";
import { rejectionOf } from "../helpers/rejection";

describe("the rotation lease", () => {
  let f: SimFixture;
  let now: number;
  const clock = () => now;
  beforeEach(async () => {
    f = await createSimFixture({ records: 0 });
    now = Date.parse("2026-01-01T00:00:00Z");
  });
  afterEach(() => f.cleanup());

  test("a second owner is refused while the lease is held, with the holder and expiry in the error", async () => {
    await (await f.open({ clock })).acquireLease("rotation-a", 60_000);
    const error = await rejectionOf((await f.open({ clock })).acquireLease("rotation-b", 60_000));
    expect(error).toBeInstanceOf(LeaseHeldError);
    expect(error).toMatchObject({ holder: { kind: "thisProcess", owner: "rotation-a" } });
    expect((error as Error).message).toBe(
      "another rotation in this same process (rotation-a) holds this instance: one rotation per instance at a time; declare each instance once (one MasterKey per instance), or run again once it has finished",
    );
  });

  test("a released lease can be taken by another owner", async () => {
    const lease = await (await f.open({ clock })).acquireLease("rotation-a", 60_000);
    await lease.release();
    await (await f.open({ clock })).acquireLease("rotation-b", 60_000);
    expect(describeSimulatedInstance(f.dir, f.instanceId).lease?.owner).toBe("rotation-b");
  });

  test("an expired lease can be taken over", async () => {
    await (await f.open({ clock })).acquireLease("rotation-a", 60_000);
    now += 60_001;
    await (await f.open({ clock })).acquireLease("rotation-b", 60_000);
    expect(describeSimulatedInstance(f.dir, f.instanceId).lease?.owner).toBe("rotation-b");
  });

  test("a lease held by a process of this host that no longer exists is taken over at once (a SIGKILLed rotation)", async () => {
    const dead = spawnSync(process.execPath, ["-e", "process.exit(0)"]).pid as number;
    await (await f.open({ clock })).acquireLease("rotation-a", 60_000);
    await editSimulatedInstance(f.dir, f.instanceId, (state) => ({ ...state, lease: state.lease && { ...state.lease, pid: dead } }));
    await (await f.open({ clock })).acquireLease("rotation-b", 60_000);
    expect(describeSimulatedInstance(f.dir, f.instanceId).lease?.owner).toBe("rotation-b");
  });

  test("a lease held by a live process elsewhere on this host is respected", async () => {
    await (await f.open({ clock })).acquireLease("rotation-a", 60_000);
    await editSimulatedInstance(f.dir, f.instanceId, (state) => ({ ...state, lease: state.lease && { ...state.lease, pid: process.ppid } }));
    const error = await rejectionOf((await f.open({ clock })).acquireLease("rotation-b", 60_000));
    expect(error).toBeInstanceOf(LeaseHeldError);
    expect((error as Error).message).toBe(
      `another rotation (rotation-a) holds this instance, and its process ${process.ppid} is still running on this host: wait for it to finish. If it hangs, stop that process; the next run then takes its lease over at once (otherwise the lease runs until 2026-01-01T00:01:00.000Z)`,
    );
  });

  test("the holder renews its own lease; a second acquisition under the same owner name is refused while it lives", async () => {
    const backend = await f.open({ clock });
    const lease = await backend.acquireLease("rotation-a", 1_000);
    now += 500;
    await lease.renew();
    expect(describeSimulatedInstance(f.dir, f.instanceId).lease).toEqual({ owner: "rotation-a", expiresAt: "2026-01-01T00:00:01.500Z" });
    expect(await rejectionOf(backend.acquireLease("rotation-a", 1_000))).toBeInstanceOf(LeaseHeldError);
  });

  test("a holder whose lease expired and was taken over cannot renew it", async () => {
    const stale = await (await f.open({ clock })).acquireLease("rotation-a", 1_000);
    now += 2_000;
    await (await f.open({ clock })).acquireLease("rotation-b", 60_000);
    const error = await rejectionOf(stale.renew());
    expect(error).toBeInstanceOf(LeaseHeldError);
    expect((error as Error).message).toBe("this run's lease on the instance was taken over (it is now held by rotation-b), so this run stopped: two rotations never act at once. Run again once the other one has finished");
    expect(describeSimulatedInstance(f.dir, f.instanceId).lease?.owner).toBe("rotation-b");
  });

  test("a lease held on another host is respected until it expires, and the message says its liveness cannot be seen", async () => {
    await (await f.open({ clock })).acquireLease("rotation-a", 60_000);
    await editSimulatedInstance(f.dir, f.instanceId, (state) => ({ ...state, lease: state.lease && { ...state.lease, host: "build-agent-7" } }));
    const error = await rejectionOf((await f.open({ clock })).acquireLease("rotation-b", 60_000));
    expect((error as Error).message).toBe(
      "another rotation (rotation-a on host build-agent-7) holds this instance's lease until 2026-01-01T00:01:00.000Z: wait for it to finish. Whether that process still runs cannot be seen from this host; if it died, the lease is free at 2026-01-01T00:01:00.000Z",
    );
  });

  test("a stale holder's release does not drop the lease of the owner who took over", async () => {
    const stale = await (await f.open({ clock })).acquireLease("rotation-a", 1_000);
    now += 2_000;
    await (await f.open({ clock })).acquireLease("rotation-b", 60_000);
    await stale.release();
    expect(describeSimulatedInstance(f.dir, f.instanceId).lease?.owner).toBe("rotation-b");
  });

  test.each([
    { owner: "", ttl: 1000, field: "owner" },
    { owner: "x", ttl: 0, field: "ttlMs" },
    { owner: "x", ttl: Number.NaN, field: "ttlMs" },
  ])("owner '$owner' with ttl $ttl is refused on $field", async ({ owner, ttl, field }) => {
    await expect((await f.open({ clock })).acquireLease(owner, ttl)).rejects.toThrow(expect.objectContaining({ field }));
  });
});
