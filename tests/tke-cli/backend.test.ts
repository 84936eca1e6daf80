import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { armFault, describeSimulatedInstance, unsafeAnswersFile, verifyKeyStorage } from "../../src/backends/simulator";
import { TkePromptError, TkeSetupError } from "../../src/backends/tke-cli";
import { installPlugin } from "../../src/emulator/ibmcloud/session";
import { Executor } from "../../src/engine/executor";
import type { Journal } from "../../src/engine/journal";
import type { Desired } from "../../src/engine/plan";
import { AuthExpiredError } from "../../src/engine/port/errors";
import { CLI_LIKE_CAPABILITIES } from "../../src/engine/port/capabilities";
import type { KeyParts } from "../../src/engine/port/backend";
import { situationCode } from "../../src/engine/attestation";
import { openSigners } from "../../src/files/signature-keys";
import { createTkeFixture, type TkeFixture } from "../helpers/tke-fixture";
import { CLI_WORDS } from "../../src/cli/shell-words";

/**
 * The TKE CLI backend driving the `ibmcloud` emulator through a real pseudo-terminal: rotations with our own key part
 * files (bridged with mk-add --value) and with IBM's (opened by the plug-in), the marker journaled before promotion,
 * the half-promoted repair, and every refusal of the driver: an unknown prompt, an expired token, a missing plug-in.
 */
jest.setTimeout(120_000);

describe("the TKE CLI backend against the ibmcloud emulator", () => {
  let f: TkeFixture;
  beforeEach(async () => {
    f = await createTkeFixture({ shape: { operational: 2, recovery: 2, failover: 0 }, records: 12, chunkSize: 4 });
  });
  afterEach(() => f.cleanup());

  const signers = () => openSigners(f.sim.admins.map((a) => ({ file: a.file, password: a.password })));
  const run = async (keyParts: KeyParts & { kind: "files" }, options: { journal?: Journal; persist?: (j: Journal) => void; desired?: Partial<Desired>; retries?: number } = {}) => {
    const backend = await f.open();
    const s = signers();
    try {
      return await new Executor({
        backend,
        desired: { key: { kind: "files", ids: keyParts.files.map((p) => p.sha256) }, words: CLI_WORDS, signerSkis: s.keys.map((k) => k.ski), ...options.desired },
        material: { keyParts, signers: s },
        journal: options.journal,
        persist: options.persist,
        retries: options.retries ?? 2,
      }).run();
    } finally {
      await backend.close();
    }
  };
  const everything = () => f.transcripts.map((t) => `${t.command}\n${t.text}`).join("\n");

  test("declares the TKE CLI's shape, names units by location, and reads every unit through cryptounits and cryptounit-compare", async () => {
    const backend = await f.open();
    try {
      expect(backend.capabilities).toEqual(CLI_LIKE_CAPABILITIES);
      expect(backend.identity).toMatch(/^ibm-cloud:Emulated HPCS account \([0-9a-f]{32}\):us-south$/);
      const units = await backend.listUnits();
      expect(units.map((u) => u.id).sort()).toEqual(f.sim.units.map((u) => u.location).sort());
      const status = await backend.queryUnit(units[0].id);
      expect(status).toMatchObject({ selected: true, current: { status: "Valid", vp: f.sim.keyParts[0].vp }, new: { status: "Empty" }, thresholds: { signature: 2, revocation: 2 } });
      expect(status.admins.map((a) => a.ski).sort()).toEqual(f.sim.admins.map((a) => a.key.ski).sort());
      expect(await backend.rewrapStatus()).toEqual({ state: "unknown" });
    } finally {
      await backend.close();
    }
  });

  test("rotates to our own key part files (added with mk-add --value under a one-time password), learning the key from the load", async () => {
    const result = await run(f.sim.keyParts[1].files as KeyParts & { kind: "files" });
    expect(result).toMatchObject({ outcome: "done", phase: { name: "Active", currentVp: f.sim.keyParts[1].vp } });
    expect(result.journal).toMatchObject({ keyParts: { madeVp: f.sim.keyParts[1].vp }, rewrapProof: { vp: f.sim.keyParts[1].vp } });
    expect((await verifyKeyStorage(f.sim.dir, f.sim.instanceId)).byVp).toEqual({ [f.sim.keyParts[1].vp]: 12 });
    const commands = f.transcripts.map((t) => t.command.replace(/ --apikey \S+/, " --apikey @FILE"));
    expect(commands).toContain("ibmcloud tke mk-add --value");
    expect(commands).toContain("ibmcloud tke cryptounit-mk-rotate");
    expect(everything()).toContain("KMS CRK rewrap successful, waiting on cryptounit-mk-setimm.");
    expect(f.secrets().filter((s) => everything().includes(s))).toEqual([]);
  });

  test("rotates to IBM's own key part files, each loaded by the KEYNUM mks shows for it and its own password", async () => {
    const result = await run(f.ibmKeyParts.files);
    expect(result).toMatchObject({ outcome: "done", phase: { name: "Active", currentVp: f.ibmKeyParts.vp } });
    expect(everything()).toMatch(/Enter the password for key file 2\n> \*{8}/);
    expect(f.secrets().filter((s) => everything().includes(s))).toEqual([]);
  });

  test("files that make the current key: the plug-in refuses the load, nothing changes, and the run is done", async () => {
    const before = f.sim.fingerprint();
    const result = await run(f.sim.keyParts[0].files as KeyParts & { kind: "files" });
    expect(result).toMatchObject({ outcome: "done", journal: { keyParts: { madeVp: f.sim.keyParts[0].vp } } });
    expect(f.sim.fingerprint()).toBe(before);
  });

  test("the plug-in dies after the marker and one promotion: the run sees the split, and repairs it from the marker it journaled (cryptounit-rm, then cryptounit-mk-setimm)", async () => {
    await armFault(f.sim.dir, f.sim.instanceId, { kind: "crashInRotate", promoted: 1 });
    const repaired = await run(f.ibmKeyParts.files);
    expect(repaired.journal?.steps.find((s) => s.action === "rotate")).toMatchObject({ outcome: "failed", message: expect.stringContaining("ended before it said OK or FAILED") });
    expect(repaired).toMatchObject({ outcome: "done", phase: { currentVp: f.ibmKeyParts.vp } });
    expect(repaired.journal?.steps.map((s) => s.action)).toEqual(expect.arrayContaining(["deselect", "setImmediate"]));
    expect((await verifyKeyStorage(f.sim.dir, f.sim.instanceId)).problems).toEqual([]);
  });

  test("a run that stopped there leaves the marker in its journal; without it the split is refused, changing nothing, and the attestation the refusal prints repairs it", async () => {
    await armFault(f.sim.dir, f.sim.instanceId, { kind: "crashInRotate", promoted: 1 });
    let journal: Journal | undefined;
    await expect(run(f.ibmKeyParts.files, { persist: (j) => (journal = j), retries: 0 })).rejects.toThrow(/ended before it said OK or FAILED/);
    expect(journal).toMatchObject({ rewrapProof: { source: "marker", vp: f.ibmKeyParts.vp } });
    const before = f.sim.fingerprint();
    const refused = await run(f.ibmKeyParts.files, { desired: { key: { kind: "files", ids: f.ibmKeyParts.ids, expectedVp: f.ibmKeyParts.vp } } });
    expect(refused).toMatchObject({ outcome: "refused", refusal: { code: "RewrapNotProven" } });
    expect(f.sim.fingerprint()).toBe(before);
    const promoted = refused.observation.units.filter((u) => u.current.vp === f.ibmKeyParts.vp).map((u) => u.id);
    const code = situationCode({ instanceId: f.sim.instanceId, targetVp: f.ibmKeyParts.vp, fromVp: f.sim.keyParts[0].vp, promoted });
    const attested = await run(f.ibmKeyParts.files, { desired: { key: { kind: "files", ids: f.ibmKeyParts.ids, expectedVp: f.ibmKeyParts.vp }, rewrapAttestation: { vp: f.ibmKeyParts.vp, code } } });
    expect(attested.outcome).toBe("done");
  });

  /** A key generated in a recovery unit (auto-mk-rotate), as `pulumi up` asks for one: replacing the current key. */
  const generate = async (options: { journal?: Journal; persist?: (j: Journal) => void; retries?: number; replacing?: string } = {}) => {
    const backend = await f.open();
    const s = signers();
    try {
      return await new Executor({
        backend,
        desired: { key: { kind: "generated", replacing: options.replacing ?? f.sim.keyParts[0].vp }, words: CLI_WORDS, signerSkis: s.keys.map((k) => k.ski) },
        material: { keyParts: { kind: "files", files: [] }, signers: s },
        journal: options.journal,
        persist: options.persist,
        retries: options.retries ?? 2,
      }).run();
    } finally {
      await backend.close();
    }
  };

  test("rotates to a key generated in a recovery unit with auto-mk-rotate: both lines journaled as they come, the key read afterwards", async () => {
    const journals: Journal[] = [];
    const result = await generate({ persist: (j) => journals.push(j) });
    const made = result.phase.currentVp as string;
    expect(result).toMatchObject({ outcome: "done", phase: { name: "Active" } });
    expect(made).not.toBe(f.sim.keyParts[0].vp);
    expect((await verifyKeyStorage(f.sim.dir, f.sim.instanceId)).byVp).toEqual({ [made]: 12 });
    expect(journals.some((j) => j.generated?.delayingAt && j.generated.madeVp === null)).toBe(true);
    expect(journals.some((j) => j.generated?.markerAt && j.generated.madeVp === null)).toBe(true);
    expect(result.journal).toMatchObject({ targetVp: made, generated: { madeVp: made }, completedAt: expect.any(String) });
    const text = everything();
    expect(text).toContain("Delaying 30 seconds to allow server to discover new master key values");
    expect(text).toContain("Transferring the master key value to 3 of 3 crypto units....");
    expect(text).toContain("KMS CRK rewrap successful, waiting on cryptounit-mk-setimm");
    expect(f.transcripts.map((t) => t.command)).toContain("ibmcloud tke auto-mk-rotate");
    expect(f.secrets().filter((secret) => text.includes(secret))).toEqual([]);
  });

  test.each([
    { label: "after the Delaying line", fault: { kind: "crash", when: "after", command: "autoRotate" } as const, phase: "Committed", proof: false },
    { label: "after the marker and one promotion", fault: { kind: "crashInRotate", promoted: 1 } as const, phase: "HalfPromoted", proof: true },
  ])("the plug-in dies $label: the journal binds the key the registers name, and the next run finishes it, never auto-mk-rotate again", async ({ fault, phase, proof }) => {
    await armFault(f.sim.dir, f.sim.instanceId, fault);
    let journal: Journal | undefined;
    await expect(generate({ persist: (j) => (journal = j), retries: 0 })).rejects.toThrow();
    expect(journal).toMatchObject({ generated: { madeVp: null, delayingAt: expect.any(String) } });
    expect(journal?.generated?.markerAt ?? null).toEqual(proof ? expect.any(String) : null);
    const stopped = describeSimulatedInstance(f.sim.dir, f.sim.instanceId).units;
    const generated = stopped.find((u) => u.new.status !== "Empty")?.new.vp as string;
    const resumed = await generate({ journal });
    expect(resumed).toMatchObject({ outcome: "done", phase: { name: "Active", currentVp: generated } });
    const actions = resumed.journal?.steps.map((s) => s.action) ?? [];
    expect(actions.filter((a) => a === "autoRotate")).toHaveLength(1);
    expect(actions).toContain(phase === "Committed" ? "rotate" : "setImmediate");
    expect((await verifyKeyStorage(f.sim.dir, f.sim.instanceId)).byVp).toEqual({ [generated]: 12 });
  });

  test("a prompt the driver does not know stops the command unanswered (no y), and the run fails changing nothing", async () => {
    await armFault(f.sim.dir, f.sim.instanceId, { kind: "unexpectedPrompt", command: "loadNew" });
    const registers = () => JSON.stringify(describeSimulatedInstance(f.sim.dir, f.sim.instanceId).units);
    const before = registers();
    const error = await run(f.ibmKeyParts.files).catch((e: Error) => e);
    expect((error as { cause?: unknown }).cause).toBeInstanceOf(TkePromptError);
    expect((error as Error).message).toContain("Do you want to delete all key storage?");
    expect(existsSync(unsafeAnswersFile(f.sim.dir))).toBe(false);
    expect(registers()).toBe(before);
  });

  test("an expired token is IBM's 401 text, surfaced as AuthExpiredError", async () => {
    await armFault(f.sim.dir, f.sim.instanceId, { kind: "authExpired", command: "commitNew" });
    const error = await run(f.ibmKeyParts.files).catch((e: Error) => e);
    expect((error as { cause?: unknown }).cause).toBeInstanceOf(AuthExpiredError);
  });

  test("a home without the tke plug-in is refused before anything else, naming what to do", async () => {
    rmSync(join(f.emulator.home, ".bluemix", "plugins", "tke"), { recursive: true });
    await expect(f.open()).rejects.toThrow(TkeSetupError);
    await expect(f.open()).rejects.toThrow(/ibmcloud plugin install tke/);
  });

  test("a plug-in version nobody pinned the prompt table for is refused before any tke command, naming the table", async () => {
    installPlugin(f.emulator.home, "tke", { name: "tke", version: "2.0.1" });
    await expect(f.open()).rejects.toThrow(/version 2\.0\.1, for which this driver's prompt table .* has not been validated; it refuses rather than guess/);
    expect(f.transcripts.map((t) => t.command).filter((c) => c.startsWith("ibmcloud tke"))).toEqual([]);
  });

  test("no secret reaches a child's argv or environment: the environment is an allow-list, the API key goes through a 0600 file", async () => {
    const environment = { PATH: process.env.PATH, IBMCLOUD_API_KEY: f.apiKey, HTTPS_PROXY: "http://proxy.example:3128", SOME_TOKEN: "do-not-pass" };
    await run(f.ibmKeyParts.files, {});
    const backend = await f.open({ environment });
    await backend.close();
    const started = JSON.stringify(f.children);
    expect(f.secrets().filter((secret) => started.includes(secret))).toEqual([]);
    const env = f.children[f.children.length - 1].env;
    expect(env).toMatchObject({ HTTPS_PROXY: "http://proxy.example:3128", IBMCLOUD_VERSION_CHECK: "false", IBMCLOUD_COLOR: "false" });
    expect(Object.keys(env)).not.toContain("IBMCLOUD_API_KEY");
    expect(Object.keys(env)).not.toContain("SOME_TOKEN");
  });
});
