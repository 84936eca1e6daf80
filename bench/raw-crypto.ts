import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from "node:crypto";

/**
 * The yardstick for the simulator's rewrap: raw AES-256-GCM in this process, on records of the simulator's size
 * (32-byte root key, 12-byte nonce, 16-byte tag, the record id `crk-<uuid>` as additional data). One rewrap is one
 * decrypt under the old key and one encrypt under the new key with a fresh nonce, as `rewrapRecord` does, without
 * the simulator's hex, JSON, files, lock and signature checks.
 */
interface SealedRecord {
  readonly aad: Buffer;
  readonly nonce: Buffer;
  readonly ciphertext: Buffer;
  readonly tag: Buffer;
}

function seal(key: Buffer, aad: Buffer, plaintext: Buffer): SealedRecord {
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { aad, nonce, ciphertext, tag: cipher.getAuthTag() };
}

function open(key: Buffer, record: SealedRecord): Buffer {
  const decipher = createDecipheriv("aes-256-gcm", key, record.nonce);
  decipher.setAAD(record.aad);
  decipher.setAuthTag(record.tag);
  return Buffer.concat([decipher.update(record.ciphertext), decipher.final()]);
}

/**
 * rawRewrapMs — milliseconds to rewrap `count` records with node:crypto alone. A batch of 1,000 records (the
 * simulator's chunk size) is prepared beforehand and rewrapped back and forth between two keys until `count` records
 * are done, so the figure is crypto, not the garbage collector tracing 100,000 live records.
 */
export function rawRewrapMs(count: number): number {
  const keys = [randomBytes(32), randomBytes(32)];
  const batch = Array.from({ length: Math.min(count, 1000) }, () => seal(keys[0], Buffer.from(`crk-${randomUUID()}`, "utf8"), randomBytes(32)));
  const started = performance.now();
  for (let done = 0, pass = 0; done < count; pass++) {
    const [from, to] = pass % 2 === 0 ? [keys[0], keys[1]] : [keys[1], keys[0]];
    for (let i = 0; i < batch.length && done < count; i++, done++) {
      const plaintext = open(from, batch[i]);
      batch[i] = seal(to, batch[i].aad, plaintext);
      plaintext.fill(0);
    }
  }
  return performance.now() - started;
}
