import type { Vp } from "../model/vp";

/**
 * How the shell the user runs names things, so that every message and manual step uses the user's own vocabulary:
 * the CLI names its flags and commands (`--signature-key`, `hpcs-mk rotate`), the Pulumi provider its inputs and
 * `pulumi up`. The engine owns the shape; each shell fills it in once (cli/shell-words.ts, provider/shell-words.ts).
 */
export interface ShellWords {
  /** How to declare new key parts in this shell. */
  readonly declareKeyParts: string;
  /** The command that runs the tool again: rotates, resumes or repairs. */
  readonly rotateCommand: string;
  /** The command that generates a new key in a recovery unit and rotates to it. */
  readonly generateCommand: string;
  /** Where signature key files are given. */
  readonly signatureKeys: string;
  /** How to declare that the declared key is the one with `vp`. */
  declareVp(vp: Vp | string): string;
  /** How to give the attestation `value` for one run. */
  attest(value: string): string;
}
