import type { Capabilities } from "../engine/port/capabilities";
import { desiredVp, keyPartFileRefs } from "../files/key-parts";
import { openSigners } from "../files/signature-keys";
import { InputError, KeyPartFileError, SignatureKeyFileError } from "../model/errors";
import { sameVp, shortVp } from "../model/vp";
import { containsUnknown, masterKeyInputsSchema, propertyPath, type CheckedInputs, type ValidInputs } from "./inputs";

export interface CheckFailure {
  readonly property: string;
  readonly reason: string;
}

export interface CheckResult {
  readonly inputs: Record<string, unknown>;
  readonly failures: CheckFailure[];
}

/** The key part files' ids, and the declared key's VP as far as `check` can know it (CheckedInputs). */
interface DeclaredKeyParts {
  readonly keyPartIds: readonly string[];
  readonly desiredVerificationPattern: string | null;
}

/**
 * What `check` learns of the key parts: every file is hashed (the ids); a backend that takes their values has them
 * decrypted here, so a wrong password or a wrong file fails before anything changes; files only the backend opens are
 * not opened, and their key is the declared `expectedVerificationPattern` or, until a load tells it, unknown.
 */
function declaredKeyParts(inputs: ValidInputs, keyParts: Capabilities["keyParts"]): DeclaredKeyParts {
  // A generated key is known only once a generation reports it.
  if (inputs.keyParts === undefined) return { keyPartIds: [], desiredVerificationPattern: null };
  const keyPartIds = keyPartFileRefs(inputs.keyParts).map((f) => f.sha256);
  if (keyParts === "opaque") return { keyPartIds, desiredVerificationPattern: inputs.expectedVerificationPattern ?? null };
  return { keyPartIds, desiredVerificationPattern: desiredVp(inputs.keyParts) };
}

/**
 * check — validates inputs and computes the desired VP and signer SKIs locally, without calling the backend.
 * `keyParts` is what the configured backend takes. Failures are reported per property, never thrown. Unknown values
 * (preview) pass through untouched.
 */
export function checkInputs(news: Record<string, unknown>, keyParts: Capabilities["keyParts"]): CheckResult {
  if (containsUnknown(news)) return { inputs: news, failures: [] };
  const parsed = masterKeyInputsSchema.safeParse(news);
  if (!parsed.success) {
    return { inputs: news, failures: parsed.error.issues.map((i) => ({ property: propertyPath(i.path) || "(inputs)", reason: i.message })) };
  }
  const inputs = parsed.data;
  const failures: CheckFailure[] = [];
  let declared: DeclaredKeyParts | undefined;
  try {
    declared = declaredKeyParts(inputs, keyParts);
  } catch (error) {
    failures.push(attribute("keyParts", inputs.keyParts ?? [], error));
  }
  let signerSkis: string[] = [];
  try {
    signerSkis = openSigners(inputs.signatureKeys).keys.map((k) => k.ski);
  } catch (error) {
    failures.push(attribute("signatureKeys", inputs.signatureKeys, error));
  }
  const expected = inputs.expectedVerificationPattern;
  const made = declared?.desiredVerificationPattern;
  if (expected && made && !sameVp(expected, made)) {
    failures.push({
      property: "expectedVerificationPattern",
      reason: `the key parts make a master key with verification pattern ${made}, not the expected ${expected}; check that the right key part files are listed (hpcs-mk keypart show), starting with ${shortVp(made)}`,
    });
  }
  if (failures.length > 0 || declared === undefined) return { inputs: news, failures };
  const checked: CheckedInputs = { ...inputs, ...declared, signerSkis, __provider: news.__provider as string | undefined };
  return { inputs: JSON.parse(JSON.stringify(checked)) as Record<string, unknown>, failures: [] };
}

/** Which input a file error belongs to: a wrong password is the password's fault, everything else the file's. */
function attribute(list: "keyParts" | "signatureKeys", refs: readonly { file: string }[], error: unknown): CheckFailure {
  if (error instanceof KeyPartFileError || error instanceof SignatureKeyFileError) {
    const index = Math.max(0, refs.findIndex((r) => r.file === error.file));
    const field = error.problem === "wrongPassword" ? "password" : "file";
    return { property: `${list}[${index}].${field}`, reason: error.message };
  }
  if (error instanceof InputError) return { property: error.field, reason: error.message };
  throw error;
}
