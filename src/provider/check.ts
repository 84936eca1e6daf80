import { desiredVp } from "../files/key-parts";
import { openSigners } from "../files/signature-keys";
import { InputError, KeyPartFileError, SignatureKeyFileError } from "../model/errors";
import { sameVp, shortVp } from "../model/vp";
import { containsUnknown, masterKeyInputsSchema, propertyPath, type CheckedInputs } from "./inputs";

export interface CheckFailure {
  readonly property: string;
  readonly reason: string;
}

export interface CheckResult {
  readonly inputs: Record<string, unknown>;
  readonly failures: CheckFailure[];
}

/**
 * check — validates inputs and computes the desired VP and signer SKIs locally, without calling the backend.
 * Failures are reported per property, never thrown. Unknown values (preview) pass through untouched.
 */
export function checkInputs(news: Record<string, unknown>): CheckResult {
  if (containsUnknown(news)) return { inputs: news, failures: [] };
  const parsed = masterKeyInputsSchema.safeParse(news);
  if (!parsed.success) {
    return { inputs: news, failures: parsed.error.issues.map((i) => ({ property: propertyPath(i.path) || "(inputs)", reason: i.message })) };
  }
  const inputs = parsed.data;
  const failures: CheckFailure[] = [];
  let desiredVerificationPattern: string | undefined;
  try {
    desiredVerificationPattern = desiredVp(inputs.keyParts);
  } catch (error) {
    failures.push(attribute("keyParts", inputs.keyParts, error));
  }
  let signerSkis: string[] = [];
  try {
    signerSkis = openSigners(inputs.signatureKeys).keys.map((k) => k.ski);
  } catch (error) {
    failures.push(attribute("signatureKeys", inputs.signatureKeys, error));
  }
  const expected = inputs.expectedVerificationPattern;
  if (expected && desiredVerificationPattern && !sameVp(expected, desiredVerificationPattern)) {
    failures.push({
      property: "expectedVerificationPattern",
      reason: `the key parts make a master key with verification pattern ${desiredVerificationPattern}, not the expected ${expected}; check that the right key part files are listed (hpcs-mk keypart show), starting with ${shortVp(desiredVerificationPattern)}`,
    });
  }
  if (failures.length > 0 || desiredVerificationPattern === undefined) return { inputs: news, failures };
  const checked: CheckedInputs = { ...inputs, desiredVerificationPattern, signerSkis, __provider: news.__provider as string | undefined };
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
