import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSimulatedInstance, describeSimulatedInstance } from "../../src/backends/simulator";
import { installEmulator } from "../../src/emulator/ibmcloud/install";
import { Expect } from "./expect";

/**
 * IBM's own runbook, typed into the emulated `ibmcloud` by automation that knows only IBM's documented prompts
 * (research/tke-domain.md §5.1 and §2; research/real-backends.md §2): initialise an instance from imprint mode with
 * key part files (sigkey-add, sigkey-sel, cryptounit-admin-add, cryptounit-thrhld-set, mk-add, cryptounit-mk-load,
 * -commit, -setimm), then zeroize it. Every prompt below is IBM's text, written here, not taken from the emulator;
 * the outcome is judged by the simulated instance's own state.
 */
jest.setTimeout(180_000);

/** A prompt and the line typed at it; `SIGNER` is a signer prompt, answered by the administrator it names. */
type Step = readonly [prompt: string, answer: string] | typeof SIGNER;
const SIGNER = "signer";
const PASSWORDS: Record<string, string> = { ADMIN1: "admin-one-password", ADMIN2: "admin-two-password", part1: "part-one-password", part2: "part-two-password" };

describe("IBM's documented initialisation, typed into the emulator by prompt-driven automation", () => {
  let root: string;
  let env: Record<string, string>;
  let ibmcloud: string;
  let instanceId: string;
  let simDir: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "hpcs-runbook-"));
    simDir = join(root, "sim");
    instanceId = (await createSimulatedInstance(simDir, { shape: { operational: 2, recovery: 0, failover: 0 } })).instanceId;
    const emulator = installEmulator(join(root, "emulator"), simDir);
    ibmcloud = emulator.executable;
    const tkeFiles = join(root, "tkefiles");
    mkdirSync(tkeFiles);
    env = { PATH: process.env.PATH ?? "", IBMCLOUD_HOME: emulator.home, CLOUDTKEFILES: tkeFiles, IBMCLOUD_VERSION_CHECK: "false", TERM: "dumb" };
    writeFileSync(join(root, "apikey"), "runbook-api-key-0123456789abcdef");
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** Runs one command: waits for each prompt and types its answer, then expects `done` and exit status 0. */
  async function run(args: string[], steps: readonly Step[], done: string): Promise<string> {
    const cli = new Expect(ibmcloud, args, env);
    for (const step of steps) {
      if (step === SIGNER) {
        await cli.expect("Enter the password for the signature key identified by:");
        await cli.expect("...)");
        const name = [...cli.transcript.matchAll(/\n(\w+) \([0-9a-f]{30}\.\.\.\)/g)].pop()?.[1] ?? "";
        expect(Object.keys(PASSWORDS)).toContain(name);
        cli.sendLine(PASSWORDS[name]);
      } else {
        await cli.expect(step[0]);
        cli.sendLine(step[1]);
      }
    }
    await cli.expect(done);
    expect(await cli.ended()).toBe(0);
    return cli.transcript;
  }
  const units = () => describeSimulatedInstance(simDir, instanceId).units;

  test("login, list the crypto units and select both", async () => {
    await run(["login", "--apikey", `@${join(root, "apikey")}`, "-r", "us-south", "-g", "default"], [], "OK");
    expect(await run(["tke", "cryptounits"], [], "OPERATIONAL")).toContain(instanceId);
    await run(["tke", "cryptounit-add"], [["Enter a list of CRYPTO UNIT NUM to add, separated by spaces:", "1 2"]], "OK");
  });

  test("sigkey-add creates two administrators' signature keys; sigkey-sel selects both", async () => {
    for (const name of ["ADMIN1", "ADMIN2"]) {
      const steps: Step[] = [
        ["Enter an administrator name to be associated with the signature key:", name],
        ["Enter a password to protect the signature key:", PASSWORDS[name]],
        ["Re-enter the password to confirm:", PASSWORDS[name]],
      ];
      await run(["tke", "sigkey-add"], steps, "A signature key was created.");
    }
    const steps: Step[] = [
      ["Enter the KEYNUM values to select as current signature keys, separated by spaces:", "1 2"],
      ["Enter the password for KEYNUM 1:", PASSWORDS.ADMIN1],
      ["Enter the password for KEYNUM 2:", PASSWORDS.ADMIN2],
    ];
    await run(["tke", "sigkey-sel"], steps, "OK");
  });

  test("cryptounit-admin-add installs both administrators in imprint mode, with no signature", async () => {
    for (const [keynum, name] of [["1", "ADMIN1"], ["2", "ADMIN2"]]) {
      const steps: Step[] = [
        ["Enter the KEYNUM of the administrator signature key you wish to load:", keynum],
        ["Enter the password for the administrator signature key file:", PASSWORDS[name]],
      ];
      await run(["tke", "cryptounit-admin-add"], steps, "The crypto unit administrator was added to the selected crypto units.");
    }
    expect(units().map((u) => u.admins.map((a) => a.name))).toEqual([["ADMIN1", "ADMIN2"], ["ADMIN1", "ADMIN2"]]);
  });

  test("cryptounit-thrhld-set leaves imprint mode, signed by as many administrators as the new threshold", async () => {
    const steps: Step[] = [["Enter the new signature threshold value:", "2"], ["Enter the new revocation signature threshold value:", "2"], SIGNER, SIGNER];
    await run(["tke", "cryptounit-thrhld-set"], steps, "New signature threshold values have been set in the selected crypto units.");
    expect(units().map((u) => u.thresholds)).toEqual([{ signature: 2, revocation: 2 }, { signature: 2, revocation: 2 }]);
  });

  test("two random key parts are loaded, committed and set immediate: every unit's current register holds their key", async () => {
    for (const part of ["part1", "part2"]) {
      const steps: Step[] = [
        ["Enter a description for the key part:", part],
        ["Enter a password to protect the key part:", PASSWORDS[part]],
        ["Re-enter the password to confirm:", PASSWORDS[part]],
      ];
      await run(["tke", "mk-add", "--random"], steps, "A key part was created.");
    }
    const load: Step[] = [
      ["2 or 3 values must be specified, separated by spaces.", "1 2"],
      SIGNER,
      ["Enter the password for key file 1", PASSWORDS.part1],
      ["Enter the password for key file 2", PASSWORDS.part2],
    ];
    await run(["tke", "cryptounit-mk-load"], load, "The new master key register has been loaded in the selected crypto units.");
    await run(["tke", "cryptounit-mk-commit"], [SIGNER, SIGNER], "The new master key register has been committed in the selected crypto units.");
    await run(["tke", "cryptounit-mk-setimm"], [["Answer [y/N]:", "y"], SIGNER], "Set immediate completed successfully in the selected crypto units.");
    const after = units();
    expect(after.every((u) => u.current.status === "Valid" && u.current.vp === after[0].current.vp && u.new.status === "Empty")).toBe(true);
  });

  test("cryptounit-zeroize, confirmed and signed once, returns the units to imprint mode with no administrators and empty registers", async () => {
    await run(["tke", "cryptounit-zeroize"], [["Are you sure you want to zeroize the selected crypto units?", "y"], SIGNER], "OK");
    for (const u of units()) {
      expect(u).toMatchObject({ admins: [], thresholds: { signature: 0, revocation: 0 }, current: { status: "Empty" }, new: { status: "Empty" } });
    }
    expect(await run(["tke", "cryptounit-thrhlds"], [], "IMPRINT MODE")).toContain("SIGNATURE THRESHOLDS");
  });
});
