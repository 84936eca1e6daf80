import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { armFault } from "../../src/backends/simulator";
import { createSimFixture, type SimFixture } from "../helpers/sim-fixture";
import { installPacked, PULUMI_SDK } from "../helpers/packed";
import { expectNoSecrets, inputsFor } from "./provider-fixture";

/* eslint-disable @typescript-eslint/no-require-imports -- the generated gRPC stubs are CommonJS without types we can import */
const providerRpc = require(join(PULUMI_SDK, "proto/provider_grpc_pb"));
const providerProto = require(join(PULUMI_SDK, "proto/provider_pb"));
const statusProto = require(join(PULUMI_SDK, "proto/status_pb"));
/* eslint-enable @typescript-eslint/no-require-imports */

type Props = Record<string, unknown>;
const URN = "urn:pulumi:dev::hpcs-test::pulumi-nodejs:dynamic/hpcs:MasterKey::prod-mk";
const DIFF_SOME = 2;
const DIFF_NONE = 1;

/**
 * The real dynamic-provider host from @pulumi/pulumi (`cmd/dynamic-provider`), in its own process with the package
 * installed from `npm pack`, driven over gRPC the way the engine drives it.
 */
describe("the dynamic-provider host over gRPC", () => {
  let fixture: SimFixture;
  let project: string;
  let host: ChildProcess;
  let client: InstanceType<typeof providerRpc.ResourceProviderClient>;
  let providerText: string;

  const call = <T>(method: string, request: unknown): Promise<T> =>
    new Promise((resolve, reject) => client[method](request, (error: grpc.ServiceError | null, response: T) => (error ? reject(error) : resolve(response))));
  const struct = (value: Props) => Struct.fromJavaScript(value as never);
  const program = (set: number) => (({ __provider, ...rest }) => rest)(inputsFor(fixture, set));

  beforeAll(async () => {
    fixture = await createSimFixture({ shape: { operational: 3, recovery: 2, failover: 0 }, records: 7 });
    project = mkdtempSync(join(tmpdir(), "hpcs-grpc-"));
    installPacked(project);
    const serialized = execFileSync(process.execPath, [join(__dirname, "children/serialize.js")], {
      cwd: project,
      env: { ...process.env, PULUMI_SDK, MASTERKEY_INPUTS: JSON.stringify(program(1)) },
      encoding: "utf8",
    });
    providerText = JSON.parse(serialized).provider;
    host = spawn(process.execPath, [join(PULUMI_SDK, "cmd/dynamic-provider"), "127.0.0.1:0"], { cwd: project, stdio: ["ignore", "pipe", "pipe"] });
    const port = await new Promise<string>((resolve, reject) => {
      host.stdout?.once("data", (d: Buffer) => resolve(d.toString().trim()));
      host.once("exit", (code) => reject(new Error(`the host exited with ${code}`)));
    });
    client = new providerRpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const configure = new providerProto.ConfigureRequest();
    configure.setArgs(struct({ "hpcs:simulatorDir": fixture.dir }));
    await call("configure", configure);
  }, 240_000);

  afterAll(() => {
    client?.close();
    host?.kill();
    fixture.cleanup();
    rmSync(project, { recursive: true, force: true });
  });

  async function check(news: Props, olds: Props = {}) {
    const request = new providerProto.CheckRequest();
    request.setUrn(URN);
    request.setOlds(struct(olds));
    request.setNews(struct({ ...news, __provider: providerText }));
    const response = await call<{ getInputs(): Struct; getFailuresList(): { getProperty(): string; getReason(): string }[] }>("check", request);
    return { inputs: response.getInputs().toJavaScript() as Props, failures: response.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })) };
  }

  async function diff(id: string, olds: Props, news: Props) {
    const request = new providerProto.DiffRequest();
    request.setId(id);
    request.setUrn(URN);
    request.setOlds(struct(olds));
    request.setNews(struct(news));
    const response = await call<{ getChanges(): number; getReplacesList(): string[] }>("diff", request);
    return { changes: response.getChanges(), replaces: response.getReplacesList() };
  }

  async function update(id: string, olds: Props, news: Props) {
    const request = new providerProto.UpdateRequest();
    request.setId(id);
    request.setUrn(URN);
    request.setOlds(struct(olds));
    request.setNews(struct(news));
    const response = await call<{ getProperties(): Struct }>("update", request);
    return response.getProperties().toJavaScript() as Props;
  }

  /** Decodes the partial-state details the engine reads from a failed create/update. */
  function initFailure(error: grpc.ServiceError) {
    const [bin] = error.metadata.get("grpc-status-details-bin") as Buffer[];
    const status = statusProto.Status.deserializeBinary(new Uint8Array(bin));
    const detail = status.getDetailsList()[0].unpack(providerProto.ErrorResourceInitFailed.deserializeBinary, "pulumirpc.ErrorResourceInitFailed");
    return { id: detail.getId() as string, properties: detail.getProperties().toJavaScript() as Props, reasons: detail.getReasonsList() as string[] };
  }

  test("Check reports failures per property and derives the desired VP", async () => {
    const bad = await check({ ...program(1), keyParts: [(program(1).keyParts as Props[])[0], { ...(program(1).keyParts as Props[])[1], password: "wrong" }] });
    expect(bad.failures).toEqual([{ property: "keyParts[1].password", reason: expect.stringContaining("password is wrong") }]);
    const good = await check(program(1));
    expect(good.failures).toEqual([]);
    expect(good.inputs).toMatchObject({ desiredVerificationPattern: fixture.keyParts[1].vp, __provider: providerText });
  });

  test("Create, Read, Diff, Update with a partial failure, resume, and Delete", async () => {
    const first = (await check(program(1))).inputs;
    const create = new providerProto.CreateRequest();
    create.setUrn(URN);
    create.setProperties(struct(first));
    const created = await call<{ getId(): string; getProperties(): Struct }>("create", create);
    const outs = created.getProperties().toJavaScript() as Props;
    expect(created.getId()).toBe(fixture.instanceId);
    expect(outs).toMatchObject({ phase: "Active", verificationPattern: fixture.keyParts[1].vp, __provider: providerText });

    const read = new providerProto.ReadRequest();
    read.setId(fixture.instanceId);
    read.setUrn(URN);
    read.setProperties(struct(outs));
    const refreshed = (await call<{ getProperties(): Struct }>("read", read)).getProperties().toJavaScript() as Props;
    expect(refreshed).toMatchObject({ phase: "Active", __provider: providerText });
    expect(await diff(fixture.instanceId, refreshed, first)).toEqual({ changes: DIFF_NONE, replaces: [] });

    const second = (await check(program(2), first)).inputs;
    expect(await diff(fixture.instanceId, refreshed, second)).toEqual({ changes: DIFF_SOME, replaces: [] });
    await armFault(fixture.dir, fixture.instanceId, { kind: "fail", when: "before", command: "setImmediate", skip: 2 });
    const error = (await update(fixture.instanceId, refreshed, second).catch((e) => e)) as grpc.ServiceError;
    expect(error.code).toBe(grpc.status.UNKNOWN);
    const partial = initFailure(error);
    expect(partial.id).toBe(fixture.instanceId);
    expect(partial.properties).toMatchObject({ phase: "HalfPromoted", __provider: providerText, rotation: { targetVp: fixture.keyParts[2].vp, rewrapProof: { vp: fixture.keyParts[2].vp } } });
    expect(partial.reasons[0]).toContain("run pulumi up again to resume");

    // The engine stores the partial outputs and calls Update again on the next `up`, with no input change.
    const resumed = await update(fixture.instanceId, partial.properties, second);
    expect(resumed).toMatchObject({ phase: "Active", verificationPattern: fixture.keyParts[2].vp });
    expect((await fixture.check()).byVp).toEqual({ [fixture.keyParts[2].vp]: 7 });

    const del = new providerProto.DeleteRequest();
    del.setId(fixture.instanceId);
    del.setUrn(URN);
    del.setProperties(struct(resumed));
    await call("delete", del);
    expect((await fixture.check()).byVp).toEqual({ [fixture.keyParts[2].vp]: 7 });
    expectNoSecrets(fixture, outs, refreshed, partial, resumed, error.message, providerText);
  }, 60_000);
});
