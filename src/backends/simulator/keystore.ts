import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { isVp, type Vp } from "../../model/vp";
import { writeFileAtomic } from "../../files/atomic-file";
import type { InstanceState } from "./instance-state";
import { readJsonFile, SimulatorStateError } from "./state-store";

/**
 * Simulated key storage (KMS root keys): records really encrypted with AES-256-GCM under a key derived from the
 * master key (HKDF-SHA256, fixed info string), the record id as additional data. Each record carries the VP of the
 * master key it is wrapped under. Records live in chunk files of `chunkSize` records, so a rewrap rewrites one
 * chunk at a time and never holds all plaintext in memory.
 */
export const DEFAULT_CHUNK_SIZE = 1000;
/** A chunk is rewrapped in one locked transaction: this keeps it to a small fraction of the lock's 5 s stale time. */
export const MAX_CHUNK_SIZE = 5000;
const HKDF_INFO = "hpcs-sim key storage record wrapping v1";
const RECORD_KEY_BYTES = 32;

export interface KeystoreRecord {
  readonly id: string;
  /** The VP of the master key the record is wrapped under. */
  readonly vp: Vp;
  /** Hex: 12-byte GCM nonce, 32-byte ciphertext, 16-byte tag. */
  readonly nonce: string;
  readonly ciphertext: string;
  readonly tag: string;
}

const HEX_FIELDS = { nonce: 24, ciphertext: RECORD_KEY_BYTES * 2, tag: 32 } as const;
const HEX = /^[0-9a-f]*$/;

/**
 * What is wrong with a parsed record, or undefined. Hand-written rather than a zod schema: chunks are read on every
 * rewrap step and every invariant check, and this is ten times faster on 100,000 records.
 */
function recordProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return "is not an object";
  const r = value as Record<string, unknown>;
  if (typeof r.id !== "string" || r.id.length === 0) return "id: expected a non-empty string";
  if (!isVp(r.vp)) return "vp: expected a verification pattern";
  for (const [field, length] of Object.entries(HEX_FIELDS)) {
    const v = r[field];
    if (typeof v !== "string" || v.length !== length || !HEX.test(v)) return `${field}: expected ${length / 2} bytes as lower-case hex`;
  }
  return undefined;
}

/** The record wrapping key of a master key. The caller zeroes it when done. */
export function recordWrappingKey(masterKey: Uint8Array): Buffer {
  return Buffer.from(hkdfSync("sha256", masterKey, Buffer.alloc(0), HKDF_INFO, 32));
}

export function sealRecord(id: string, plaintext: Uint8Array, wrappingKey: Uint8Array, vp: Vp): KeystoreRecord {
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", wrappingKey, nonce);
  cipher.setAAD(Buffer.from(id, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { id, vp, nonce: nonce.toString("hex"), ciphertext: ciphertext.toString("hex"), tag: cipher.getAuthTag().toString("hex") };
}

/** Decrypts a record; throws when the key is not the one it was wrapped under or the record was altered. */
export function openRecord(record: KeystoreRecord, wrappingKey: Uint8Array): Buffer {
  const decipher = createDecipheriv("aes-256-gcm", wrappingKey, Buffer.from(record.nonce, "hex"));
  decipher.setAAD(Buffer.from(record.id, "utf8"));
  decipher.setAuthTag(Buffer.from(record.tag, "hex"));
  return Buffer.concat([decipher.update(Buffer.from(record.ciphertext, "hex")), decipher.final()]);
}

/** rewrapRecord — decrypt under one master key, encrypt under another (what the HSM does inside REENCRYPT). */
export function rewrapRecord(record: KeystoreRecord, from: Uint8Array, to: Uint8Array, toVp: Vp): KeystoreRecord {
  const plaintext = openRecord(record, from);
  try {
    return sealRecord(record.id, plaintext, to, toVp);
  } finally {
    plaintext.fill(0);
  }
}

/**
 * Keyring — the record wrapping keys of every master key some register of the instance holds, by VP. Built from a
 * state snapshot; `close` zeroes the derived keys.
 */
export class Keyring {
  private readonly keys = new Map<Vp, Buffer>();

  constructor(state: InstanceState) {
    for (const unit of state.units) {
      for (const register of [unit.current, unit.new]) {
        if (register.status !== "Empty" && !this.keys.has(register.vp)) {
          const master = Buffer.from(register.key, "hex");
          this.keys.set(register.vp, recordWrappingKey(master));
          master.fill(0);
        }
      }
    }
  }

  get(vp: Vp): Buffer | undefined {
    return this.keys.get(vp);
  }

  close(): void {
    this.keys.forEach((k) => k.fill(0));
    this.keys.clear();
  }
}

export function readChunk(file: string): KeystoreRecord[] {
  const json = readJsonFile(file) as { records?: unknown };
  if (typeof json !== "object" || json === null || !Array.isArray(json.records)) throw new SimulatorStateError(file, "is damaged: expected {\"records\": [...]}");
  json.records.forEach((record: unknown, index: number) => {
    const problem = recordProblem(record);
    if (problem) throw new SimulatorStateError(file, `is damaged: records[${index}] ${problem}`);
  });
  return json.records as KeystoreRecord[];
}

export function serializeChunk(records: readonly KeystoreRecord[]): string {
  return `{"records":[\n${records.map((r) => JSON.stringify(r)).join(",\n")}\n]}\n`;
}

/**
 * writeNewRecords — fills key storage with `count` random 32-byte root keys wrapped under `masterKey`, chunk by
 * chunk. `fileFor(i)` names chunk i. Returns the number of chunks written.
 */
export function writeNewRecords(count: number, chunkSize: number, masterKey: Uint8Array, vp: Vp, fileFor: (index: number) => string): number {
  const wrappingKey = recordWrappingKey(masterKey);
  const chunks = Math.ceil(count / chunkSize);
  try {
    for (let index = 0; index < chunks; index++) {
      const size = Math.min(chunkSize, count - index * chunkSize);
      const records = Array.from({ length: size }, () => {
        const rootKey = randomBytes(RECORD_KEY_BYTES);
        const record = sealRecord(`crk-${randomUUID()}`, rootKey, wrappingKey, vp);
        rootKey.fill(0);
        return record;
      });
      const file = fileFor(index);
      mkdirSync(dirname(file), { recursive: true });
      writeFileAtomic(file, serializeChunk(records));
    }
  } finally {
    wrappingKey.fill(0);
  }
  return chunks;
}
