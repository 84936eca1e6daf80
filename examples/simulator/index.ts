import * as pulumi from "@pulumi/pulumi";
import { MasterKey } from "pulumi-hpcs-masterkey";

// Which instance, which key parts and which administrators' signature keys: all from stack config, the passwords
// as secrets (pulumi config set --secret --path 'keyPartPasswords[0]' …).
const cfg = new pulumi.Config();
const instanceId = cfg.require("instanceId");
const keyPartFiles = cfg.requireObject<string[]>("keyPartFiles");
const keyPartPasswords = cfg.requireSecretObject<string[]>("keyPartPasswords");
const signatureKeyFiles = cfg.requireObject<string[]>("signatureKeyFiles");
const signatureKeyPasswords = cfg.requireSecretObject<string[]>("signatureKeyPasswords");

const pick = (passwords: pulumi.Output<string[]>, i: number) => passwords.apply((p) => p[i]);

const masterKey = new MasterKey(
  "prod-mk",
  {
    instanceId,
    keyParts: [
      { file: keyPartFiles[0], password: pick(keyPartPasswords, 0) },
      { file: keyPartFiles[1], password: pick(keyPartPasswords, 1) },
      ...keyPartFiles.slice(2).map((file, i) => ({ file, password: pick(keyPartPasswords, i + 2) })),
    ],
    signatureKeys: signatureKeyFiles.map((file, i) => ({ file, password: pick(signatureKeyPasswords, i) })),
    expectedVerificationPattern: cfg.get("expectedVerificationPattern"),
    // Only to finish a repair the engine refused for want of proof: the value its refusal printed (then remove it).
    attestRewrapComplete: cfg.get("attestRewrapComplete"),
    // The rotation policy: a rotation falls due this many days after the key became current. A due rotation is drift
    // (pulumi preview --expect-no-changes fails) and says what the key custodians do; it never fails pulumi up.
    rotationPeriodDays: cfg.getNumber("rotationPeriodDays"),
  },
  // A master key is never something to delete by accident.
  { protect: cfg.getBoolean("protect") ?? true },
);

export const verificationPattern = masterKey.verificationPattern;
export const phase = masterKey.phase;
export const lastRotatedAt = masterKey.lastRotatedAt;
export const keyAge = masterKey.keyAge;
export const rotationDueAt = masterKey.rotationDueAt;
export const driftReasons = masterKey.driftReasons;
export const units = masterKey.units;
