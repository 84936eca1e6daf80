import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { ADMIN_PASSWORD_ENV, MAIN, workspacePerTest } from "./workspace";

/** sim show, sim fault and sim verify: the simulator's own commands, driven as a user would. */

const ws = workspacePerTest();

async function init(args: string[] = []): Promise<void> {
  const result = await ws.run(["sim", "init", "--instance-id", "s", "--records", "12", "--admin-password-env", ADMIN_PASSWORD_ENV, ...args]);
  expect(result.code).toBe(0);
}

test("sim init writes the admins' TKE signature key files into the simulator directory's parent, numbered after existing ones", async () => {
  writeFileSync(join(ws.dir, "1.sigkey"), "someone else's key");
  await init(["--admins", "3", "--signature-threshold", "2", "--revocation-threshold", "1", "--failover", "2"]);
  for (const n of [2, 3, 4]) expect(JSON.parse(readFileSync(join(ws.dir, `${n}.sigkey`), "utf8"))).toMatchObject({ keyType: "p521ec", ski: expect.stringMatching(/^[0-9a-f]{64}$/) });
  expect(readFileSync(join(ws.dir, "1.sigkey"), "utf8")).toBe("someone else's key");
  const shown = await ws.run(["sim", "show", "--json"]);
  const report = shown.json<{ units: { num: number; type: string; thresholds: object; admins: { name: string }[]; transactionCounter: number }[] }>();
  expect(report.units.map((u) => u.type)).toEqual(["operational", "operational", "recovery", "recovery", "failover", "failover"]);
  expect(report.units[0]).toMatchObject({ num: 1, thresholds: { signature: 2, revocation: 1 }, transactionCounter: 0, admins: [{ name: "ADMIN2" }, { name: "ADMIN3" }, { name: "ADMIN4" }] });
});

test("sim init defaults to a random master key, and --uninitialized leaves the registers Empty", async () => {
  await init();
  const active = await ws.run(["status", "--instance", "s", "--json"]);
  expect(active.json()).toMatchObject({ phase: { name: "Active" }, rewrap: { state: "none", records: 12 } });
  const fresh = await ws.run(["sim", "init", "--instance-id", "u", "--uninitialized", "--admin-password-env", ADMIN_PASSWORD_ENV, "--json"]);
  expect(fresh.json()).toMatchObject({ masterKey: "none", currentVp: null, records: 0 });
});

test("sim fault arms faults by unit NUM, lists them, and clears them; sim show reports them with the lease and the counters", async () => {
  await init();
  const armed = await ws.run(["sim", "fault", "--kind", "transient", "--command", "queryUnit", "--unit", "2", "--skip", "1", "--times", "3"]);
  expect(armed.code).toBe(0);
  expect(armed.stdout).toMatch(/transient queryUnit on unit 2 +1 +3 +0 +0/);
  await ws.run(["sim", "fault", "--kind", "crashMidRewrap", "--after-records", "5"]);

  const listed = (await ws.run(["sim", "fault", "--list", "--json"])).json<{ faults: { kind: string; unit?: string }[] }>();
  const units = (await ws.run(["sim", "show", "--json"])).json<{ units: { id: string }[] }>().units;
  expect(listed.faults.map((f) => [f.kind, f.unit])).toEqual([["transient", units[1].id], ["crashMidRewrap", undefined]]);

  const shown = await ws.run(["sim", "show"]);
  expect(shown.stdout).toContain("TRANSACTION COUNTER");
  expect(shown.stdout).toContain("transient queryUnit on unit 2");
  expect(shown.stdout).toContain("crash during rewrap after 5 records");
  expect(shown.stdout).toContain("LEASE: free");
  expect(shown.stdout).toContain("KEY STORAGE: 12 records; no rewrap started (1 chunk file)");

  const cleared = await ws.run(["sim", "fault", "--clear"]);
  expect(cleared.stdout).toContain("2 faults cleared in s.");
  expect((await ws.run(["sim", "fault", "--list"])).stdout.trim()).toBe("No faults are armed.");
});

test("sim verify exits 1 and says which records are unreadable when key storage is damaged", async () => {
  await init();
  const chunk = join(ws.dir, ".hpcs-sim", "instances", "s", "keystore", "chunk-00000.json");
  const text = readFileSync(chunk, "utf8");
  const record = JSON.parse(text.split("\n")[1].replace(/,$/, "")) as { tag: string };
  writeFileSync(chunk, text.replace(record.tag, record.tag.replace(/^./, (c) => (c === "0" ? "1" : "0"))));
  const result = await ws.run(["sim", "verify"]);
  expect(result.code).toBe(1);
  expect(result.stdout).toMatch(/^FAILED\nKey storage of s has unreadable records:\n {2}- 1 key storage record tagged [0-9a-f]{12}… \(first: crk-[0-9a-f-]+\) does not decrypt/);
});

test("sim tke-api serves the instance as the TKE API until interrupted, printing what to set in a stack", async () => {
  await init();
  const child = spawn(process.execPath, ["-r", join(__dirname, "../helpers/register-ts.js"), MAIN, "sim", "tke-api", "--json"], { cwd: ws.dir, env: { ...process.env, NO_COLOR: "1", HPCS_SIMULATOR_DIR: "" }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      const found = /pulumi config set hpcs:tkeApiTestEndpoint (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (found && /Ctrl-C stops it\./.test(stderr)) resolve(found[1]);
    });
    child.on("exit", (code) => reject(new Error(`sim tke-api exited with ${code}: ${stderr}`)));
  });
  expect(stderr).toMatch(/pulumi config set hpcs:tkeApiTestRootsFile \S+test-roots\.json/);
  const token = (await (await fetch(`${url}/identity/token`, { method: "POST", body: "grant_type=urn:ibm:params:oauth:grant-type:apikey&apikey=any-key", headers: { "Content-Type": "application/x-www-form-urlencoded" } })).json()) as { access_token: string };
  const hsms = (await (await fetch(`${url}/v1/tke/s/hsms`, { headers: { Authorization: `Bearer ${token.access_token}` } })).json()) as { hsms: unknown[] };
  expect(hsms.hsms).toHaveLength(2);
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  child.kill("SIGINT");
  expect(await exited).toBe(0);
  expect(JSON.parse(stdout)).toMatchObject({ command: "sim tke-api", outcome: "ok", url, requests: { iam: 1, hsms: 1 } });
});
