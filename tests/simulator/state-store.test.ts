import { spawn } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describeSimulatedInstance, editSimulatedInstance, SimulatorStateError } from "../../src/backends/simulator";
import { writeFileAtomic } from "../../src/files/atomic-file";
import { StateStore } from "../../src/backends/simulator/state-store";
import { createSimFixture, type SimFixture } from "../helpers/sim-fixture";
import { rejectionOf } from "../helpers/rejection";

const STALLED_WRITER = join(__dirname, "children", "stalled-writer.ts");
const REGISTER = join(__dirname, "..", "helpers", "register-ts.js");

describe("the simulator's state store", () => {
  let f: SimFixture;
  let store: StateStore;
  beforeEach(async () => {
    f = await createSimFixture({ records: 0 });
    store = new StateStore(f.dir, f.instanceId);
  });
  afterEach(() => f.cleanup());

  test("an atomic write replaces the file and leaves no temporary file behind", () => {
    const file = join(f.root, "atomic.txt");
    writeFileAtomic(file, "one");
    writeFileAtomic(file, "two");
    expect(readFileSync(file, "utf8")).toBe("two");
    expect(readdirSync(f.root).filter((n) => n.startsWith("atomic"))).toEqual(["atomic.txt"]);
  });

  test("concurrent read-modify-writes in one process lose no update", async () => {
    await Promise.all(
      Array.from({ length: 25 }, () =>
        store.update((state) => ({ state: { ...state, units: state.units.map((u, i) => (i === 0 ? { ...u, transactionCounter: u.transactionCounter + 1 } : u)) } })),
      ),
    );
    expect(store.read().units[0].transactionCounter).toBe(25);
  });

  test("an error inside a transaction writes nothing and releases the lock", async () => {
    const before = f.fingerprint();
    await expect(store.update(() => { throw new Error("boom"); })).rejects.toThrow("boom");
    expect(f.fingerprint()).toBe(before);
    await store.update((state) => ({ state }));
  });

  test("an edit that breaks the schema is refused and nothing is written", async () => {
    const before = f.fingerprint();
    await expect(editSimulatedInstance(f.dir, f.instanceId, (s) => ({ ...s, units: [] }))).rejects.toThrow();
    expect(f.fingerprint()).toBe(before);
  });

  test("a register whose stored VP does not match its key is reported as damage", async () => {
    const file = join(f.dir, "instances", f.instanceId, "instance.json");
    const json = JSON.parse(readFileSync(file, "utf8"));
    json.units[0].current.vp = "ab".repeat(32);
    writeFileSync(file, JSON.stringify(json));
    const error = await rejectionOf(f.open());
    expect(error).toBeInstanceOf(SimulatorStateError);
    expect(error.message).toMatch(/is damaged: field units\.0\.current/);
  });

  test("a state file that is not JSON is reported with its path", () => {
    writeFileSync(join(f.dir, "instances", f.instanceId, "instance.json"), "{");
    expect(() => describeSimulatedInstance(f.dir, f.instanceId)).toThrow(/instance\.json is not valid JSON/);
  });

  test("a writer that stalled past the lock's stale time cannot overwrite the newer state of the process that took over", async () => {
    const child = spawn(process.execPath, ["-r", REGISTER, STALLED_WRITER, f.dir, f.instanceId, "7000"], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    const locked = new Promise<void>((resolve) => child.stdout.on("data", (d: Buffer) => ((stdout += d.toString()), stdout.includes("locked") && resolve())));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    await locked;
    // This waits for the stalled child's lock to go stale (5 s), takes it over, and writes a newer state.
    await store.update((state) => ({ state: { ...state, units: state.units.map((u, i) => (i === 1 ? { ...u, selected: !u.selected } : u)) } }));
    expect(await exited).toBe(0);
    expect(stdout).toMatch(/refused: TransientError: simulated instance .* was changed by another process while this one held a stale lock/);
    const units = store.read().units;
    expect([units[0].selected, units[1].selected]).toEqual([true, false]);
  }, 60_000);
});
