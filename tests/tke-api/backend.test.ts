import { readFileSync } from "node:fs";
import { describeSimulatedInstance } from "../../src/backends/simulator";
import { endpointsFor, openTkeApi, TkeApiBackend, TkeVerificationError } from "../../src/backends/tke-api";
import { AuthExpiredError, Ep11Error, TransientError, UnsupportedCommandError } from "../../src/engine/port/errors";
import { startTkeApiEmulator, type TkeApiEmulator } from "../../src/emulator/tke-api/server";
import { IBM_ROOTS, type TrustAnchor } from "../../src/protocol/ibm-roots";
import { createSimFixture, type SimFixture } from "../helpers/sim-fixture";
import { rejectionOf } from "../helpers/rejection";

/**
 * The TKE API backend against the emulator, judged by the simulated instance's own state (what each unit holds), not by
 * what the backend reports: reads, signed commands bound to the engine's VP in the HSM, and every check refused.
 */
const API_KEY = "test-api-key-7c1f0b6e9d";

let fixture: SimFixture;
let emulator: TkeApiEmulator;

beforeEach(async () => {
  fixture = await createSimFixture({ shape: { operational: 2, recovery: 0, failover: 0 } });
  emulator = await startTkeApiEmulator({ simDir: fixture.dir, apiKey: API_KEY });
});

afterEach(async () => {
  await emulator.close();
  fixture.cleanup();
});

function open(overrides: { anchors?: readonly TrustAnchor[]; apiKey?: string } = {}): TkeApiBackend {
  return openTkeApi({
    instanceId: fixture.instanceId,
    region: "us-south",
    endpoints: endpointsFor({ region: "us-south", visibility: "public", testEndpoint: emulator.url }),
    apiKey: overrides.apiKey ?? API_KEY,
    anchors: overrides.anchors ?? (JSON.parse(readFileSync(emulator.rootsFile, "utf8")) as TrustAnchor[]),
  });
}

/** The simulated units as the simulator holds them, by location. */
function truth() {
  return describeSimulatedInstance(fixture.dir, fixture.instanceId).units.map((u) => ({ location: u.location, current: u.current, new: u.new, thresholds: u.thresholds, admins: u.admins }));
}

/** An operator loads `set` into every new register with the simulator (the TKE CLI's load). */
async function operatorLoads(set: number): Promise<void> {
  const sim = await fixture.open();
  for (const unit of fixture.unitIds) await sim.loadNew({ units: [unit], keyParts: fixture.keyParts[set].material, expectedVp: fixture.keyParts[set].vp }, fixture.signers);
}

describe("reads", () => {
  test("every unit's registers, thresholds and administrators, as the units hold them", async () => {
    await operatorLoads(1);
    const backend = open();
    const units = await backend.listUnits();
    const statuses = await Promise.all(units.map((u) => backend.queryUnit(u.id)));
    expect(statuses.map((s) => ({ location: s.location, current: s.current, new: s.new, thresholds: s.thresholds, admins: s.admins }))).toEqual(truth());
    expect(statuses.every((s) => s.selected)).toBe(true);
    expect(await backend.rewrapStatus()).toEqual({ state: "unknown" });
  });

  test("after the unit list, an observation asks each unit three questions and nothing else (their depth: npm run bench)", async () => {
    const backend = open();
    const units = await backend.listUnits();
    await Promise.all(units.map((u) => backend.queryUnit(u.id)));
    const before = emulator.requests.length;
    await Promise.all(units.map((u) => backend.queryUnit(u.id)));
    expect(emulator.requests.slice(before).map((r) => r.route)).toEqual(Array(3 * units.length).fill("unit"));
  });
});

describe("signed commands carry the engine's VP", () => {
  test("commit and set immediate through the API promote the loaded key; the units hold it", async () => {
    await operatorLoads(1);
    const backend = open();
    const units = (await backend.listUnits()).map((u) => u.id);
    await backend.commitNew({ units, expectedVp: fixture.keyParts[1].vp }, fixture.signers);
    expect(truth().map((u) => u.new.status)).toEqual(["Full Committed", "Full Committed"]);
    // Idempotent: a repeated call after it took effect succeeds and changes nothing.
    await backend.commitNew({ units, expectedVp: fixture.keyParts[1].vp }, fixture.signers);
    // The instance has key storage: the engine would not promote before the rewrap; here we promote its unit rules only.
    await backend.setImmediate({ units, expectedVp: fixture.keyParts[1].vp }, fixture.signers);
    expect(truth().map((u) => [u.current.vp, u.new.status])).toEqual(units.map(() => [fixture.keyParts[1].vp, "Empty"]));
  });

  test("a register holding another key than the engine's: the HSM refuses the commit (3-101-48) and nothing changes", async () => {
    await operatorLoads(2);
    const backend = open();
    const units = (await backend.listUnits()).map((u) => u.id);
    const before = fixture.fingerprint();
    const error = await rejectionOf(backend.commitNew({ units, expectedVp: fixture.keyParts[1].vp }, fixture.signers));
    expect(error).toBeInstanceOf(Ep11Error);
    expect(error).toMatchObject({ returnCode: 101, reasonCode: 48 });
    expect(error.message).toContain("Commit failed.  The supplied verification pattern of the new master key does not match");
    expect(fixture.fingerprint()).toBe(before);
  });

  test("too few signatures for the commit's threshold: the HSM refuses (3-208)", async () => {
    await operatorLoads(1);
    const backend = open();
    const units = (await backend.listUnits()).map((u) => u.id);
    const error = await rejectionOf(backend.commitNew({ units, expectedVp: fixture.keyParts[1].vp }, { keys: fixture.signers.keys.slice(0, 1) }));
    expect(error).toMatchObject({ returnCode: 208 });
    expect(truth().map((u) => u.new.status)).toEqual(["Full Uncommitted", "Full Uncommitted"]);
  });

  test("clear empties only a register holding the expected key", async () => {
    await operatorLoads(1);
    const backend = open();
    const units = (await backend.listUnits()).map((u) => u.id);
    await expect(backend.clearNew({ units, expectedVp: fixture.keyParts[2].vp }, fixture.signers)).rejects.toThrow(/nothing was cleared/);
    await backend.clearNew({ units, expectedVp: fixture.keyParts[1].vp }, fixture.signers);
    expect(truth().map((u) => u.new.status)).toEqual(["Empty", "Empty"]);
  });

  test("another administrator's command between the read and ours makes ours stale (3-163): nothing is done twice", async () => {
    await operatorLoads(1);
    const backend = open();
    const units = (await backend.listUnits()).map((u) => u.id);
    emulator.arm({ fault: "staleCounter" });
    await expect(backend.commitNew({ units: units.slice(0, 1), expectedVp: fixture.keyParts[1].vp }, fixture.signers)).rejects.toMatchObject({ returnCode: 163 });
    expect(truth()[0].new.status).toBe("Full Uncommitted");
  });

  test("a dropped connection after the command took effect is transient; the retry finds it done", async () => {
    await operatorLoads(1);
    const backend = open();
    const units = (await backend.listUnits()).map((u) => u.id);
    emulator.arm({ fault: "dropAfterCommand" });
    await expect(backend.commitNew({ units: units.slice(0, 1), expectedVp: fixture.keyParts[1].vp }, fixture.signers)).rejects.toBeInstanceOf(TransientError);
    expect(truth()[0].new.status).toBe("Full Committed");
    await backend.commitNew({ units: units.slice(0, 1), expectedVp: fixture.keyParts[1].vp }, fixture.signers);
  });
});

describe("the answer to a command must be verified and bound to it", () => {
  test("a command's answer signed by another key: refused as oa-signature, saying the command may have taken effect", async () => {
    await operatorLoads(1);
    const backend = open();
    const units = (await backend.listUnits()).map((u) => u.id);
    emulator.arm({ fault: "badOaSignature", command: "commit" });
    const error = await rejectionOf(backend.commitNew({ units: units.slice(0, 1), expectedVp: fixture.keyParts[1].vp }, fixture.signers));
    expect(error).toMatchObject({ check: "oa-signature", message: expect.stringContaining("the command may have taken effect") });
    expect(truth()[0].new.status).toBe("Full Committed");
  });

  test("a success that carries another transaction counter (an old answer replayed) is not taken for this command's", async () => {
    await operatorLoads(1);
    const backend = open();
    const units = (await backend.listUnits()).map((u) => u.id);
    emulator.arm({ fault: "replayedAnswer", command: "commit" });
    await expect(backend.commitNew({ units: units.slice(0, 1), expectedVp: fixture.keyParts[1].vp }, fixture.signers)).rejects.toMatchObject({ check: "binding", message: expect.stringMatching(/transaction counter/) });
  });

  test("set immediate with another VP than the committed key's: the HSM refuses it, nothing is promoted", async () => {
    await operatorLoads(1);
    const backend = open();
    const units = (await backend.listUnits()).map((u) => u.id);
    await backend.commitNew({ units, expectedVp: fixture.keyParts[1].vp }, fixture.signers);
    const before = fixture.fingerprint();
    await expect(backend.setImmediate({ units: units.slice(0, 1), expectedVp: fixture.keyParts[2].vp }, fixture.signers)).rejects.toBeInstanceOf(Ep11Error);
    expect(fixture.fingerprint()).toBe(before);
  });
});

describe("verification: a response that fails a check is never used", () => {
  test.each([
    ["badOaSignature", "oa-signature", "after the module is trusted"],
    ["unknownRoot", "oa-chain", "when the module is first seen"],
    ["serialMismatch", "serial", "when the module is first seen"],
  ] as const)("%s is refused by the %s check (%s), naming the unit", async (fault, check, when) => {
    const backend = open();
    if (when === "after the module is trusted") await backend.listUnits();
    emulator.arm({ fault });
    const error = await rejectionOf(backend.listUnits().then((units) => Promise.all(units.map((u) => backend.queryUnit(u.id)))));
    expect(error).toBeInstanceOf(TkeVerificationError);
    expect(error).toMatchObject({ check });
    expect(error.message).toMatch(/crypto unit \[us-south\]\.\[[^\]]+\]\.\[\d{2}\]\.\[\d{2}\]/);
  });

  test("IBM's roots do not trust the emulator's test root", async () => {
    const error = await rejectionOf(open({ anchors: IBM_ROOTS }).listUnits());
    expect(error).toMatchObject({ check: "oa-chain", message: expect.stringContaining("Unrecognized IBM root key in OA certificate chain.") });
  });

  test("a test endpoint must be on this machine: the API key goes to its IAM", () => {
    expect(() => endpointsFor({ region: "us-south", visibility: "public", testEndpoint: "http://tke.example.com:8443" })).toThrow(/must be on this machine/);
    expect(endpointsFor({ region: "us-south", visibility: "private" })).toEqual({ tke: "https://tke.private.us-south.hs-crypto.cloud.ibm.com", iam: "https://private.iam.cloud.ibm.com", test: false });
  });

  test("test roots are refused without a test endpoint", () => {
    expect(() =>
      openTkeApi({ instanceId: "x", region: "us-south", endpoints: endpointsFor({ region: "us-south", visibility: "public" }), apiKey: API_KEY, anchors: [{ name: "test", format: "OA2", ski: "00", x: "00", y: "00" }] }),
    ).toThrow(/only accepted with a test endpoint/);
  });
});

describe("HTTP and IAM", () => {
  test("a 401 is retried once with a fresh token; a second is the typed auth error", async () => {
    const backend = open();
    emulator.arm({ fault: "httpStatus", status: 401, route: "hsms" });
    await expect(backend.listUnits()).resolves.toHaveLength(2);
    emulator.arm({ fault: "httpStatus", status: 401, route: "hsms", times: 2 });
    await expect(backend.listUnits()).rejects.toBeInstanceOf(AuthExpiredError);
  });

  test("500 is transient, 404 names the instance", async () => {
    const backend = open();
    emulator.arm({ fault: "httpStatus", status: 500 });
    await expect(backend.listUnits()).rejects.toBeInstanceOf(TransientError);
    emulator.arm({ fault: "httpStatus", status: 404 });
    await expect(backend.listUnits()).rejects.toThrow(new RegExp(`service instance ${fixture.instanceId} was not found`));
  });

  test("an API key IAM does not know is refused with IAM's words, never echoed", async () => {
    const wrong = "wrong-api-key-0d4e2a91c3";
    const error = await rejectionOf(open({ apiKey: wrong }).listUnits());
    expect(error.message).toContain("Provided API key could not be found.");
    expect(error.message).not.toContain(wrong);
  });
});

describe("alone, it observes: what needs the TKE CLI is refused, naming tke-api+cli", () => {
  test("load and rotate", async () => {
    const backend = open();
    const units = (await backend.listUnits()).map((u) => u.id);
    const before = fixture.fingerprint();
    const load = await rejectionOf(backend.loadNew({ units, expectedVp: undefined, keyParts: fixture.keyParts[1].files }, fixture.signers));
    const rotate = await rejectionOf(backend.rotate(fixture.keyParts[1].vp, fixture.signers));
    for (const error of [load, rotate]) {
      expect(error).toBeInstanceOf(UnsupportedCommandError);
      expect(error.message).toContain("hpcs:backend tke-api+cli");
    }
    expect(fixture.fingerprint()).toBe(before);
  });
});
