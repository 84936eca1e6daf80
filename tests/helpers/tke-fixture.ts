import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { KeyPartFileRef, KeyParts } from "../../src/engine/port/backend";
import { openTkeCli, spawnPty, type TkeCliBackend, type Transcript } from "../../src/backends/tke-cli";
import { installEmulator, type EmulatorInstallation } from "../../src/emulator/ibmcloud/install";
import { addKeyPart, listKeyParts } from "../../src/emulator/ibmcloud/tke/workstation";
import { keyPartFileRefs, openOwnKeyPartFile } from "../../src/files/key-parts";
import { masterKeyVp } from "../../src/model/key-parts";
import { createSimFixture, type SimFixture, type SimFixtureOptions } from "./sim-fixture";

/**
 * A simulated instance behind the `ibmcloud` emulator, and a TKE CLI backend driving it through a real pseudo-terminal,
 * as a platform team's run would: a private workspace, login with an API key, the emulated plug-in. Every transcript
 * is kept, and every secret handed out is listed, so tests can search everything for them.
 */
export interface TkeFixture {
  readonly sim: SimFixture;
  readonly emulator: EmulatorInstallation;
  readonly apiKey: string;
  /** Key part files in IBM's own format (the emulator's stand-in for it): only the plug-in opens them. */
  readonly ibmKeyParts: { readonly files: KeyParts & { kind: "files" }; readonly ids: readonly string[]; readonly vp: string; readonly passwords: readonly string[] };
  readonly transcripts: Transcript[];
  /** Every child the backend started: its executable, argv and environment, as handed to the pseudo-terminal. */
  readonly children: { readonly file: string; readonly args: readonly string[]; readonly env: Record<string, string> }[];
  open(options?: { environment?: NodeJS.ProcessEnv }): Promise<TkeCliBackend>;
  /** Every secret of the fixture: passwords, the API key, key part values. */
  secrets(): string[];
  cleanup(): void;
}

export const TKE_API_KEY_PREFIX = "emulated-api-key-";

export async function createTkeFixture(options: SimFixtureOptions = {}): Promise<TkeFixture> {
  const sim = await createSimFixture({ freshKeyParts: true, ...options });
  const emulator = installEmulator(join(sim.root, "emulator"), sim.dir);
  const apiKey = `${TKE_API_KEY_PREFIX}${randomBytes(16).toString("hex")}`;
  // IBM's own key part files: made as the plug-in's mk-add makes them, in a directory of the person's.
  const ibmDir = join(sim.root, "ibm-tkefiles");
  mkdirSync(ibmDir);
  const values = [0, 1].map(() => new Uint8Array(randomBytes(32)));
  const passwords = values.map(() => `ibm-part-${randomBytes(6).toString("hex")}`);
  values.forEach((value, i) => addKeyPart(ibmDir, value, `IBM part ${i + 1}`, passwords[i]));
  const refs = listKeyParts(ibmDir).map((p, i) => ({ file: p.file, password: passwords[i] }));
  const files = keyPartFileRefs(refs);
  const transcripts: Transcript[] = [];
  const children: TkeFixture["children"] = [];
  const vp = masterKeyVp(values);
  const secretValues = values.map((v) => Buffer.from(v).toString("hex"));
  values.forEach((v) => v.fill(0));
  return {
    sim,
    emulator,
    apiKey,
    ibmKeyParts: { files: { kind: "files", files }, ids: files.map((f: KeyPartFileRef) => f.sha256), vp, passwords },
    transcripts,
    children,
    open: (more = {}) =>
      openTkeCli({
        instanceId: sim.instanceId,
        ibmcloud: emulator.executable,
        ibmcloudHome: emulator.home,
        apiKey,
        apiEndpoint: "cloud.ibm.com",
        region: "us-south",
        resourceGroup: "default",
        environment: more.environment ?? { PATH: process.env.PATH },
        openOwnKeyPart: openOwnKeyPartFile,
        spawn: (file, args, env) => {
          children.push({ file, args, env });
          return spawnPty(file, args, env);
        },
        onTranscript: (t) => void transcripts.push(t),
      }),
    secrets: () => [
      apiKey,
      ...passwords,
      ...secretValues,
      ...sim.admins.map((a) => a.password),
      ...sim.keyParts.flatMap((set) => set.refs.map((r) => r.password)),
      ...sim.keyParts.flatMap((set) => set.values.map((v) => Buffer.from(v.value).toString("hex"))),
    ],
    cleanup: () => sim.cleanup(),
  };
}
