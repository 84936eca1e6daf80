import type { ShellWords } from "../engine/shell-words";

/** The CLI's words: its flags and commands, in every message and manual step. */
export const CLI_WORDS: ShellWords = {
  declareKeyParts: "--key-part (with their --key-part-password-env)",
  rotateCommand: "hpcs-mk rotate",
  generateCommand: "hpcs-mk rotate --recovery-unit-key",
  signatureKeys: "--signature-key (with --signature-key-password-env)",
  declareVp: (vp) => `--expected-vp ${vp}`,
  attest: (value) => `hpcs-mk rotate --attest-rewrap-complete ${value}`,
};
