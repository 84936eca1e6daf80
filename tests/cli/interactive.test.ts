import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ADMIN_PASSWORD_ENV, MAIN, workspacePerTest } from "./workspace";

/**
 * The terminal paths, in a real pseudo-terminal (util-linux `script`): hidden password prompts, and rotate's plan and
 * confirmation. Answers are typed only once their prompt is on the screen, as a person would.
 */
const ws = workspacePerTest();
const REGISTER = join(__dirname, "..", "helpers", "register-ts.js");
const haveScript = process.platform === "linux" && existsSync("/usr/bin/script");

/** Runs hpcs-mk in a pty; each [prompt, answer] pair is answered when the prompt text appears. */
function inTerminal(args: readonly string[], dialogue: readonly (readonly [string, string])[]): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, "-r", REGISTER, MAIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qfec", command, "/dev/null"], { cwd: ws.dir, env: { ...process.env, ...ws.env }, stdio: ["pipe", "pipe", "pipe"] });
    let screen = "";
    let next = 0;
    let seenUpTo = 0;
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.stdout.on("data", (d: Buffer) => {
      screen += d.toString();
      while (next < dialogue.length) {
        const at = screen.indexOf(dialogue[next][0], seenUpTo);
        if (at < 0) break;
        seenUpTo = at + dialogue[next][0].length;
        child.stdin.write(`${dialogue[next][1]}\r`);
        next++;
      }
    });
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, screen });
    });
  });
}

(haveScript ? test : test.skip)("keypart create on a terminal asks for the password twice and never echoes it", async () => {
  ws.secret("TYPED", "typed-in-secret-77");
  const { code, screen } = await inTerminal(["keypart", "create", "--out", "k.json"], [
    ["Enter a password to protect the key part:", "typed-in-secret-77"],
    ["Re-enter the password to confirm:", "typed-in-secret-77"],
  ]);
  expect({ code, screen }).toEqual({ code: 0, screen: expect.stringContaining("A key part was created") });
  expect(existsSync(join(ws.dir, "k.json"))).toBe(true);
  expect(screen).not.toContain("typed-in-secret-77");
});

(haveScript ? test : test.skip)("rotate on a terminal prompts for every password, shows the plan, and changes nothing when the answer is no", async () => {
  const next = ws.keyParts("next");
  expect((await ws.run(["sim", "init", "--instance-id", "t", "--records", "4", "--admin-password-env", ADMIN_PASSWORD_ENV])).code).toBe(0);
  const passwords = (answer: string) =>
    [
      ...next.refs.map((r) => ["Enter the password for key part file", r.password] as const),
      ["Enter the password for the signature key identified by:\r\n1.sigkey", ws.env[ADMIN_PASSWORD_ENV]] as const,
      ["Enter the password for the signature key identified by:\r\n2.sigkey", ws.env[ADMIN_PASSWORD_ENV]] as const,
      ["Answer [y/N]:", answer] as const,
    ];
  const args = ["rotate", "--instance", "t", ...next.refs.flatMap((r) => ["--key-part", r.file]), "--signature-key", "1.sigkey", "--signature-key", "2.sigkey"];

  const declined = await inTerminal(args, passwords("n"));
  expect(declined.code).toBe(1);
  expect(declined.screen).toMatch(/STEP +PHASE +ACTION +UNITS +TKE COMMAND/);
  expect(declined.screen).toContain("cancelled; nothing was changed");
  expect((await ws.run(["status", "--instance", "t", "--json"])).json()).toMatchObject({ phase: { name: "Active" }, units: [{ selected: false }, { selected: false }, { selected: false }, { selected: false }] });

  const accepted = await inTerminal(args, passwords("y"));
  expect(accepted.code).toBe(0);
  expect(accepted.screen).toContain("Master key rotation successful");
  for (const secret of [...next.refs.map((r) => r.password), ws.env[ADMIN_PASSWORD_ENV]]) expect(declined.screen + accepted.screen).not.toContain(secret);
  expect((await ws.run(["status", "--instance", "t", "--json"])).json()).toMatchObject({ phase: { name: "Active", currentVp: next.vp } });
});
