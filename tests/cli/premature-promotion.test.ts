import { join } from "node:path";
import { openSimulator } from "../../src/backends/simulator";
import { openSigners } from "../../src/files/signature-keys";
import { ADMIN_PASSWORD_ENV, explain, SIGNER_FLAGS, workspacePerTest } from "./workspace";

/**
 * The review's reproduction, as a user runs it: `hpcs-mk rotate` killed mid-rewrap (4 of 10 records under the new
 * key), an operator promotes unit 1 by hand (as `ibmcloud tke cryptounit-mk-setimm` would, warning and all), then
 * `hpcs-mk rotate` again. It must refuse, change nothing, and leave every record readable.
 */
const ws = workspacePerTest();

test("rotate after an operator promoted a unit mid-rewrap refuses, and sim verify still finds every record readable", async () => {
  const next = ws.keyParts("next");
  const init = await ws.run(["sim", "init", "--instance-id", "pp", "--operational", "3", "--recovery", "2", "--records", "10", "--admin-password-env", ADMIN_PASSWORD_ENV]);
  expect(init.code).toBe(0);
  expect((await ws.run(["sim", "fault", "--kind", "crashMidRewrap", "--after-records", "4"])).code).toBe(0);

  const killed = await ws.run(["rotate", "--instance", "pp", ...next.flags, ...SIGNER_FLAGS, "--yes"]);
  expect({ signal: killed.signal, code: killed.code }).toEqual({ signal: "SIGKILL", code: null });

  // The operator, with IBM's CLI: cryptounit-mk-setimm on crypto unit 1 only.
  const operator = await openSimulator({ dir: join(ws.dir, ".hpcs-sim"), instanceId: "pp" });
  const signers = openSigners(["1.sigkey", "2.sigkey"].map((file) => ({ file: join(ws.dir, file), password: ws.env[ADMIN_PASSWORD_ENV] })));
  const [unit1] = await operator.listUnits();
  await operator.setImmediate({ units: [unit1.id], expectedVp: next.vp }, signers);

  const verified = await ws.run(["sim", "verify"]);
  expect(verified.code).toBe(0);
  expect(verified.stdout).toContain("All 10 key storage records of pp decrypt");

  const refused = await ws.run(["rotate", "--instance", "pp", ...next.flags, ...SIGNER_FLAGS, "--yes"]);
  expect(refused.code).toBe(1);
  expect(refused.stdout + refused.stderr).toContain("refused (PromotedBeforeRewrap)");
  expect(refused.stdout + refused.stderr).toContain("4 of 10 records are under it");
  expect(refused.stdout + refused.stderr).not.toContain("Master key rotation successful");

  const json = (await ws.run(["rotate", "--instance", "pp", ...next.flags, ...SIGNER_FLAGS, "--yes", "--json"])).json<{ outcome: string; steps: number; refusal: { code: string; evidence: string[] } }>();
  expect(json).toMatchObject({ outcome: "refused", steps: 0, refusal: { code: "PromotedBeforeRewrap" } });

  const after = await ws.run(["sim", "verify"]);
  expect({ code: after.code, output: explain(after) }).toMatchObject({ code: 0 });
  expect(after.stdout).toContain("All 10 key storage records of pp decrypt");
}, 120_000);
