import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openRecord, readChunk, recordWrappingKey, rewrapRecord, sealRecord, serializeChunk } from "../../src/backends/simulator/keystore";
import { SimulatorStateError } from "../../src/backends/simulator/state-store";
import { verificationPattern } from "../../src/model/vp";

describe("key storage records", () => {
  const masterA = new Uint8Array(randomBytes(32));
  const masterB = new Uint8Array(randomBytes(32));
  const keyA = recordWrappingKey(masterA);
  const keyB = recordWrappingKey(masterB);
  const rootKey = randomBytes(32);

  test("the wrapping key is derived from the master key, not the master key itself, and is stable", () => {
    expect(keyA).not.toEqual(Buffer.from(masterA));
    expect(recordWrappingKey(masterA)).toEqual(keyA);
    expect(keyA).not.toEqual(keyB);
  });

  test("a sealed record opens to its root key and carries the master key's VP", () => {
    const record = sealRecord("crk-1", rootKey, keyA, verificationPattern(masterA));
    expect(record.vp).toBe(verificationPattern(masterA));
    expect(openRecord(record, keyA)).toEqual(rootKey);
    expect(record.ciphertext).not.toBe(rootKey.toString("hex"));
  });

  test("a record does not open under another master key", () => {
    const record = sealRecord("crk-1", rootKey, keyA, verificationPattern(masterA));
    expect(() => openRecord(record, keyB)).toThrow();
  });

  test("the record id is authenticated: a record moved to another id does not open", () => {
    const record = sealRecord("crk-1", rootKey, keyA, verificationPattern(masterA));
    expect(() => openRecord({ ...record, id: "crk-2" }, keyA)).toThrow();
  });

  test("rewrapping moves a record to the new master key and keeps its root key and id", () => {
    const record = sealRecord("crk-1", rootKey, keyA, verificationPattern(masterA));
    const moved = rewrapRecord(record, keyA, keyB, verificationPattern(masterB));
    expect(moved).toMatchObject({ id: "crk-1", vp: verificationPattern(masterB) });
    expect(openRecord(moved, keyB)).toEqual(rootKey);
    expect(() => openRecord(moved, keyA)).toThrow();
  });

  describe("chunk files", () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "chunks-"));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    test("a chunk reads back the records it was written with", () => {
      const records = [1, 2, 3].map((i) => sealRecord(`crk-${i}`, rootKey, keyA, verificationPattern(masterA)));
      const file = join(dir, "ok.json");
      writeFileSync(file, serializeChunk(records));
      expect(readChunk(file)).toEqual(records);
    });

    test.each([
      { name: "not JSON", text: "{", detail: /is not valid JSON/ },
      { name: "no records array", text: "{}", detail: /expected \{"records": \[\.\.\.\]\}/ },
      { name: "a short nonce", text: JSON.stringify({ records: [{ id: "a", vp: "ab".repeat(32), nonce: "00", ciphertext: "00".repeat(32), tag: "00".repeat(16) }] }), detail: /records\[0\] nonce: expected 12 bytes/ },
      { name: "a bad VP", text: JSON.stringify({ records: [{ id: "a", vp: "x", nonce: "00".repeat(12), ciphertext: "00".repeat(32), tag: "00".repeat(16) }] }), detail: /records\[0\] vp/ },
    ])("a chunk with $name is reported as damaged, naming the file", ({ name, text, detail }) => {
      const file = join(dir, `${name.replace(/\W/g, "-")}.json`);
      writeFileSync(file, text);
      expect(() => readChunk(file)).toThrow(SimulatorStateError);
      expect(() => readChunk(file)).toThrow(detail);
      expect(() => readChunk(file)).toThrow(file);
    });
  });
});
