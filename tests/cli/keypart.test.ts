import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readKeyPartFile } from "../../src/files/key-parts";
import { openKeyPart, sealKeyPart } from "../../src/model/key-part-file";
import { TEST_SCRYPT } from "../helpers/sim-fixture";
import { verificationPattern } from "../../src/model/vp";
import { workspacePerTest } from "./workspace";

/** keypart create / show as a user runs them: real processes, real files, secrets only in the environment. */

const ws = workspacePerTest();

test("keypart create seals a given value under the password, prints its VP and never the value; keypart show lists it without a password", async () => {
  const value = randomBytes(32);
  ws.secret("KP_VALUE", value.toString("hex"));
  ws.secret("KP_PW", "correct horse battery staple");
  const created = await ws.run(["keypart", "create", "--out", "part1.json", "--description", "first part", "--value-env", "KP_VALUE", "--password-env", "KP_PW"]);
  expect(created.code).toBe(0);
  const vp = verificationPattern(value);
  expect(created.stdout).toContain("A key part was created: part1.json");
  expect(created.stdout).toContain(vp.slice(0, 32));

  const opened = openKeyPart(readKeyPartFile(join(ws.dir, "part1.json")), "correct horse battery staple", "part1.json");
  expect(Buffer.from(opened.value).equals(value)).toBe(true);

  const shown = await ws.run(["keypart", "show", "part1.json", "--json"]);
  expect(shown.code).toBe(0);
  expect(shown.json()).toEqual({
    schemaVersion: 1,
    command: "keypart show",
    outcome: "ok",
    keyParts: [{ keynum: 1, file: "part1.json", description: "first part", verificationPattern: vp }],
  });
});

test("keypart create makes a random part by default, and refuses to overwrite any existing file", async () => {
  ws.secret("KP_PW", "pw-one");
  const first = await ws.run(["keypart", "create", "--out", "kp.json", "--password-env", "KP_PW", "--json"]);
  expect(first.code).toBe(0);
  const report = first.json<{ verificationPattern: string; source: string; description: string }>();
  expect(report).toMatchObject({ schemaVersion: 1, command: "keypart create", outcome: "ok", file: "kp.json", description: "kp", source: "random" });
  const before = readFileSync(join(ws.dir, "kp.json"), "utf8");

  const again = await ws.run(["keypart", "create", "--out", "kp.json", "--password-env", "KP_PW"]);
  expect(again.code).toBe(1);
  expect(again.stderr).toContain("kp.json already exists; key part files are never overwritten");
  expect(readFileSync(join(ws.dir, "kp.json"), "utf8")).toBe(before);

  writeFileSync(join(ws.dir, "notes.txt"), "not a key part");
  const other = await ws.run(["keypart", "create", "--out", "notes.txt", "--password-env", "KP_PW"]);
  expect(other.code).toBe(1);
  expect(readFileSync(join(ws.dir, "notes.txt"), "utf8")).toBe("not a key part");
});

test("without a terminal and without --password-env, keypart create is a usage error naming the flag, and writes nothing", async () => {
  const result = await ws.run(["keypart", "create", "--out", "kp.json"]);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain("stdin is not a terminal, so it cannot be prompted for; add --password-env VAR");
  expect(() => readFileSync(join(ws.dir, "kp.json"))).toThrow();
});

test("a value that is not 64 hex characters is refused without echoing it", async () => {
  ws.secret("KP_VALUE", "abcdef0123-not-hex-at-all-secretish");
  ws.secret("KP_PW", "pw");
  const result = await ws.run(["keypart", "create", "--out", "kp.json", "--value-env", "KP_VALUE", "--password-env", "KP_PW"]);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain("the key part value must be 64 hexadecimal characters (32 bytes); the value given is not");
});

test("a value typed on the command line is refused and not echoed", async () => {
  const value = randomBytes(32).toString("hex");
  ws.secret("UNUSED", value);
  const result = await ws.run(["keypart", "create", "--out", "kp.json", "--value", value]);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain("unexpected argument (a long hex string, not shown)");
});

test("keypart show reports files it cannot read and exits 1, still listing the good ones", async () => {
  ws.secret("KP_PW", "pw");
  expect((await ws.run(["keypart", "create", "--out", "good.json", "--password-env", "KP_PW"])).code).toBe(0);
  writeFileSync(join(ws.dir, "bad.json"), "{ nope");
  const result = await ws.run(["keypart", "show", "good.json", "missing.json", "bad.json"]);
  expect(result.code).toBe(1);
  expect(result.stdout).toMatch(/^KEYNUM {3}DESCRIPTION {3}VERIFICATION PATTERN/);
  expect(result.stdout).toContain("good.json");
  expect(result.stdout).toContain("FAILED KEYNUM 2: key part file missing.json: does not exist");
  expect(result.stdout).toContain("FAILED KEYNUM 3: key part file bad.json: is not JSON");
});

test("a new password ending in a line break (echo \"$PW\" > …) is refused before anything is written: no typed password could open the part", async () => {
  ws.secret("KP_PW", "correct horse\n");
  const result = await ws.run(["keypart", "create", "--out", "kp.json", "--password-env", "KP_PW"]);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain("the password in KP_PW ends with a line break (set it with printf '%s' or echo -n); no typed password could match it; nothing was written");
  expect(() => readFileSync(join(ws.dir, "kp.json"))).toThrow();
});

test("a new password with a control character is refused, and so is a description with one", async () => {
  ws.secret("KP_PW", "pass\u0007word");
  const bell = await ws.run(["keypart", "create", "--out", "kp.json", "--password-env", "KP_PW"]);
  expect(bell.code).toBe(1);
  expect(bell.stderr).toContain("the password in KP_PW holds a control or bidirectional formatting character");
  ws.secret("KP_PW2", "fine password");
  const described = await ws.run(["keypart", "create", "--out", "kp.json", "--password-env", "KP_PW2", "--description", "part\u001b[2J one"]);
  expect(described.code).toBe(1);
  expect(described.stderr).toContain("--description must not hold control or bidirectional formatting characters");
});

test("keypart show and the password prompt show a hostile file's description with its control and bidi characters escaped", async () => {
  const hostile = sealKeyPart(new Uint8Array(randomBytes(32)), "pw", { description: "evil\u001b[2J\u202Etxt.exe", cost: TEST_SCRYPT });
  writeFileSync(join(ws.dir, "hostile.json"), JSON.stringify(hostile));
  const shown = await ws.run(["keypart", "show", "hostile.json"]);
  expect(shown.code).toBe(0);
  expect(shown.stdout).toContain("evil\\u{1b}[2J\\u{202e}txt.exe");
  expect(shown.stdout.includes("\u001b") || shown.stdout.includes("\u202e")).toBe(false);
});
