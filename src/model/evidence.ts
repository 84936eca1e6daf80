import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { createPublicKey } from "node:crypto";
import { z } from "zod";
import { subjectKeyIdentifier, verifySignature, type SignatureKey } from "./signature-key-file";

/**
 * Evidence of a key ceremony: an append-only, hash-linked log of what each run saw and did, for auditors. One file per
 * ceremony (a rotation and every run that resumed it), one line per entry:
 *
 *   {"hash":"<SHA-256 of the entry's text, hex>","entry":<the entry's JSON text>}
 *
 * The hash covers the entry's exact bytes, and every entry carries the hash of the one before it (`prev`; zeros for
 * the first), so changing, inserting, removing or reordering any byte is seen by `verifyEvidence`, which names the
 * first entry whose link breaks. Nothing secret is ever recorded: VPs, SHA-256s of key part files, SKIs, the
 * commands and their redacted transcripts.
 */
export const EVIDENCE_SCHEMA = "hpcs-mk.evidence/1";
export const GENESIS = "0".repeat(64);

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const vp = hex64;
const register = z.object({ status: z.string(), vp });

const unitSeen = z.object({ id: z.string(), type: z.string(), selected: z.boolean(), current: register, new: register });

export const evidenceEventSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("run"),
    /** The ceremony this file records: the rotation's id once one started. */
    ceremony: z.string(),
    /** Who ran it: the command line or the Pulumi operation. */
    shell: z.enum(["hpcs-mk", "pulumi"]),
    command: z.string(),
    instanceId: z.string(),
    backend: z.object({ description: z.string(), identity: z.string(), version: z.string().nullable() }),
    tool: z.object({ name: z.string(), version: z.string() }),
    declared: z.object({
      source: z.enum(["keyParts", "recoveryUnit"]),
      vp: vp.nullable(),
      /** SHA-256s of the declared key part files (Activity Tracker's `masterKeyIds`). */
      keyPartSha256s: z.array(hex64),
    }),
    /** SKIs of the signature keys the run was given (public identifiers). */
    signerSkis: z.array(z.string()),
    /** An operator's attestation that key storage is entirely under a VP (`--attest-rewrap-complete`). */
    attestations: z.array(z.object({ vp, code: z.string() })),
  }),
  z.object({
    type: z.literal("observed"),
    phase: z.string(),
    units: z.array(unitSeen),
    rewrap: z.object({ state: z.string(), targetVp: vp.nullable(), done: z.number().int().nullable(), total: z.number().int().nullable() }),
  }),
  z.object({
    type: z.literal("step"),
    action: z.string(),
    units: z.array(z.string()),
    vp: vp.nullable(),
    reason: z.string(),
    /** The TKE CLI command the step stands for (none for a journal-only step). */
    tkeCommand: z.string().nullable(),
    /** The Activity Tracker events IBM documents for what the step does to the registers. */
    activityTracker: z.array(z.string()),
  }),
  z.object({ type: z.literal("stepDone"), action: z.string(), units: z.array(z.string()), durationMs: z.number().int() }),
  z.object({ type: z.literal("keyGenerated"), vp }),
  z.object({ type: z.literal("delaying"), vp: vp.nullable() }),
  z.object({ type: z.literal("rewrapMarker"), vp: vp.nullable() }),
  z.object({ type: z.literal("keyLearned"), vp, current: z.boolean() }),
  z.object({ type: z.literal("retry"), attempt: z.number().int(), message: z.string() }),
  z.object({ type: z.literal("transcript"), command: z.string(), startedAt: z.string(), endedAt: z.string(), exitCode: z.number().int().nullable(), text: z.string() }),
  z.object({ type: z.literal("refused"), code: z.string(), message: z.string(), units: z.array(z.string()), manualSteps: z.array(z.string()), evidence: z.array(z.string()) }),
  z.object({ type: z.literal("outcome"), outcome: z.enum(["done", "refused", "failed"]), vp: vp.nullable(), message: z.string().nullable(), steps: z.number().int() }),
  /**
   * An administrator's signature (ECDSA P-521, SHA-512) over the hash of the entry before it, when the user asked for
   * one: the record up to there is theirs, and nobody without their key can rewrite it and sign again.
   */
  z.object({ type: z.literal("signature"), ski: z.string(), publicKey: z.string(), signs: hex64, signature: z.string() }),
]);
export type EvidenceEvent = z.infer<typeof evidenceEventSchema>;

export const evidenceEntrySchema = z.object({
  schema: z.literal(EVIDENCE_SCHEMA),
  /** Position in the file, from 0. */
  seq: z.number().int().nonnegative(),
  at: z.string(),
  /** The run that wrote it: one record per run. */
  run: z.string(),
  prev: hex64,
  event: evidenceEventSchema,
});
export type EvidenceEntry = z.infer<typeof evidenceEntrySchema>;

const PREFIX = '{"hash":"';
const MIDDLE = '","entry":';

export function hashText(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}

/** One line of the log for `entry` (without its newline), and the hash the next entry links to. */
export function sealEntry(entry: EvidenceEntry): { line: string; hash: string } {
  const text = JSON.stringify(evidenceEntrySchema.parse(entry));
  const hash = hashText(text);
  return { line: `${PREFIX}${hash}${MIDDLE}${text}}`, hash };
}

/** The bytes an evidence signature signs: the hash of the entry it follows. */
export function signedText(hash: string): Uint8Array {
  return utf8ToBytes(`hpcs-mk evidence ${hash}`);
}

/** A signature entry over `head` (the hash of the entry it follows), made with an administrator's key. */
export function signatureEvent(head: string, key: SignatureKey): EvidenceEvent {
  return { type: "signature", ski: key.ski, publicKey: key.publicKey, signs: head, signature: Buffer.from(key.sign(signedText(head))).toString("base64") };
}

function signatureProblem(event: Extract<EvidenceEvent, { type: "signature" }>, prev: string): string | undefined {
  if (event.signs !== prev) return "its signature is over another entry than the one before it";
  let ski: string;
  try {
    ski = subjectKeyIdentifier(createPublicKey({ key: Buffer.from(event.publicKey, "base64"), format: "der", type: "spki" }));
  } catch {
    return "its signature's public key is not an EC P-521 key";
  }
  if (ski !== event.ski) return "its signature's public key does not have the SKI it names";
  return verifySignature(event.publicKey, signedText(event.signs), Buffer.from(event.signature, "base64")) ? undefined : "its signature does not verify";
}

export interface VerifiedEvidence {
  readonly entries: readonly (EvidenceEntry & { readonly hash: string })[];
  /** The first entry that does not verify: its line (from 1), its seq as far as it can be read, and why. */
  readonly broken?: { readonly line: number; readonly reason: string };
  /** The hash of the last entry that verified (GENESIS for none): what the next entry links to. */
  readonly head: string;
}

/** Reads a log and checks every link; stops at the first entry that does not verify. Pure. */
export function verifyEvidence(text: string): VerifiedEvidence {
  const entries: (EvidenceEntry & { hash: string })[] = [];
  let head = GENESIS;
  const lines = text.split("\n");
  // What follows the last newline: nothing in a whole file.
  const tail = lines.pop() ?? "";
  for (const [index, line] of lines.entries()) {
    const fail = (reason: string): VerifiedEvidence => ({ entries, head, broken: { line: index + 1, reason: `entry ${index}: ${reason}` } });
    if (!line.startsWith(PREFIX) || line.slice(PREFIX.length + 64, PREFIX.length + 64 + MIDDLE.length) !== MIDDLE || !line.endsWith("}")) return fail("not an evidence line");
    const stated = line.slice(PREFIX.length, PREFIX.length + 64);
    const text = line.slice(PREFIX.length + 64 + MIDDLE.length, -1);
    if (hashText(text) !== stated) return fail("its content does not match its hash: the entry was changed");
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return fail("its content is not JSON");
    }
    const entry = evidenceEntrySchema.safeParse(parsed);
    if (!entry.success) return fail(`it is not an entry of ${EVIDENCE_SCHEMA}: ${entry.error.issues[0]?.path.join(".")} ${entry.error.issues[0]?.message}`);
    if (entry.data.seq !== index) return fail(`it says it is entry ${entry.data.seq}: an entry was removed, inserted or moved`);
    if (entry.data.prev !== head) return fail("its link does not match the entry before it: an entry before it was changed, removed or inserted");
    const unsigned = entry.data.event.type === "signature" ? signatureProblem(entry.data.event, head) : undefined;
    if (unsigned) return fail(unsigned);
    head = stated;
    entries.push({ ...entry.data, hash: stated });
  }
  if (tail !== "") return { entries, head, broken: { line: lines.length + 1, reason: `entry ${lines.length}: the last line has no newline: a write was cut short, or the file was edited` } };
  return { entries, head };
}
