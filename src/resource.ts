import * as pulumi from "@pulumi/pulumi";
import type { Journal } from "./engine/journal";
import type { PhaseName } from "./engine/phases";
import type { KeyAge } from "./engine/rotation-policy";
import type { LastStep, UnitOutput } from "./provider/outputs";
import { MasterKeyProvider } from "./provider/provider";

/** One provider object for every MasterKey: Pulumi caches its serialization per object. */
const provider = new MasterKeyProvider();

export interface SecretFileArgs {
  /** Path of the file, relative to the Pulumi project directory. */
  readonly file: pulumi.Input<string>;
  /** Its password. Always stored as a Pulumi secret, even when given as plain text. */
  readonly password: pulumi.Input<string>;
}

export interface MasterKeyArgs {
  /** The HPCS service instance id (GUID). Changing it replaces the resource. */
  readonly instanceId: pulumi.Input<string>;
  /**
   * The 2 or 3 key part files whose XOR is the master key (`hpcs-mk keypart create`), or, with a backend that opens them
   * itself (IBM's TKE CLI plug-in), IBM's own files: then their key is learned when a load reports it.
   */
  readonly keyParts?: pulumi.Input<[pulumi.Input<SecretFileArgs>, pulumi.Input<SecretFileArgs>, ...pulumi.Input<SecretFileArgs>[]]>;
  /**
   * Instead of key parts: the master key is generated in a recovery crypto unit (IBM's `auto-mk-rotate`), which needs
   * no key part files. Creating the resource adopts the current key; a new key is generated when `keepers` change (as
   * Terraform's random_id) or `rotationPeriodDays` makes a rotation due. Give exactly one of `keyParts` and this.
   */
  readonly recoveryUnitKey?: pulumi.Input<{ keepers?: pulumi.Input<Record<string, pulumi.Input<string>>> }>;
  /** TKE signature key files (`N.sigkey`) of installed administrators: enough to meet the signature threshold. */
  readonly signatureKeys: pulumi.Input<pulumi.Input<SecretFileArgs>[]>;
  /**
   * The verification pattern the key parts make. Where the provider opens them, `check` refuses key parts that do not
   * make it; where the backend opens them itself, it is their key until a load reports it (a load that reports another
   * stops the rotation: KeyPartsMismatch). Declare it after an UnknownPendingKey refusal, once the load is confirmed.
   */
  readonly expectedVerificationPattern?: pulumi.Input<string>;
  /**
   * An operator's attestation that key storage is entirely under a verification pattern, written `<VP>:<code>` exactly
   * as a RewrapNotProven refusal prints it: you saw "KMS CRK rewrap successful, waiting on cryptounit-mk-setimm." for
   * it. Counts only where the backend cannot report the rewrap and no rewrap can run, only for that key and the
   * situation the code names; recorded in the rotation journal. Remove it once the rotation is done.
   */
  readonly attestRewrapComplete?: pulumi.Input<string>;
  /**
   * The cryptoperiod in days (1 to 3650; AWS KMS `rotation_period_in_days`): a rotation falls due this long after the
   * key became current (`keyAge`). A due rotation is drift: `pulumi refresh` and `pulumi preview` report it (so
   * `pulumi preview --expect-no-changes` fails) and say what the key custodians do; it never fails `pulumi up`.
   */
  readonly rotationPeriodDays?: pulumi.Input<number>;
  /** The provider's own deadlines (Pulumi gives dynamic providers none). */
  readonly deadlines?: pulumi.Input<{ runSeconds?: number; stepSeconds?: number }>;
  /**
   * Sign each run's evidence record with the first of `signatureKeys`: its administrator vouches for what the run
   * recorded (`hpcs-mk evidence verify` checks it). Changing it alone changes nothing on the instance.
   */
  readonly signEvidence?: pulumi.Input<boolean>;
}

/**
 * MasterKey — the master key of one HPCS instance, declared by its key parts or as a key generated in a recovery
 * unit. `pulumi up` rotates to it (and resumes an interrupted rotation); `pulumi refresh` shows drift, including
 * half-promoted instances.
 */
export class MasterKey extends pulumi.dynamic.Resource {
  declare readonly instanceId: pulumi.Output<string>;
  /** The VP every unit's current register holds; null while units disagree. */
  declare readonly verificationPattern: pulumi.Output<string | null>;
  /** The VP of the declared key: computed, declared, or learned from a load of the files; null until known. */
  declare readonly desiredVerificationPattern: pulumi.Output<string | null>;
  declare readonly phase: pulumi.Output<PhaseName>;
  declare readonly units: pulumi.Output<UnitOutput[]>;
  declare readonly rotation: pulumi.Output<Journal | null>;
  declare readonly lastRotatedAt: pulumi.Output<string | null>;
  /** When the current key became current: by a rotation of this tool, or first seen (an adopted key). */
  declare readonly keyAge: pulumi.Output<KeyAge | null>;
  declare readonly rotationPeriodDays: pulumi.Output<number | null>;
  /** When a rotation falls due under `rotationPeriodDays`; null without a policy. */
  declare readonly rotationDueAt: pulumi.Output<string | null>;
  /** Whether a rotation was due at the last refresh or update. */
  declare readonly rotationDue: pulumi.Output<boolean>;
  /** Where the declared key comes from: `keyParts` or `recoveryUnit`. */
  declare readonly keySource: pulumi.Output<"keyParts" | "recoveryUnit">;
  /** With `recoveryUnitKey`: the keepers the current key was generated (or adopted) for. */
  declare readonly generatedFor: pulumi.Output<{ keepers: Record<string, string> } | null>;
  declare readonly driftReasons: pulumi.Output<string[]>;
  declare readonly keyPartFiles: pulumi.Output<string[]>;
  /** SHA-256 of each key part file: the ids IBM's Activity Tracker records as `masterKeyIds`. */
  declare readonly keyPartIds: pulumi.Output<string[]>;
  declare readonly lastStep: pulumi.Output<LastStep>;
  /** The last run's evidence record: its id and the hash of its last entry (`hpcs-mk evidence verify`). */
  declare readonly evidence: pulumi.Output<{ id: string; hash: string } | null>;
  declare readonly backend: pulumi.Output<string>;

  constructor(name: string, args: MasterKeyArgs, opts?: pulumi.CustomResourceOptions) {
    const props = {
      instanceId: args.instanceId,
      // Passwords must never be stored in plain text: the whole list becomes a secret.
      keyParts: args.keyParts === undefined ? undefined : pulumi.secret(args.keyParts),
      recoveryUnitKey: args.recoveryUnitKey,
      signatureKeys: pulumi.secret(args.signatureKeys),
      expectedVerificationPattern: args.expectedVerificationPattern,
      attestRewrapComplete: args.attestRewrapComplete,
      rotationPeriodDays: args.rotationPeriodDays,
      deadlines: args.deadlines,
      signEvidence: args.signEvidence,
      verificationPattern: undefined,
      desiredVerificationPattern: undefined,
      phase: undefined,
      units: undefined,
      rotation: undefined,
      lastRotatedAt: undefined,
      keyAge: undefined,
      rotationDueAt: undefined,
      rotationDue: undefined,
      keySource: undefined,
      generatedFor: undefined,
      driftReasons: undefined,
      keyPartFiles: undefined,
      keyPartIds: undefined,
      lastStep: undefined,
      evidence: undefined,
      backend: undefined,
    };
    super(provider, name, props, opts, "hpcs", "MasterKey");
  }
}
