import { classify } from "../../src/engine/classify";
import { EXAMPLE_BINDING, EXAMPLE_DESIRED, EXAMPLE_VPS, exampleObservation, exampleUnit } from "../../src/engine/decision-table";
import type { Desired } from "../../src/engine/plan";
import { plan } from "../../src/engine/plan";
import type { Observation } from "../../src/engine/observation";
import type { Refusal } from "../../src/engine/decision";
import { CLI_WORDS } from "../../src/cli/shell-words";
import { PROVIDER_WORDS } from "../../src/provider/shell-words";

/** The text of the engine's refusals, judged as a person under pressure reads it: what it says, and what it never says. */

const { old, other } = EXAMPLE_VPS;

function refusalOf(observation: Observation, given: Partial<Desired> = {}): Refusal {
  const decision = plan({ phase: classify(observation), observation, journal: undefined, binding: EXAMPLE_BINDING, desired: { ...EXAMPLE_DESIRED, ...given }, capabilities: { rotation: "separate" } });
  if (decision.kind !== "refuse") throw new Error(`expected a refusal, got ${JSON.stringify(decision)}`);
  return decision;
}

const committedOther = () => [exampleUnit("u1", old, `c:${other}`), exampleUnit("u2", old, `c:${other}`)];

describe("a foreign pending key", () => {
  test.each([
    ["in progress", { state: "inProgress", targetVp: other, done: 1500, total: 3000 }, "1500 of 3000 records are under it"],
    ["complete", { state: "complete", targetVp: other, records: 3000 }, "all 3000 key storage records under"],
  ] as const)("with the backend reporting a rewrap to it %s: says so, never suggests clearing, says what finishes it", (_, rewrap, says) => {
    const refusal = refusalOf(exampleObservation(committedOther(), rewrap), { words: CLI_WORDS });
    expect(refusal.code).toBe("ForeignPendingKey");
    expect(refusal.message).toContain(says);
    expect(refusal.message).toContain("must be finished, never cleared");
    expect(refusal.message).toContain("declaring that key's key part files");
    // A VP declared beside files that do not make it would be a false declaration: never offered here.
    expect(refusal.message + refusal.manualSteps.join("\n")).not.toContain("--expected-vp");
    expect(refusal.message).toContain("running ibmcloud tke cryptounit-mk-rotate, finishes it");
    expect(refusal.message).not.toMatch(/yours to discard/);
    expect(refusal.manualSteps.some((s) => /^(ibmcloud tke )?cryptounit-mk-clrnew|: ibmcloud tke cryptounit-mk-clrnew|yours to discard/.test(s))).toBe(false);
    expect(refusal.manualSteps.join("\n")).toContain("ibmcloud tke cryptounit-mk-rotate");
  });

  test("with no rewrap reported: whose it is decides, and clearing is only for the one it belongs to", () => {
    const refusal = refusalOf(exampleObservation(committedOther(), { state: "none", records: 3000 }));
    expect(refusal.message).toContain("clear it only if it is yours to discard");
    expect(refusal.manualSteps.join("\n")).toContain("ibmcloud tke cryptounit-mk-clrnew");
  });
});

describe("each shell's vocabulary", () => {
  const oneSigner = { signerSkis: [EXAMPLE_DESIRED.signerSkis[0]] };
  const observation = exampleObservation([exampleUnit("u1", old, "-"), exampleUnit("u2", old, "-")]);

  test("the CLI names its flags and command", () => {
    const steps = refusalOf(observation, { ...oneSigner, words: CLI_WORDS }).manualSteps.join("\n");
    expect(steps).toContain("--signature-key");
    expect(steps).toContain("hpcs-mk rotate");
    expect(steps).not.toMatch(/signatureKeys|pulumi/);
  });

  test("the provider names its inputs and pulumi up", () => {
    const steps = refusalOf(observation, { ...oneSigner, words: PROVIDER_WORDS }).manualSteps.join("\n");
    expect(steps).toContain("signatureKeys");
    expect(steps).toContain("pulumi up");
    expect(steps).not.toMatch(/--signature-key|hpcs-mk/);
  });

  test("a declared key that is not the pending one names the shell's way to declare a VP", () => {
    const pending = exampleObservation([exampleUnit("u1", old, `u:${other}`), exampleUnit("u2", old, `u:${other}`)]);
    const cli = refusalOf(pending, { key: { kind: "generated", replacing: old }, words: CLI_WORDS });
    expect(cli.message).toContain(`--expected-vp ${other}`);
    const provider = refusalOf(pending, { key: { kind: "generated", replacing: old }, words: PROVIDER_WORDS });
    expect(provider.message).toContain(`expectedVerificationPattern: "${other}" on the MasterKey`);
    expect(provider.message).not.toContain("hpcs-mk");
  });
});

test("opaque key parts whose key is unknown, with the backend reporting a rewrap to the pending key: never advised to clear it", () => {
  const refusal = refusalOf(exampleObservation(committedOther(), { state: "inProgress", targetVp: other, done: 10, total: 3000 }), { key: { kind: "files", ids: ["1f".repeat(32), "2e".repeat(32)] }, words: CLI_WORDS });
  expect(refusal.code).toBe("UnknownPendingKey");
  expect(refusal.manualSteps.join("\n")).not.toContain("clrnew");
  expect(refusal.manualSteps.join("\n")).toContain("must never be cleared");
});
