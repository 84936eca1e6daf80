import { DEFAULT_CAPABILITIES, type Capabilities } from "../../src/engine/port/capabilities";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { filesUnder } from "../helpers/files-under";
import type { SimFixture } from "../helpers/sim-fixture";
import type { LifecycleContext } from "../../src/provider/lifecycle";
import { checkInputs } from "../../src/provider/check";
import { PROVIDER_DEFAULTS } from "../../src/provider/config";

/** Provider inputs for a fixture's key part set `set`, as a Pulumi program would declare them. */
export function inputsFor(fixture: SimFixture, set: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    instanceId: fixture.instanceId,
    keyParts: fixture.keyParts[set].refs.map((r) => ({ file: r.file, password: r.password })),
    signatureKeys: fixture.admins.map((a) => ({ file: a.file, password: a.password })),
    __provider: "serialized-provider-text",
    ...extra,
  };
}

/** What `check` returns for those inputs; the tests feed it to create/update as the engine would. */
export function checked(fixture: SimFixture, set: number, extra: Record<string, unknown> = {}, keyParts: Capabilities["keyParts"] = "material"): Record<string, unknown> {
  const result = checkInputs(inputsFor(fixture, set, extra), keyParts);
  if (result.failures.length > 0) throw new Error(`check failed: ${JSON.stringify(result.failures)}`);
  return result.inputs;
}

export function contextFor(fixture: SimFixture, lines: string[] = [], options: Partial<Capabilities> = {}): LifecycleContext {
  const capabilities = { ...DEFAULT_CAPABILITIES, ...options };
  return {
    config: {
      ...PROVIDER_DEFAULTS,
      backend: "simulator",
      simulatorDir: fixture.dir,
      simulatorLatencyMs: 0,
      simulatorRewrapStatus: capabilities.rewrapStatus,
      simulatorRotation: capabilities.rotation,
      simulatorVpBinding: capabilities.vpBinding,
      simulatorKeyParts: capabilities.keyParts,
      evidenceDir: join(fixture.dir, "evidence"),
    },
    log: (line) => void lines.push(line),
  };
}

/** Every secret of the fixture: passwords, key part values (hex) and signature key file contents' plaintext keys. */
export function secretsOf(fixture: SimFixture): string[] {
  return [
    ...fixture.keyParts.flatMap((set) => set.refs.map((r) => r.password)),
    ...fixture.keyParts.flatMap((set) => set.values.map((m) => Buffer.from(m.value).toString("hex"))),
    ...fixture.keyParts.flatMap((set) => set.values.map((m) => Buffer.from(m.value).toString("base64"))),
    ...fixture.admins.map((a) => a.password),
  ];
}

/** Fails with the secret's position when any secret appears in `value` (deeply, as JSON text). */
export function expectNoSecrets(fixture: SimFixture, ...values: unknown[]): void {
  const evidence = filesUnder(join(fixture.dir, "evidence")).map((f) => readFileSync(f, "utf8"));
  const text = [...values.map((v) => (typeof v === "string" ? v : JSON.stringify(v, (_k, x) => (x instanceof Error ? { ...x, message: x.message, stack: x.stack } : x)))), ...evidence].join("\n");
  const found = secretsOf(fixture).filter((s) => text.includes(s));
  expect(found).toEqual([]);
}
