import { z } from "zod";
import { ATTESTATION_FORMAT, parseAttestation } from "../engine/attestation";
import { isVp, parseVp } from "../model/vp";

/** Pulumi's marker for a value not known during preview (research/pulumi.md §1.4). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value !== null && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}

const secretFile = (what: string) =>
  z.object({
    file: z.string({ error: `the path of the ${what} file` }).min(1, `the path of the ${what} file must not be empty`),
    password: z.string({ error: `the password of the ${what} file (a secret)` }).min(1, `the password of the ${what} file must not be empty`),
  });

/** What users write in `new MasterKey(...)`: `z.input` is the args type, `z.output` what `check` validates. */
export const masterKeyInputsSchema = z
  .object({
  instanceId: z.string({ error: "the HPCS service instance id (GUID)" }).min(1, "the HPCS service instance id must not be empty"),
  keyParts: z
    .array(secretFile("key part"))
    .min(2, "a master key needs 2 or 3 key parts")
    .max(3, "a master key needs 2 or 3 key parts")
    .optional(),
  /**
   * The master key is generated in a recovery crypto unit (IBM's auto-mk-rotate) instead of made of key parts. A new
   * one is generated when `keepers` change (as Terraform's random_id) or the rotation policy makes one due.
   */
  recoveryUnitKey: z
    .object({
      keepers: z.record(z.string(), z.string({ error: "recoveryUnitKey.keepers: every value must be a string" })).optional(),
    })
    .strict()
    .optional(),
  signatureKeys: z
    .array(secretFile("signature key"))
    .min(1, "at least one administrator signature key is needed")
    .max(8, "at most 8 administrators exist per crypto unit"),
  expectedVerificationPattern: z
    .string()
    .transform((text) => parseVp(text) ?? text)
    .refine(isVp, "expected a 64-character hex verification pattern, as `hpcs-mk keypart show` or `ibmcloud tke cryptounit-mk` prints it")
    .optional(),
  attestRewrapComplete: z
    .string()
    .refine((text) => parseAttestation(text) !== undefined, ATTESTATION_FORMAT)
    .optional(),
  /**
   * The cryptoperiod: a rotation falls due this many days after the key became current (AWS KMS
   * `rotation_period_in_days`). Due rotations show as drift; they never fail `pulumi up`.
   */
  rotationPeriodDays: z
    .number({ error: "rotationPeriodDays: a whole number of days, e.g. 365" })
    .int("rotationPeriodDays: a whole number of days, e.g. 365")
    .min(1, "rotationPeriodDays: at least 1 day")
    .max(3650, "rotationPeriodDays: at most 3650 days (10 years)")
    .optional(),
  /** Sign each run's evidence record with the first of `signatureKeys` (its administrator vouches for it). */
  signEvidence: z.boolean({ error: "signEvidence: true or false" }).optional(),
  deadlines: z
    .object({
      /** The whole `pulumi up` step's budget for this resource. Default 30 minutes. */
      runSeconds: z.number().int().min(10).max(86_400).optional(),
      /** One backend call's budget. Default 10 minutes. */
      stepSeconds: z.number().int().min(1).max(86_400).optional(),
    })
    .optional(),
  })
  .superRefine((inputs, ctx) => {
    const sources = [inputs.keyParts !== undefined, inputs.recoveryUnitKey !== undefined].filter(Boolean).length;
    if (sources !== 1) {
      ctx.addIssue({
        code: "custom",
        path: [inputs.keyParts === undefined ? "keyParts" : "recoveryUnitKey"],
        message: `declare the master key one way: keyParts (2 or 3 key part files) or recoveryUnitKey (a key generated in a recovery crypto unit), ${sources === 0 ? "not neither" : "not both"}`,
      });
    }
  });
export type MasterKeyInputs = z.input<typeof masterKeyInputsSchema>;
export type ValidInputs = z.output<typeof masterKeyInputsSchema>;

/** Inputs after `check`: the validated inputs plus what `check` derived locally (no secrets). */
export interface CheckedInputs extends ValidInputs {
  /**
   * The VP of the declared key: what the key parts make (a backend that takes their values), the declared
   * `expectedVerificationPattern` (a backend that opens the files itself), or null when only a load can tell.
   */
  readonly desiredVerificationPattern: string | null;
  /** SHA-256 of each key part file, in order: the ids IBM's Activity Tracker records as `masterKeyIds`; none for a generated key. */
  readonly keyPartIds: readonly string[];
  readonly signerSkis: readonly string[];
  readonly __provider?: string;
}

/** A zod issue path as users write it: `keyParts[1].password`. */
export function propertyPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === "number" ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), "");
}
