import { createCipheriv, createHash, generateKeyPairSync, pbkdf2Sync, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSigners } from "../../src/files/signature-keys";
import { InputError, SignatureKeyFileError, type SignatureKeyFileProblem } from "../../src/model/errors";
import {
  createSignatureKeyFile,
  openSignatureKey,
  parseSignatureKeyFile,
  subjectKeyIdentifier,
  verifySignature,
  type SignatureKeyFile,
} from "../../src/model/signature-key-file";

const PASSWORD = "sigkey password";

function problemOf(fn: () => unknown): SignatureKeyFileProblem | string {
  try {
    fn();
  } catch (e) {
    return e instanceof SignatureKeyFileError ? e.problem : `unexpected ${String(e)}`;
  }
  return "no error";
}

/** Seals arbitrary PEM text the way TKE does (PBKDF2-SHA256 4096 + AES-256-GCM, nonce ‖ ciphertext ‖ tag). */
function sealPem(pem: string, password: string, fields: Partial<SignatureKeyFile> = {}): SignatureKeyFile {
  const salt = randomBytes(32).toString("hex");
  const key = pbkdf2Sync(password, Buffer.from(salt, "hex"), 4096, 32, "sha256");
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  const enckey = Buffer.concat([nonce, cipher.update(pem, "utf8"), cipher.final(), cipher.getAuthTag()]).toString("hex");
  return { ski: "ab".repeat(32), keyType: "p521ec", seaSalt: salt, enckey, ...fields };
}

function pemOf(der: Buffer): string {
  return `-----BEGIN PRIVATE KEY-----\n${der.toString("base64")}\n-----END PRIVATE KEY-----\n`;
}

describe("TKE signature key files", () => {
  let file: SignatureKeyFile;
  beforeAll(() => {
    file = createSignatureKeyFile(PASSWORD);
  });

  test("a created file has the public TKE fields and opens with its password", () => {
    expect(Object.keys(file).sort()).toEqual(["enckey", "keyType", "seaSalt", "ski"]);
    expect(file.keyType).toBe("p521ec");
    expect(file.seaSalt).toMatch(/^[0-9a-f]{64}$/);
    const key = openSignatureKey(parseSignatureKeyFile(JSON.stringify(file), "1.sigkey"), PASSWORD, "1.sigkey");
    expect(key.ski).toBe(file.ski);
  });

  test("the SKI is SHA-256 of the uncompressed P-521 point", () => {
    const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-521" });
    const spki = publicKey.export({ format: "der", type: "spki" });
    // The uncompressed point 04‖X‖Y is the last 133 bytes of a P-521 SPKI.
    expect(subjectKeyIdentifier(publicKey)).toBe(createHash("sha256").update(spki.subarray(spki.length - 133)).digest("hex"));
  });

  test("a signature made with the key verifies with its public key and fails on other data", () => {
    const key = openSignatureKey(file, PASSWORD, "1.sigkey");
    const data = Buffer.from("cryptounit-mk-commit");
    const signature = key.sign(data);
    expect(verifySignature(key.publicKey, data, signature)).toBe(true);
    expect(verifySignature(key.publicKey, Buffer.from("cryptounit-mk-setimm"), signature)).toBe(false);
    expect(verifySignature("not a key", data, signature)).toBe(false);
  });

  test("upper-case SKIs from other tools are accepted", () => {
    const key = openSignatureKey({ ...file, ski: file.ski.toUpperCase() }, PASSWORD, "1.sigkey");
    expect(key.ski).toBe(file.ski);
  });

  test("unknown extra fields that TKE may write are kept and ignored", () => {
    const parsed = parseSignatureKeyFile(JSON.stringify({ ...file, adminName: "ADMIN1" }), "1.sigkey");
    expect(parsed.adminName).toBe("ADMIN1");
  });

  const cases: { name: string; text: () => string; password?: string; problem: SignatureKeyFileProblem }[] = [
    { name: "a wrong password", text: () => JSON.stringify(file), password: "wrong", problem: "wrongPassword" },
    { name: "a tampered enckey", text: () => JSON.stringify({ ...file, enckey: file.enckey.slice(0, 60) + (file.enckey[60] === "0" ? "1" : "0") + file.enckey.slice(61) }), problem: "wrongPassword" },
    { name: "text that is not JSON", text: () => "{", problem: "malformed" },
    { name: "a missing ski", text: () => JSON.stringify({ ...file, ski: undefined }), problem: "malformed" },
    { name: "a short ski", text: () => JSON.stringify({ ...file, ski: "abcd" }), problem: "malformed" },
    { name: "an enckey too short to hold a key", text: () => JSON.stringify({ ...file, enckey: "00".repeat(20) }), problem: "malformed" },
    { name: "an RSA key type", text: () => JSON.stringify({ ...file, keyType: "rsa2048" }), problem: "unsupportedKeyType" },
    { name: "an SKI that belongs to another key", text: () => JSON.stringify({ ...file, ski: "cd".repeat(32) }), problem: "skiMismatch" },
    { name: "a plaintext without a PEM block", text: () => JSON.stringify(sealPem("hello", PASSWORD)), problem: "malformed" },
    { name: "a PEM block that is not an EC key", text: () => JSON.stringify(sealPem(pemOf(Buffer.from("garbage")), PASSWORD)), problem: "malformed" },
  ];
  test.each(cases)("$name is reported as $problem", ({ text, password, problem }) => {
    expect(problemOf(() => openSignatureKey(parseSignatureKeyFile(text(), "2.sigkey"), password ?? PASSWORD, "2.sigkey"))).toBe(problem);
  });

  test("errors name the file", () => {
    expect(() => parseSignatureKeyFile("{", "keys/3.sigkey")).toThrow(/signature key file keys\/3\.sigkey/);
  });
});

describe("opening signers from files", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "sigkeys-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, password: string) => {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(createSignatureKeyFile(password)));
    return { file, password };
  };

  test("distinct files give distinct signers", () => {
    const signers = openSigners([write("1.sigkey", "a"), write("2.sigkey", "b")]);
    expect(new Set(signers.keys.map((k) => k.ski)).size).toBe(2);
  });

  test("no signature key at all is refused", () => {
    expect(() => openSigners([])).toThrow(expect.objectContaining({ field: "signatureKeys" }));
  });

  test("the same key twice is refused as not unique", () => {
    const a = write("dup.sigkey", "a");
    expect(() => openSigners([a, a])).toThrow(InputError);
    expect(() => openSigners([a, a])).toThrow(/Signature keys are not unique/);
  });

  test("a missing file is unreadable", () => {
    expect(problemOf(() => openSigners([{ file: join(dir, "9.sigkey"), password: "x" }]))).toBe("unreadable");
  });
});
