import { readFileSync } from "node:fs";
import { armFault, describeSimulatedInstance, verifyKeyStorage } from "../../src/backends/simulator";
import { endpointsFor, openTkeApi, TKE_API_CAPABILITIES, type TkeApiBackend } from "../../src/backends/tke-api";
import { startTkeApiEmulator, type TkeApiEmulator } from "../../src/emulator/tke-api/server";
import { Executor } from "../../src/engine/executor";
import type { Backend, KeyParts } from "../../src/engine/port/backend";
import { openSigners } from "../../src/files/signature-keys";
import type { TrustAnchor } from "../../src/protocol/ibm-roots";
import { beforeFirstCommit, replacePendingKey } from "../helpers/operator";
import { createTkeFixture, type TkeFixture } from "../helpers/tke-fixture";
import { CLI_WORDS } from "../../src/cli/shell-words";

/**
 * `tke-api+cli`: reads, commit and set immediate over the TKE API (the emulator), load and rotate through IBM's TKE CLI
 * plug-in (the ibmcloud emulator), both in front of the same simulated instance. Judged by what the units hold and
 * whether every key storage record is still readable.
 */
jest.setTimeout(120_000);

let f: TkeFixture;
let api: TkeApiEmulator;

beforeEach(async () => {
  f = await createTkeFixture({ shape: { operational: 2, recovery: 0, failover: 2 }, records: 12, chunkSize: 4 });
  api = await startTkeApiEmulator({ simDir: f.sim.dir, apiKey: f.apiKey });
});

afterEach(async () => {
  await api.close();
  f.cleanup();
});

/** Everything the API backend sent: each request's URL, headers and body (the IAM form, which carries the key by design, excepted). */
const traffic: string[] = [];
const recordingFetch = (async (input: string | URL | Request, init?: RequestInit) => {
  const url = String(input);
  traffic.push(`${url} ${JSON.stringify(init?.headers ?? {})} ${url.endsWith("/identity/token") ? "(IAM form)" : String(init?.body ?? "")}`);
  return fetch(input, init);
}) as typeof fetch;

async function openCombined(): Promise<TkeApiBackend> {
  return openTkeApi({
    fetch: recordingFetch,
    instanceId: f.sim.instanceId,
    region: "us-south",
    endpoints: endpointsFor({ region: "us-south", visibility: "public", testEndpoint: api.url }),
    apiKey: f.apiKey,
    anchors: JSON.parse(readFileSync(api.rootsFile, "utf8")) as TrustAnchor[],
    cli: await f.open(),
  });
}

async function run(backend: Backend, keyParts: KeyParts & { kind: "files" }) {
  const signers = openSigners(f.sim.admins.map((a) => ({ file: a.file, password: a.password })));
  try {
    return await new Executor({
      backend,
      desired: { key: { kind: "files", ids: keyParts.files.map((p) => p.sha256) }, words: CLI_WORDS, signerSkis: signers.keys.map((k) => k.ski) },
      material: { keyParts, signers },
      retries: 2,
    }).run();
  } finally {
    await backend.close?.();
  }
}

const cliCommands = () => f.transcripts.map((t) => t.command.replace(/^ibmcloud tke /, ""));

test("a rotation: the CLI loads and rotates, the API commits; the units end on the new key and every record reads", async () => {
  const backend = await openCombined();
  expect(backend.capabilities).toEqual(TKE_API_CAPABILITIES);
  const result = await run(backend, f.ibmKeyParts.files);
  expect(result).toMatchObject({ outcome: "done", phase: { name: "Active", currentVp: f.ibmKeyParts.vp } });
  expect(cliCommands()).toEqual(expect.arrayContaining(["cryptounit-mk-load", "cryptounit-mk-rotate"]));
  expect(cliCommands()).not.toContain("cryptounit-mk-commit");
  expect(api.requests.some((r) => r.route === "unit")).toBe(true);
  expect((await verifyKeyStorage(f.sim.dir, f.sim.instanceId)).byVp).toEqual({ [f.ibmKeyParts.vp]: 12 });
});

test("the plug-in dies after the marker and one promotion: the API's set immediate, bound to the VP in the HSM, repairs the rest", async () => {
  await armFault(f.sim.dir, f.sim.instanceId, { kind: "crashInRotate", promoted: 1 });
  const result = await run(await openCombined(), f.ibmKeyParts.files);
  expect(result).toMatchObject({ outcome: "done", phase: { currentVp: f.ibmKeyParts.vp } });
  expect(cliCommands()).not.toContain("cryptounit-mk-setimm");
  expect(describeSimulatedInstance(f.sim.dir, f.sim.instanceId).units.every((u) => u.current.vp === f.ibmKeyParts.vp && u.new.status === "Empty")).toBe(true);
  expect((await verifyKeyStorage(f.sim.dir, f.sim.instanceId)).problems).toEqual([]);
});

test("another person replaces a pending key between the observation and the commit: the HSM refuses the commit, and nothing is lost", async () => {
  const backend = await openCombined();
  let foreign = "";
  const interfering = beforeFirstCommit(backend, async () => (foreign = await replacePendingKey(f.sim.dir, f.sim.instanceId)));
  const result = await run(interfering, f.ibmKeyParts.files).catch((error: Error) => error);
  const commit = "journal" in result ? result.journal?.steps.find((s) => s.action === "commitNew" && s.outcome === "failed") : undefined;
  expect(commit?.message ?? String(result)).toMatch(/Return code: 101, reason code: 48/);
  const units = describeSimulatedInstance(f.sim.dir, f.sim.instanceId).units;
  expect(units[0].new).toMatchObject({ status: "Full Uncommitted", vp: foreign });
  expect(units.every((u) => u.current.vp === f.sim.keyParts[0].vp)).toBe(true);
  expect((await verifyKeyStorage(f.sim.dir, f.sim.instanceId)).problems).toEqual([]);
});

test("no secret reaches the transcripts or any request the API backend sends (outside IAM's form)", async () => {
  traffic.length = 0;
  await run(await openCombined(), f.ibmKeyParts.files);
  expect(traffic.length).toBeGreaterThan(10);
  const everything = [...f.transcripts.map((t) => `${t.command}\n${t.text}`), ...traffic].join("\n");
  expect(f.secrets().filter((s) => everything.includes(s))).toEqual([]);
});
