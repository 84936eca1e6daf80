import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSimFixture, type SimFixture } from "../helpers/sim-fixture";
import { installPacked, PULUMI_SDK } from "../helpers/packed";
import { expectNoSecrets, inputsFor } from "./provider-fixture";

/**
 * The serialized provider round trip (DESIGN §6): Jest breaks closure serialization, so both halves run in plain
 * node processes, with the package installed from `npm pack` as users get it.
 */
describe("the serialized provider", () => {
  let fixture: SimFixture;
  let project: string;
  beforeAll(async () => {
    fixture = await createSimFixture({ shape: { operational: 2, recovery: 2, failover: 0 }, records: 5 });
    project = mkdtempSync(join(tmpdir(), "hpcs-project-"));
    installPacked(project);
  }, 240_000);
  afterAll(() => {
    fixture.cleanup();
    rmSync(project, { recursive: true, force: true });
  });

  test("is small, holds no secret, and runs create/read/diff/update in a fresh process against the simulator", () => {
    const program = (({ __provider, ...rest }) => rest)(inputsFor(fixture, 1));
    const serialized = execFileSync(process.execPath, [join(__dirname, "children/serialize.js")], {
      cwd: project,
      env: { ...process.env, PULUMI_SDK, MASTERKEY_INPUTS: JSON.stringify(program) },
      encoding: "utf8",
    });
    const { provider } = JSON.parse(serialized) as { provider: string };
    console.log(`serialized provider: ${Buffer.byteLength(provider)} bytes`);
    expect(Buffer.byteLength(provider)).toBeLessThan(16_000);
    expect(provider).toContain('require("pulumi-hpcs-masterkey/runtime")');
    expectNoSecrets(fixture, provider);

    const providerFile = join(project, "provider.json");
    writeFileSync(providerFile, serialized);
    const next = (({ __provider, ...rest }) => rest)(inputsFor(fixture, 2));
    const output = execFileSync(process.execPath, [join(__dirname, "children/run-serialized.js")], {
      cwd: project,
      env: { ...process.env, PROVIDER_FILE: providerFile, SIM_DIR: fixture.dir, MASTERKEY_INPUTS: JSON.stringify(program), MASTERKEY_NEXT_INPUTS: JSON.stringify(next) },
      encoding: "utf8",
    });
    const lines = output.trim().split("\n");
    const result = JSON.parse(lines[lines.length - 1]);
    expect(result.created.outs).toMatchObject({ phase: "Active", verificationPattern: fixture.keyParts[1].vp });
    expect(result.read.props).toMatchObject({ phase: "Active", verificationPattern: fixture.keyParts[1].vp });
    expect(result.diff).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect(result.updated.outs).toMatchObject({ phase: "Active", verificationPattern: fixture.keyParts[2].vp });
    expectNoSecrets(fixture, output);
  }, 120_000);

  test("the installed package's surface is its index, ./runtime and the hpcs-mk bin: no internal module is importable", () => {
    const probe = (specifier: string) =>
      execFileSync(process.execPath, ["-e", `try { require(${JSON.stringify(specifier)}); console.log("ok") } catch (e) { console.log(e.code) }`], { cwd: project, encoding: "utf8" }).trim();
    expect(probe("pulumi-hpcs-masterkey/runtime")).toBe("ok");
    expect(probe("pulumi-hpcs-masterkey/dist/engine/plan")).toBe("ERR_PACKAGE_PATH_NOT_EXPORTED");
    expect(probe("pulumi-hpcs-masterkey/dist/backends/simulator/state-store.js")).toBe("ERR_PACKAGE_PATH_NOT_EXPORTED");
  });
});
