import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { desiredVp, openKeyParts, readKeyPartFile } from "../../src/files/key-parts";
import { InputError, KeyPartFileError, type KeyPartFileProblem } from "../../src/model/errors";
import { masterKeyVp } from "../../src/model/key-parts";
import { DEFAULT_SCRYPT, openKeyPart, parseKeyPartFile, sealKeyPart, type KeyPartFile } from "../../src/model/key-part-file";
import { verificationPattern } from "../../src/model/vp";
import { TEST_SCRYPT } from "../helpers/sim-fixture";

const PASSWORD = "correct horse battery staple";
const value = new Uint8Array(32).map((_, i) => (i * 7 + 3) & 0xff);

function problemOf(fn: () => unknown): KeyPartFileProblem | string {
  try {
    fn();
  } catch (e) {
    if (e instanceof KeyPartFileError) return e.problem;
    return `unexpected ${String(e)}`;
  }
  return "no error";
}

/** Flips one hex digit of a string field. */
function flip(hex: string, at = 0): string {
  return hex.slice(0, at) + (hex[at] === "0" ? "1" : "0") + hex.slice(at + 1);
}

describe("key part files", () => {
  let sealed: KeyPartFile;
  beforeAll(() => {
    sealed = sealKeyPart(value, PASSWORD, { description: "part one", cost: TEST_SCRYPT });
  });

  test("a sealed part opens with its password to the same value and VP", () => {
    const parsed = parseKeyPartFile(JSON.stringify(sealed), "kp1.json");
    const opened = openKeyPart(parsed, PASSWORD, "kp1.json");
    expect(Buffer.from(opened.value)).toEqual(Buffer.from(value));
    expect(opened.vp).toBe(verificationPattern(value));
    expect(parsed.verificationPattern).toBe(verificationPattern(value));
  });

  test("the file holds neither the value nor the password in clear", () => {
    const text = JSON.stringify(sealed);
    expect(text).not.toContain(Buffer.from(value).toString("hex"));
    expect(text).not.toContain(PASSWORD);
  });

  test("sealing with the same salt and nonce is reproducible", () => {
    const opts = { description: "d", cost: TEST_SCRYPT, salt: new Uint8Array(16).fill(1), nonce: new Uint8Array(12).fill(2) };
    expect(sealKeyPart(value, PASSWORD, opts)).toEqual(sealKeyPart(value, PASSWORD, opts));
  });

  test("sealing refuses a value that is not 32 bytes and an empty password", () => {
    expect(() => sealKeyPart(new Uint8Array(31), PASSWORD, { description: "", cost: TEST_SCRYPT })).toThrow(RangeError);
    expect(() => sealKeyPart(value, "", { description: "", cost: TEST_SCRYPT })).toThrow(RangeError);
  });

  test("a wrong password is reported as a wrong password, not as tampering", () => {
    expect(problemOf(() => openKeyPart(parseKeyPartFile(JSON.stringify(sealed), "f"), "wrong", "f"))).toBe("wrongPassword");
  });

  const tampering: { name: string; edit: (f: KeyPartFile) => KeyPartFile }[] = [
    { name: "a changed ciphertext", edit: (f) => ({ ...f, cipher: { ...f.cipher, ciphertext: flip(f.cipher.ciphertext, 5) } }) },
    { name: "a changed tag", edit: (f) => ({ ...f, cipher: { ...f.cipher, tag: flip(f.cipher.tag) } }) },
    { name: "a changed nonce", edit: (f) => ({ ...f, cipher: { ...f.cipher, nonce: flip(f.cipher.nonce) } }) },
    { name: "a changed description", edit: (f) => ({ ...f, description: "someone else's part" }) },
    { name: "a changed verification pattern", edit: (f) => ({ ...f, verificationPattern: flip(f.verificationPattern) }) },
  ];
  test.each(tampering)("$name is detected as tampering", ({ edit }) => {
    const text = JSON.stringify(edit(sealed));
    expect(problemOf(() => openKeyPart(parseKeyPartFile(text, "f"), PASSWORD, "f"))).toBe("tampered");
  });

  const malformed: { name: string; text: () => string; problem: KeyPartFileProblem }[] = [
    { name: "text that is not JSON", text: () => "not json", problem: "malformed" },
    { name: "a JSON array", text: () => "[]", problem: "malformed" },
    { name: "another format", text: () => JSON.stringify({ ...sealed, format: "tke-keypart" }), problem: "malformed" },
    { name: "a missing kdf", text: () => JSON.stringify({ ...sealed, kdf: undefined }), problem: "malformed" },
    { name: "a scrypt N below the floor", text: () => JSON.stringify({ ...sealed, kdf: { ...sealed.kdf, N: 2 ** 13 } }), problem: "malformed" },
    { name: "a scrypt N that is not a power of two", text: () => JSON.stringify({ ...sealed, kdf: { ...sealed.kdf, N: 3 * 2 ** 14 } }), problem: "malformed" },
    { name: "a hostile scrypt N above the ceiling", text: () => JSON.stringify({ ...sealed, kdf: { ...sealed.kdf, N: 2 ** 24 } }), problem: "malformed" },
    { name: "upper-case hex", text: () => JSON.stringify({ ...sealed, passwordCheck: sealed.passwordCheck.toUpperCase() }), problem: "malformed" },
    { name: "a newer format version", text: () => JSON.stringify({ ...sealed, version: 2 }), problem: "unsupportedVersion" },
    { name: "a 31-byte value", text: () => JSON.stringify({ ...sealed, cipher: { ...sealed.cipher, ciphertext: sealed.cipher.ciphertext.slice(2) } }), problem: "wrongLength" },
    { name: "a 33-byte value", text: () => JSON.stringify({ ...sealed, cipher: { ...sealed.cipher, ciphertext: `${sealed.cipher.ciphertext}00` } }), problem: "wrongLength" },
  ];
  test.each(malformed)("$name is refused as $problem before any decryption", ({ text, problem }) => {
    expect(problemOf(() => parseKeyPartFile(text(), "kp.json"))).toBe(problem);
  });

  test("the error names the file and the field", () => {
    expect(() => parseKeyPartFile(JSON.stringify({ ...sealed, kdf: { ...sealed.kdf, salt: "xyz" } }), "parts/kp2.json")).toThrow(/key part file parts\/kp2\.json: field kdf\.salt/);
  });
});

describe("opening key part files from disk", () => {
  let dir: string;
  const values = [new Uint8Array(32).fill(0x11), new Uint8Array(32).fill(0x22), new Uint8Array(32).fill(0x44)];
  const write = (name: string, v: Uint8Array, password: string) => {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(sealKeyPart(v, password, { description: name, cost: TEST_SCRYPT })));
    return { file, password };
  };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "kp-files-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("two or three files make the master key their values make", () => {
    const refs = values.map((v, i) => write(`p${i}.json`, v, `pw${i}`));
    const opened = openKeyParts(refs);
    expect(opened.vp).toBe(masterKeyVp(values));
    opened.close();
    expect(opened.parts.every((p) => p.value.every((b) => b === 0))).toBe(true);
    expect(desiredVp(refs.slice(0, 2))).toBe(masterKeyVp(values.slice(0, 2)));
  });

  test("a missing file is unreadable and named", () => {
    expect(problemOf(() => readKeyPartFile(join(dir, "nope.json")))).toBe("unreadable");
    expect(() => readKeyPartFile(join(dir, "nope.json"))).toThrow(/nope\.json: does not exist/);
  });

  test.each([
    { name: "one part", count: 1, field: "keyParts" },
    { name: "four parts", count: 4, field: "keyParts" },
  ])("$name is refused with an InputError on $field", ({ count, field }) => {
    const refs = Array.from({ length: count }, (_, i) => ({ file: join(dir, `x${i}`), password: "p" }));
    expect(() => openKeyParts(refs)).toThrow(expect.objectContaining({ field }));
  });

  test("the same part given twice is refused", () => {
    const a = write("dup.json", values[0], "pw");
    expect(() => openKeyParts([a, a])).toThrow(InputError);
    expect(() => openKeyParts([a, a])).toThrow(/same key part/);
  });

  test("a wrong password on the second file names that file", () => {
    const a = write("ok.json", values[0], "pw-a");
    const b = write("b.json", values[1], "pw-b");
    expect(() => openKeyParts([a, { file: b.file, password: "wrong" }])).toThrow(/b\.json: the password is wrong/);
  });

  test.each([
    { name: "more than 256 MiB of memory", kdf: { N: 2 ** 20, r: 8 }, field: "kdf.N", reason: "more than 256 MiB of memory" },
    { name: "high parallelism", kdf: { p: 16 }, field: "kdf.p", reason: "Too big: expected number to be <=4" },
    { name: "a CPU cost of minutes", kdf: { N: 2 ** 18, r: 8, p: 4 }, field: "kdf.p", reason: "opening the file would take minutes" },
  ])("a file asking for $name is refused before any key derivation, naming the field", ({ kdf, field, reason }) => {
    const sealed = sealKeyPart(value, PASSWORD, { description: "part one", cost: TEST_SCRYPT });
    const hostile = JSON.stringify({ ...sealed, kdf: { ...sealed.kdf, ...kdf } });
    const started = Date.now();
    const error = (() => {
      try {
        parseKeyPartFile(hostile, "kp1.json");
      } catch (e) {
        return e as KeyPartFileError;
      }
    })();
    expect(error?.problem).toBe("malformed");
    expect(error?.message).toContain(`field ${field}: `);
    expect(error?.message).toContain(reason);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  test("new files use scrypt N = 2^17, r = 8, p = 1 unless told otherwise, and a cost the reader would refuse is never written", () => {
    expect(DEFAULT_SCRYPT).toEqual({ N: 2 ** 17, r: 8, p: 1 });
    expect(() => sealKeyPart(value, PASSWORD, { description: "x", cost: { N: 2 ** 20, r: 8, p: 1 } })).toThrow(/more than 256 MiB of memory/);
  });
});
