import * as pulumi from "@pulumi/pulumi";
import { MasterKey } from "pulumi-hpcs-masterkey";

// A master key no key custodian holds parts of: generated in one of the instance's recovery crypto units and copied to
// the others, as IBM's `ibmcloud tke auto-mk-rotate` does. Creating the resource adopts the instance's current key.
const cfg = new pulumi.Config();
const signatureKeyFiles = cfg.requireObject<string[]>("signatureKeyFiles");
const signatureKeyPasswords = cfg.requireSecretObject<string[]>("signatureKeyPasswords");

const masterKey = new MasterKey(
  "prod-mk",
  {
    instanceId: cfg.require("instanceId"),
    recoveryUnitKey: {
      // Change a keeper to rotate now (as Terraform's random_id): e.g. the quarter, or a change ticket.
      keepers: { rotation: cfg.get("rotation") ?? "initial" },
    },
    // And rotate at least once a year: a due rotation shows in pulumi preview, and pulumi up performs it.
    rotationPeriodDays: cfg.getNumber("rotationPeriodDays") ?? 365,
    signatureKeys: signatureKeyFiles.map((file, i) => ({ file, password: signatureKeyPasswords.apply((p) => p[i]) })),
    // Only after an UnknownPendingKey refusal: the pending key the recovery units hold, once you checked it is yours.
    expectedVerificationPattern: cfg.get("expectedVerificationPattern"),
  },
  { protect: cfg.getBoolean("protect") ?? true },
);

export const verificationPattern = masterKey.verificationPattern;
export const phase = masterKey.phase;
export const keyAge = masterKey.keyAge;
export const rotationDueAt = masterKey.rotationDueAt;
export const generatedFor = masterKey.generatedFor;
export const driftReasons = masterKey.driftReasons;
