import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import {
  armFault,
  createSimulatedInstance,
  describeSimulatedInstance,
  openSimulator,
  verifyKeyStorage,
  type FaultSpec,
} from "../../src/backends/simulator";
import { masterKeyVp } from "../../src/model/key-parts";
import { sealKeyPart } from "../../src/model/key-part-file";
import { createSignatureKeyFile, openSignatureKey } from "../../src/model/signature-key-file";
import { filesUnder } from "../helpers/files-under";
import { REPO } from "../helpers/packed";
import { E2eProject } from "./harness";

/**
 * npm run e2e — examples/simulator driven by the real Pulumi CLI: rotate on `up`, preview the ceremony, survive
 * SIGKILLs at every stage, resume through partial state, detect drift on `refresh`, leave everything on `destroy`,
 * and never let a secret reach the state or the CLI output. Last line: `e2e: N passed, 0 failed`.
 */
const RECORDS = 300;
const results: { name: string; ok: boolean; detail?: string }[] = [];

let transcript: string[] = [];

async function check(name: string, body: () => Promise<void> | void): Promise<void> {
  const started = Date.now();
  try {
    await body();
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
  } catch (error) {
    results.push({ name, ok: false, detail: (error as Error).message });
    console.log(`FAIL ${name}\n     ${(error as Error).message.split("\n").join("\n     ")}`);
    if (process.env.E2E_VERBOSE) for (const entry of transcript.slice(-3)) console.log(`     --- ${entry.slice(0, 300)}\n     ... ${entry.slice(-1500)}`);
  }
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

interface KeySet {
  readonly files: string[];
  readonly passwords: string[];
  readonly values: Uint8Array[];
  readonly vp: string;
}

async function main(): Promise<number> {
  const bin = execFileSync("bash", [join(REPO, "scripts/pulumi-cli.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim().split("\n").pop() as string;
  const project = new E2eProject(bin);
  transcript = project.transcript;
  console.log(`e2e project in a temporary directory; pulumi: ${project.pulumiOk("version").trim()}`);

  // Key parts (5 master keys, 2 parts each) and two administrators, all with random passwords.
  const keys: KeySet[] = Array.from({ length: 7 }, (_, k) => {
    const values = [0, 1].map(() => new Uint8Array(randomBytes(32)));
    const passwords = values.map(() => randomBytes(12).toString("hex"));
    const files = values.map((value, i) => project.writeFile(`key${k}-part${i + 1}.json`, JSON.stringify(sealKeyPart(value, passwords[i], { description: `key ${k} part ${i + 1}`, cost: { N: 2 ** 14, r: 8, p: 1 } }))));
    return { files, passwords, values, vp: masterKeyVp(values) };
  });
  const adminPasswords = [1, 2].map(() => randomBytes(12).toString("hex"));
  const sealedAdmins = adminPasswords.map((pw) => createSignatureKeyFile(pw));
  const adminFiles = sealedAdmins.map((s, i) => project.writeFile(`${i + 1}.sigkey`, JSON.stringify(s)));
  const signers = { keys: sealedAdmins.map((s, i) => openSignatureKey(s, adminPasswords[i], adminFiles[i])) };

  const instance = await createSimulatedInstance(project.simDir, {
    shape: { operational: 3, recovery: 2, failover: 0 },
    admins: signers.keys.map((k, i) => ({ name: `ADMIN${i + 1}`, publicKey: k.publicKey })),
    thresholds: { signature: 2, revocation: 2 },
    masterKey: { keyPartValues: keys[0].values },
    records: RECORDS,
    chunkSize: 50,
  });
  const id = instance.instanceId;
  const storageUnder = async (vp: string) => {
    const report = await verifyKeyStorage(project.simDir, id);
    assert(report.problems.length === 0, `key storage problems: ${report.problems.join("; ")}`);
    assert(JSON.stringify(report.byVp) === JSON.stringify({ [vp]: RECORDS }), `expected all ${RECORDS} records under ${vp.slice(0, 12)}, found ${JSON.stringify(report.byVp)}`);
  };
  const useKey = (k: number) => {
    keys[k].files.forEach((f, i) => project.pulumiOk("config", "set", "--path", `keyPartFiles[${i}]`, f));
    keys[k].passwords.forEach((p, i) => project.setSecret(`keyPartPasswords[${i}]`, p));
  };
  const phaseOf = () => describeSimulatedInstance(project.simDir, id);

  project.pulumiOk("stack", "init", "dev");
  project.pulumiOk("config", "set", "hpcs:simulatorDir", project.simDir);
  project.pulumiOk("config", "set", "instanceId", id);
  adminFiles.forEach((f, i) => project.pulumiOk("config", "set", "--path", `signatureKeyFiles[${i}]`, f));
  adminPasswords.forEach((p, i) => project.setSecret(`signatureKeyPasswords[${i}]`, p));
  useKey(1);

  await check("1. pulumi up converges a fresh instance (3 operational + 2 recovery units) to the key parts' VP; key storage decrypts", async () => {
    const out = project.pulumiOk("up", "--yes", "--skip-preview");
    assert(/KMS CRK rewrap successful, waiting on cryptounit-mk-setimm\./.test(out), "the up output does not show the rewrap marker");
    const outputs = project.outputs();
    assert(outputs.verificationPattern === keys[1].vp && outputs.phase === "Active", `outputs: ${JSON.stringify({ vp: outputs.verificationPattern, phase: outputs.phase })}`);
    await storageUnder(keys[1].vp);
  });

  await check("2. pulumi preview after changing the key parts shows the update and the planned ceremony; pulumi up rotates", async () => {
    useKey(2);
    const registers = () => JSON.stringify(phaseOf().units.map((u) => [u.current, u.new, u.transactionCounter]));
    const before = registers();
    const preview = project.pulumiOk("preview", "--diff");
    assert(/~ .*MasterKey|update/.test(preview), "the preview does not show an update");
    assert(/planned ceremony for .*\(signature threshold 2, 2 signature keys provided\)/.test(preview), "the preview does not show the planned ceremony");
    assert(/loadNew[\s\S]*commitNew[\s\S]*rewrap[\s\S]*setImmediate/.test(preview), "the ceremony lacks load, commit, rewrap, set immediate");
    assert(registers() === before, "preview changed the instance");
    project.pulumiOk("up", "--yes", "--skip-preview");
    assert(project.outputs().verificationPattern === keys[2].vp, "up did not rotate to the new key");
    await storageUnder(keys[2].vp);
  });

  // Per-unit commands run in parallel, so "crash after the first setImmediate" alone could find more units promoted;
  // the other units answering "unavailable" to that first attempt makes the split exactly one promoted unit.
  const [first, ...others] = phaseOf().units.filter((u) => u.type === "operational").map((u) => u.id);
  const rest = phaseOf().units.filter((u) => u.type !== "operational").map((u) => u.id);
  const kills: { name: string; faults: FaultSpec[]; phase: RegExp }[] = [
    { name: "after load", faults: [{ kind: "crash", when: "after", command: "loadNew", skip: 2 }], phase: /Loading|Loaded/ },
    { name: "after commit", faults: [{ kind: "crash", when: "after", command: "commitNew", skip: 4 }], phase: /Committed/ },
    { name: "mid-rewrap", faults: [{ kind: "crashMidRewrap", afterRecords: 120 }], phase: /Rewrapping/ },
    { name: "after rewrap", faults: [{ kind: "crash", when: "after", command: "rewrap" }], phase: /Rewrapped/ },
    {
      name: "after promoting 1 of 3 operational units",
      faults: [...[...others, ...rest].map((unit): FaultSpec => ({ kind: "unitUnavailable", command: "setImmediate", unit })), { kind: "crash", when: "after", command: "setImmediate", unit: first }],
      phase: /HalfPromoted/,
    },
  ];
  let key = 2;
  for (const kill of kills) {
    await check(`3. SIGKILL ${kill.name}: pulumi refresh shows the drift, pulumi up finishes the rotation, key storage intact`, async () => {
      key++;
      if (key >= keys.length) key = 1;
      useKey(key);
      for (const fault of kill.faults) await armFault(project.simDir, id, fault);
      const killed = project.pulumi("up", "--yes", "--skip-preview");
      assert(killed.code !== 0, "up was not interrupted by the SIGKILL");
      const refreshed = project.pulumi("refresh", "--yes", "--skip-preview", "--diff");
      assert(refreshed.code === 0, `refresh failed: ${refreshed.output.slice(-2000)}`);
      const outputs = project.outputs();
      assert(kill.phase.test(String(outputs.phase)), `refresh recorded phase ${outputs.phase}, expected ${kill.phase}`);
      if (kill.phase.test("HalfPromoted")) {
        const promoted = (outputs.units as { id: string; currentVerificationPattern: string }[]).filter((u) => u.currentVerificationPattern === keys[key].vp).map((u) => u.id);
        assert(JSON.stringify(promoted) === JSON.stringify([first]), `expected exactly unit ${first} promoted, found ${promoted.join(", ")}`);
      }
      assert(/phase/.test(refreshed.output) && /~|update/.test(refreshed.output), "refresh did not show drift");
      project.pulumiOk("up", "--yes", "--skip-preview");
      const after = project.outputs();
      assert(after.verificationPattern === keys[key].vp && after.phase === "Active", `after resuming: ${after.phase} ${String(after.verificationPattern).slice(0, 12)}`);
      await storageUnder(keys[key].vp);
    });
  }

  await check("4. a failure reported through partial state keeps the journal in the state, and the next pulumi up resumes it with no program change", async () => {
    key = key + 1 >= keys.length ? 1 : key + 1;
    useKey(key);
    await armFault(project.simDir, id, { kind: "fail", when: "before", command: "setImmediate", skip: 2 });
    const failed = project.pulumi("up", "--yes", "--skip-preview");
    assert(failed.code !== 0 && /run pulumi up again to resume/.test(failed.output), "up did not fail with the resume message");
    const resource = project.resource() as { outputs: { rotation?: { targetVp?: string }; phase?: string }; initErrors?: string[] };
    assert(resource.outputs.rotation?.targetVp === keys[key].vp, "the state does not hold the rotation journal");
    assert(Array.isArray(resource.initErrors) && resource.initErrors.length > 0, "the state has no initErrors: the next up would not resume");
    assert(resource.outputs.phase === "HalfPromoted", `partial state phase ${resource.outputs.phase}`);
    const resumed = project.pulumiOk("up", "--yes", "--skip-preview");
    assert(/deselect|setImmediate/.test(resumed), "the resumed up did not run the remaining steps");
    assert(project.outputs().verificationPattern === keys[key].vp, "the resumed up did not converge");
    await storageUnder(keys[key].vp);
  });

  await check("5. pulumi refresh --expect-no-changes passes on a converged stack and fails on a drifted one", async () => {
    project.pulumiOk("refresh", "--yes", "--expect-no-changes");
    const backend = await openSimulator({ dir: project.simDir, instanceId: id });
    const units = phaseOf().units.map((u) => u.id);
    const foreign = keys[(key + 1) % keys.length];
    await backend.select(units);
    for (const unit of units) await backend.loadNew({ units: [unit], keyParts: { kind: "material", parts: foreign.files.map((file, i) => ({ file, value: foreign.values[i] })) }, expectedVp: foreign.vp }, signers);
    const drifted = project.pulumi("refresh", "--yes", "--expect-no-changes");
    assert(drifted.code !== 0, "refresh --expect-no-changes passed on a drifted stack");
    for (const unit of units) await backend.clearNew({ units: [unit], expectedVp: foreign.vp }, signers);
    project.pulumiOk("refresh", "--yes", "--expect-no-changes");
  });

  await check("5b. a rotation policy: preview --expect-no-changes passes while the key is young, fails once a rotation is due, and up never fails on it", async () => {
    project.pulumiOk("config", "set", "rotationPeriodDays", "30");
    project.pulumiOk("up", "--yes", "--skip-preview");
    const { keyAge, rotationDueAt } = project.outputs() as { keyAge: { since: string; source: string }; rotationDueAt: string };
    assert(keyAge.source === "rotation" && Date.parse(rotationDueAt) - Date.parse(keyAge.since) === 30 * 86_400_000, `keyAge ${JSON.stringify(keyAge)}, rotationDueAt ${rotationDueAt}`);
    project.pulumiOk("preview", "--expect-no-changes");
    // The key became current 40 days ago, as a stack that kept it that long would record.
    const state = JSON.parse(project.exportState());
    const resource = state.deployment.resources.find((r: { type: string }) => r.type === "pulumi-nodejs:dynamic/hpcs:MasterKey");
    resource.outputs.keyAge.since = new Date(Date.now() - 40 * 86_400_000).toISOString();
    project.importState(JSON.stringify(state));
    const overdue = project.pulumi("preview", "--expect-no-changes");
    assert(overdue.code !== 0 && /a master key rotation is due since .*The key custodians each create a new key part file/.test(overdue.output), `preview --expect-no-changes did not fail on the overdue key: ${overdue.output.slice(-800)}`);
    const before = JSON.stringify(phaseOf().units.map((u) => [u.current, u.new, u.transactionCounter]));
    const out = project.pulumiOk("up", "--yes", "--skip-preview");
    assert(/a master key rotation is due since/.test(out) && JSON.stringify(phaseOf().units.map((u) => [u.current, u.new, u.transactionCounter])) === before, "up on the overdue key did not succeed without touching the instance");
    assert(project.outputs().rotationDue === true, "the outputs do not show the rotation as due");
    project.pulumiOk("config", "rm", "rotationPeriodDays");
    project.pulumiOk("up", "--yes", "--skip-preview");
    project.pulumiOk("preview", "--expect-no-changes");
  });

  await check("5c. examples/recovery-unit: pulumi up adopts, rotates to a key generated in a recovery unit only when the keeper changes, and when a rotation is due", async () => {
    project.useProgram("examples/recovery-unit/index.ts");
    const before = project.outputs().verificationPattern as string;
    project.pulumiOk("up", "--yes", "--skip-preview");
    assert(project.outputs().verificationPattern === before && project.outputs().keySource === "recoveryUnit", "switching to recoveryUnitKey did not adopt the current key");
    project.pulumiOk("preview", "--expect-no-changes");
    project.pulumiOk("config", "set", "rotation", "2027Q1");
    const preview = project.pulumi("preview", "--expect-no-changes");
    assert(preview.code !== 0 && /a new master key will be generated in a recovery unit: its keepers changed[\s\S]*generateNew/.test(preview.output), `preview did not show the generation: ${preview.output.slice(-800)}`);
    const out = project.pulumiOk("up", "--yes", "--skip-preview");
    const generated = project.outputs().verificationPattern as string;
    assert(/a recovery unit generated the new master key/.test(out) && generated !== before, "up did not generate and rotate to a new key");
    await storageUnder(generated);
    project.pulumiOk("preview", "--expect-no-changes");
    project.pulumiOk("refresh", "--yes", "--expect-no-changes");
    // The key became current 400 days ago: the policy (365 days) makes preview fail, and up rotates again.
    const state = JSON.parse(project.exportState());
    const resource = state.deployment.resources.find((r: { type: string }) => r.type === "pulumi-nodejs:dynamic/hpcs:MasterKey");
    resource.outputs.keyAge.since = new Date(Date.now() - 400 * 86_400_000).toISOString();
    project.importState(JSON.stringify(state));
    const overdue = project.pulumi("preview", "--expect-no-changes");
    assert(overdue.code !== 0 && /pulumi up generates a new master key in a recovery unit and rotates to it/.test(overdue.output), "preview --expect-no-changes did not fail on the overdue generated key");
    project.pulumiOk("up", "--yes", "--skip-preview");
    const again = project.outputs().verificationPattern as string;
    assert(again !== generated && project.outputs().rotationDue === false, "the due rotation did not generate another key");
    await storageUnder(again);
    project.pulumiOk("preview", "--expect-no-changes");
    project.useProgram("examples/simulator/index.ts");
    project.pulumiOk("config", "rm", "rotation");
  });

  // The TKE CLI's shape: no rewrap status, rewrap and promotion in one cryptounit-mk-rotate, the VP checked by a read,
  // and key part files it opens itself, so their key is learned from the load.
  const nextKey = () => (key = key + 1 >= keys.length ? 1 : key + 1);
  await check("6. CLI-like backend: pulumi up learns the key from the load, rotates with one rotate command and journals its marker", async () => {
    project.pulumiOk("config", "set", "hpcs:simulatorRewrapStatus", "hidden");
    project.pulumiOk("config", "set", "hpcs:simulatorRotation", "combined");
    project.pulumiOk("config", "set", "hpcs:simulatorVpBinding", "readFirst");
    project.pulumiOk("config", "set", "hpcs:simulatorKeyParts", "opaque");
    useKey(nextKey());
    const preview = project.pulumiOk("preview", "--diff");
    assert(/the key the key part files make \(learned when they are loaded\)[\s\S]*loadNew[\s\S]*depend on the key the load reports/.test(preview), "the planned ceremony does not start with the load that learns the key");
    const out = project.pulumiOk("up", "--yes", "--skip-preview");
    assert(new RegExp(`the declared key part files make the master key ${keys[key].vp.slice(0, 12)}`).test(out), "the up output does not show the key the load reported");
    assert(/rotate: KMS CRK rewrap successful, waiting on cryptounit-mk-setimm\./.test(out), "the up output does not show the rotate's marker");
    assert(project.outputs().verificationPattern === keys[key].vp && project.outputs().phase === "Active", "up did not rotate to the new key");
    await storageUnder(keys[key].vp);
    project.pulumiOk("refresh", "--yes", "--expect-no-changes");
  });

  /** A rotation to the next key killed in the rotate after its marker and `promoted` promotions; refresh must record `phase`. */
  const killInRotate = async (promoted: number, phase: string) => {
    useKey(nextKey());
    await armFault(project.simDir, id, { kind: "crashInRotate", promoted });
    assert(project.pulumi("up", "--yes", "--skip-preview").code !== 0, "up was not interrupted by the SIGKILL");
    project.pulumiOk("refresh", "--yes", "--skip-preview");
    assert(project.outputs().phase === phase, `refresh recorded phase ${project.outputs().phase}, expected ${phase}`);
  };
  const converged = (what: string) => assert(project.outputs().verificationPattern === keys[key].vp && project.outputs().phase === "Active", `${what} did not converge`);

  await check("7. CLI-like: SIGKILL after the marker, before any promotion: refresh shows Committed; up will not guess the pending key is the files'; declared, it rotates again and finishes", async () => {
    await killInRotate(0, "Committed");
    // The kill took the run's journal with it: nothing records what the files made, so the pending key is not assumed theirs.
    const registers = () => JSON.stringify(phaseOf().units.map((u) => [u.current, u.new, u.selected, u.transactionCounter]));
    const before = registers();
    const refused = project.pulumi("up", "--yes", "--skip-preview");
    const pending = /expectedVerificationPattern: "([0-9a-f]{64})"/.exec(refused.output)?.[1];
    assert(refused.code !== 0 && /UnknownPendingKey/.test(refused.output) && pending === keys[key].vp, "up did not refuse the unknown pending key, naming it");
    assert(registers() === before, "the refused up changed the instance");
    // The operator finds the load in Activity Tracker (the files' SHA-256s and the key it made) and declares it.
    project.pulumiOk("config", "set", "expectedVerificationPattern", pending);
    const resumed = project.pulumiOk("up", "--yes", "--skip-preview");
    assert(/rotate/.test(resumed), "the resumed up did not rotate again");
    project.pulumiOk("config", "rm", "expectedVerificationPattern");
    converged("the resumed up");
    await storageUnder(keys[key].vp);
  });

  await check("8. CLI-like: SIGKILL after the marker and one promotion: refresh shows HalfPromoted; up refuses without proof, changing nothing; with the attestation it repairs", async () => {
    await killInRotate(1, "HalfPromoted");
    const registers = () => JSON.stringify(phaseOf().units.map((u) => [u.current, u.new, u.selected, u.transactionCounter]));
    const before = registers();
    const refused = project.pulumi("up", "--yes", "--skip-preview");
    const attestation = /attestRewrapComplete: "([0-9a-f]{64}:[0-9a-f]{8})"/.exec(refused.output)?.[1];
    assert(attestation !== undefined && refused.code !== 0 && /nothing proves/.test(refused.output) && attestation.startsWith(`${keys[key].vp}:`), "up did not refuse with the attestation for this situation");
    assert(registers() === before, "the refused up changed the instance");
    project.pulumiOk("config", "set", "attestRewrapComplete", attestation);
    const repaired = project.pulumiOk("up", "--yes", "--skip-preview");
    assert(/deselect[\s\S]*setImmediate/.test(repaired), "the repair did not deselect the promoted unit and set immediate on the rest");
    project.pulumiOk("config", "rm", "attestRewrapComplete");
    converged("the repair");
    await storageUnder(keys[key].vp);
    // The repair needs no key part files; converged, the run then learns that they make the current key, loading nothing.
    assert(/make the current master key/.test(repaired), "the repair did not learn that the files make the current key");
    project.pulumiOk("refresh", "--yes", "--expect-no-changes");
  });

  // The TKE CLI backend: IBM's CLI ceremony, driven through a pseudo-terminal, against the ibmcloud emulator over the
  // same simulated instance (what `hpcs-mk sim ibmcloud` writes, from the installed package).
  const apiKey = `e2e-api-key-${randomBytes(16).toString("hex")}`;
  const transcriptDir = join(project.dir, ".hpcs-mk/transcripts");
  const evidenceTexts = () => filesUnder(join(project.dir, ".hpcs-mk/evidence")).map((f) => readFileSync(f, "utf8"));
  await check("9. TKE CLI backend over the ibmcloud emulator: pulumi up rotates through the CLI's prompts, bridging the program's own key part files", async () => {
    const emulatorDir = join(project.root, "emulator");
    execFileSync(join(project.dir, "node_modules/.bin/hpcs-mk"), ["sim", "ibmcloud", "--sim-dir", project.simDir, "--out", emulatorDir], { cwd: project.dir, stdio: ["ignore", "ignore", "inherit"] });
    for (const name of ["simulatorRewrapStatus", "simulatorRotation", "simulatorVpBinding", "simulatorKeyParts", "simulatorDir"]) project.pulumiOk("config", "rm", `hpcs:${name}`);
    for (const [name, value] of [["backend", "tke-cli"], ["ibmcloudPath", join(emulatorDir, "ibmcloud")], ["ibmcloudHome", join(emulatorDir, "home")], ["region", "us-south"], ["resourceGroup", "default"]]) project.pulumiOk("config", "set", `hpcs:${name}`, value);
    project.setSecret("hpcs:apiKey", apiKey);
    project.pulumiOk("refresh", "--yes", "--expect-no-changes");
    useKey(nextKey());
    const out = project.pulumiOk("up", "--yes", "--skip-preview");
    assert(/^TKE CLI 1\.2\.3 \(us-south, resource group default\)/.test(String(project.outputs().backend)), `the outputs name the backend ${String(project.outputs().backend)}`);
    assert(/rotate: KMS CRK rewrap successful, waiting on cryptounit-mk-setimm\./.test(out), "the up output does not show the rotate's marker as the CLI printed it");
    converged("the TKE CLI rotation");
    await storageUnder(keys[key].vp);
    const logs = readdirSync(transcriptDir);
    assert(logs.length === 1 && /cryptounit-mk-rotate/.test(readFileSync(join(transcriptDir, logs[0]), "utf8")), `the run's transcripts are missing: ${logs.join(", ")}`);
    const ceremony = String((project.outputs().evidence as { id?: string } | undefined)?.id ?? "").split("/")[0];
    const record = evidenceTexts().find((text) => text.includes(`"ceremony":"${ceremony}"`)) ?? "";
    assert(/"type":"transcript","command":"ibmcloud tke cryptounit-mk-rotate/.test(record), `the evidence record of ${ceremony || "(no evidence output)"} does not hold the plug-in's transcripts`);
    assert(/"version":"ibmcloud tke plug-in \d/.test(record), "the evidence record does not name the TKE plug-in's version");
    project.pulumiOk("refresh", "--yes", "--expect-no-changes");
  });

  await check("10. TKE CLI: the plug-in dies after the marker and one promotion, then the repair fails: the journal in the state carries the marker; refresh shows HalfPromoted; up repairs with no attestation", async () => {
    useKey(nextKey());
    await armFault(project.simDir, id, { kind: "crashInRotate", promoted: 1 });
    await armFault(project.simDir, id, { kind: "fail", when: "before", command: "setImmediate" });
    const failed = project.pulumi("up", "--yes", "--skip-preview");
    assert(failed.code !== 0 && /run pulumi up again to resume/.test(failed.output), `up did not fail with the resume message: ${failed.output.slice(-1500)}`);
    const rotation = (project.outputs() as { rotation?: { rewrapProof?: { vp?: string; source?: string } } }).rotation;
    assert(rotation?.rewrapProof?.source === "marker" && rotation.rewrapProof.vp === keys[key].vp, `the state's journal does not hold the rotate's marker: ${JSON.stringify(rotation?.rewrapProof)}`);
    project.pulumiOk("refresh", "--yes", "--skip-preview");
    assert(project.outputs().phase === "HalfPromoted", `refresh recorded phase ${project.outputs().phase}, expected HalfPromoted`);
    const repaired = project.pulumiOk("up", "--yes", "--skip-preview");
    assert(/deselect[\s\S]*setImmediate/.test(repaired) && !/attestRewrapComplete/.test(repaired), "the repair did not deselect the promoted unit and set immediate on the rest on the marker's evidence");
    const log = readdirSync(transcriptDir).map((f) => readFileSync(join(transcriptDir, f), "utf8")).join("\n");
    const repair = log.slice(log.lastIndexOf("ibmcloud tke cryptounit-mk-rotate"));
    assert(/=== \S+ ibmcloud tke cryptounit-rm[\s\S]*=== \S+ ibmcloud tke cryptounit-mk-setimm/.test(repair), "the transcript does not show the repair as cryptounit-rm, then cryptounit-mk-setimm");
    converged("the repair through the TKE CLI");
    await storageUnder(keys[key].vp);
    project.pulumiOk("refresh", "--yes", "--expect-no-changes");
  });

  // The TKE API backend against its emulator (`hpcs-mk sim tke-api` from the installed package, a process of its own:
  // this one blocks while pulumi runs): alone it observes, needing no ibmcloud; with the CLI driver it rotates.
  const tkeApi = await startTkeApiProcess(join(project.dir, "node_modules/.bin/hpcs-mk"), project.simDir, project.dir);
  try {
    await check("11. TKE API alone, with no ibmcloud at all: preview shows no change; refresh reads every unit over the API, verified", async () => {
      for (const [name, value] of [["backend", "tke-api"], ["ibmcloudPath", join(project.root, "no-such-ibmcloud")], ["tkeApiTestEndpoint", tkeApi.url], ["tkeApiTestRootsFile", tkeApi.rootsFile]]) project.pulumiOk("config", "set", `hpcs:${name}`, value);
      project.pulumiOk("preview", "--expect-no-changes");
      // Refresh runs with the settings of the last update: an up (which has nothing to change) records them.
      project.pulumiOk("up", "--yes", "--skip-preview");
      const updated = await tkeApi.unitRequests();
      project.pulumiOk("refresh", "--yes", "--expect-no-changes");
      assert((await tkeApi.unitRequests()) > updated, "refresh did not read the units over the TKE API");
      assert(/^TKE API \(http:\/\/127\.0\.0\.1:\d+\), observing only/.test(String(project.outputs().backend)), `the outputs name the backend ${String(project.outputs().backend)}`);
    });

    await check("12. tke-api+cli: pulumi up loads and rotates through the CLI and commits over the API, bound to the VP in the HSM", async () => {
      project.pulumiOk("config", "set", "hpcs:backend", "tke-api+cli");
      project.pulumiOk("config", "set", "hpcs:ibmcloudPath", join(project.root, "emulator", "ibmcloud"));
      useKey(nextKey());
      const before = readdirSync(transcriptDir).map((f) => readFileSync(join(transcriptDir, f), "utf8")).join("\n").length;
      project.pulumiOk("up", "--yes", "--skip-preview");
      const log = readdirSync(transcriptDir).map((f) => readFileSync(join(transcriptDir, f), "utf8")).join("\n").slice(before);
      assert(/ibmcloud tke cryptounit-mk-load/.test(log) && /ibmcloud tke cryptounit-mk-rotate/.test(log), "the CLI did not load and rotate");
      assert(!/ibmcloud tke cryptounit-mk-commit/.test(log), "the commit went through the CLI, not the API");
      converged("the tke-api+cli rotation");
      await storageUnder(keys[key].vp);
      project.pulumiOk("refresh", "--yes", "--expect-no-changes");
    });
  } finally {
    await tkeApi.stop();
  }

  await check("13. pulumi destroy leaves the registers and key storage untouched", async () => {
    const before = JSON.stringify(phaseOf().units.map((u) => [u.id, u.current, u.new]));
    project.pulumiOk("state", "unprotect", "--all", "--yes");
    const out = project.pulumiOk("destroy", "--yes", "--skip-preview");
    assert(/were not touched/.test(out), "destroy did not say it leaves the instance alone");
    assert(JSON.stringify(phaseOf().units.map((u) => [u.id, u.current, u.new])) === before, "destroy changed the registers");
    await storageUnder(keys[key].vp);
  });

  await check("14. every evidence record verifies (hpcs-mk evidence list); no password, API key or key part value appears in the exported stack state, any CLI output or any evidence record", () => {
    const listed = spawnSync(join(project.dir, "node_modules/.bin/hpcs-mk"), ["evidence", "list", "--json"], { cwd: project.dir, encoding: "utf8" });
    const ceremonies = (JSON.parse(listed.stdout || "{}") as { ceremonies?: { broken: unknown }[] }).ceremonies ?? [];
    assert(listed.status === 0 && ceremonies.length > 0 && ceremonies.every((c) => c.broken === null), `hpcs-mk evidence list: exit ${listed.status}, ${ceremonies.length} ceremonies\n${listed.stdout.slice(0, 2000)}${listed.stderr}`);
    const transcripts = readdirSync(transcriptDir).map((f) => readFileSync(join(transcriptDir, f), "utf8"));
    const everything = [project.exportState(), ...project.transcript, ...transcripts, ...evidenceTexts()].join("\n");
    const secrets = [
      ...keys.flatMap((k) => k.passwords),
      ...keys.flatMap((k) => k.values.map((v) => Buffer.from(v).toString("hex"))),
      ...keys.flatMap((k) => k.values.map((v) => Buffer.from(v).toString("base64"))),
      ...adminPasswords,
      apiKey,
    ];
    const leaked = secrets.filter((s) => everything.includes(s));
    assert(leaked.length === 0, `${leaked.length} secret value(s) found in the state or CLI output`);
  });

  await check("15. npm run demo:pulumi (the README's Pulumi demo) runs with the pulumi on PATH: up, preview, a killed up, refresh showing the drift, the repair, refresh --expect-no-changes", () => {
    const demo = spawnSync(process.execPath, [join(REPO, "scripts", "demo-pulumi.js")], { cwd: REPO, encoding: "utf8", env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, maxBuffer: 64 * 1024 * 1024 });
    const output = `${demo.stdout}${demo.stderr}`;
    assert(demo.status === 0, `demo:pulumi exited ${demo.status}:\n${output.slice(-4000)}`);
    assert(/using pulumi v3\.\d+\.\d+ from PATH \(this demo accepts 3\.x from 3\.\d+\.\d+\)/.test(output), "the demo did not say which pulumi it uses");
    for (const step of ["$ pulumi up --yes --skip-preview", "$ pulumi preview --diff", "$ pulumi refresh --yes --skip-preview --diff", "$ pulumi refresh --yes --expect-no-changes", "✓ phase HalfPromoted after refresh"]) {
      assert(output.includes(step), `the demo output lacks "${step}"`);
    }
    assert(/demo:pulumi: pulumi up rotated, a killed up left the instance half-promoted, refresh showed it, up repaired it, refresh --expect-no-changes passed\n$/.test(demo.stdout), "the demo did not end with its summary line");
  });

  const failed = results.filter((r) => !r.ok).length;
  if (failed === 0) rmSync(project.root, { recursive: true, force: true });
  else console.log(`the project is kept for inspection in the system temp directory (${project.root.split("/").pop()})`);
  console.log(`e2e: ${results.length - failed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

/** `hpcs-mk sim tke-api` as a process of its own: its URL and roots file, and the unit requests it served so far (the lines it prints). */
async function startTkeApiProcess(bin: string, simDir: string, cwd: string): Promise<{ url: string; rootsFile: string; unitRequests(): Promise<number>; stop(): Promise<void> }> {
  const child = spawn(bin, ["sim", "tke-api", "--sim-dir", simDir], { cwd, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  const ready = new Promise<{ url: string; rootsFile: string }>((resolve, reject) => {
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      const url = /hpcs:tkeApiTestEndpoint (\S+)/.exec(stderr)?.[1];
      const rootsFile = /hpcs:tkeApiTestRootsFile (\S+)/.exec(stderr)?.[1];
      if (url && rootsFile && /Ctrl-C stops it/.test(stderr)) resolve({ url, rootsFile });
    });
    child.on("exit", (code) => reject(new Error(`hpcs-mk sim tke-api exited with ${code}: ${stderr}`)));
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  return {
    ...(await ready),
    // Its lines arrive only while this process runs its event loop (pulumi runs synchronously): let them in first.
    unitRequests: async () => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      return (stderr.match(/^served POST \/hsms\//gm) ?? []).length;
    },
    stop: async () => {
      child.kill("SIGINT");
      await exited;
    },
  };
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    console.log("e2e: 0 passed, 1 failed");
    process.exit(1);
  },
);
