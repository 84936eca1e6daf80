import type { ShellWords } from "../engine/shell-words";

/** The Pulumi provider's words: the MasterKey's inputs and `pulumi up`, in every message, drift reason and manual step. */
export const PROVIDER_WORDS: ShellWords = {
  declareKeyParts: "the MasterKey's keyParts",
  rotateCommand: "pulumi up",
  generateCommand: "pulumi up",
  signatureKeys: "the MasterKey's signatureKeys",
  declareVp: (vp) => `expectedVerificationPattern: "${vp}" on the MasterKey`,
  attest: (value) => `the MasterKey input attestRewrapComplete: "${value}" (remove it after the run)`,
};
