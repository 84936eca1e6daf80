import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseJournal } from "../../src/engine/journal";
import { ADMIN_PASSWORD_ENV, explain, SIGNER_FLAGS, workspacePerTest } from "./workspace";

/**
 * hpcs-mk against a simulator rehearsing the TKE CLI plug-in: it opens the key part files itself, so hpcs-mk learns the
 * key from the load, says so, and records it in the journal file. Real processes, secrets only in the environment.
 */
const ws = workspacePerTest();
const CLI_LIKE = { HPCS_SIMULATOR_KEY_PARTS: "opaque", HPCS_SIMULATOR_REWRAP_STATUS: "hidden", HPCS_SIMULATOR_ROTATION: "combined", HPCS_SIMULATOR_VP_BINDING: "readFirst" };

async function init(): Promise<{ initial: ReturnType<typeof ws.keyParts>; next: ReturnType<typeof ws.keyParts> }> {
  const initial = ws.keyParts("initial");
  const next = ws.keyParts("next");
  const args = ["sim", "init", "--instance-id", "o", "--records", "12", "--admin-password-env", ADMIN_PASSWORD_ENV, ...initial.flags.map((f) => f.replace("--key-part", "--initial-key-part"))];
  expect((await ws.run(args)).code).toBe(0);
  Object.assign(ws.env, CLI_LIKE);
  return { initial, next };
}

test("plan shows the load that learns the key; rotate learns it, says so, journals it, and converges", async () => {
  const { next } = await init();
  const planned = await ws.run(["plan", "--instance", "o", ...next.flags, ...SIGNER_FLAGS]);
  expect(planned.code).toBe(0);
  expect(planned.stdout).toContain("declared the key the key part files make (not known until they are loaded)");
  expect(planned.stdout).toMatch(/2 +Active +loadNew +1, 2, 3, 4 +cryptounit-mk-load/);
  expect(planned.stdout).toContain("THEN: the load reports the key the key part files make");

  const rotated = await ws.run(["rotate", "--instance", "o", ...next.flags, ...SIGNER_FLAGS]);
  expect({ code: rotated.code }).toEqual({ code: 0 });
  expect(rotated.stderr).toContain("the key the key part files make (learned when they are loaded)");
  expect(rotated.stderr).toMatch(new RegExp(`the declared key part files make the master key ${next.vp.slice(0, 12)}`));
  expect(rotated.stdout).toContain(`every crypto unit of o holds ${next.vp} as its current master key`);
  const journal = parseJournal(JSON.parse(readFileSync(join(ws.dir, ".hpcs-mk", "o.journal.json"), "utf8")));
  expect(journal).toMatchObject({ targetVp: next.vp, keyParts: { ids: [...next.ids].sort(), madeVp: next.vp } });

  // The journal file knows the key now: the next plan names it and has nothing to do.
  const again = await ws.run(["plan", "--instance", "o", ...next.flags, ...SIGNER_FLAGS, "--json"]);
  expect(again.json()).toMatchObject({ outcome: "ok", desiredVp: next.vp, steps: [], end: { kind: "done" } });
});

test("files that make the current key: rotate loads nothing and is done", async () => {
  const { initial } = await init();
  const result = await ws.run(["rotate", "--instance", "o", ...initial.flags, ...SIGNER_FLAGS, "--json"]);
  expect(result.code).toBe(0);
  expect(result.json()).toMatchObject({ outcome: "ok", phase: "Active", desiredVp: initial.vp });
  expect(result.stderr).toContain(`the declared key part files make the current master key ${initial.vp.slice(0, 12)}`);
});

test("--expected-vp: checked where hpcs-mk opens the files, the declared key where the backend does, refused when malformed", async () => {
  const { next, initial } = await init();
  const malformed = await ws.run(["plan", "--instance", "o", ...next.flags, ...SIGNER_FLAGS, "--expected-vp", "abc"]);
  expect(malformed.code).toBe(2);
  expect(malformed.stderr).toContain("--expected-vp: expected a 64-character hex verification pattern");

  const declared = await ws.run(["plan", "--instance", "o", ...next.flags, ...SIGNER_FLAGS, "--expected-vp", next.vp.toUpperCase(), "--json"]);
  expect(declared.json()).toMatchObject({ outcome: "ok", desiredVp: next.vp, end: { kind: "done" } });

  const material = await ws.run(["plan", "--instance", "o", ...next.flags, ...SIGNER_FLAGS, "--expected-vp", initial.vp], { env: { HPCS_SIMULATOR_KEY_PARTS: "material" } });
  expect(material.code).toBe(1);
  expect(material.stderr).toContain(`--expected-vp: the key parts make the master key ${next.vp}, not ${initial.vp}`);
  expect(explain(material)).not.toContain("bug");
});
