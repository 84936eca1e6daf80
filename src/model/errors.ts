/**
 * The error hierarchy shared by every layer. Each subclass carries structured fields and builds its message from
 * them; `cause` is the standard one. Type guards check `name` as well as `instanceof`, because errors cross module
 * copies (the serialized provider, spawned processes).
 */

export class HpcsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad user input: a file, a password, a count or an id. Raised before anything changes. */
export class InputError extends HpcsError {
  constructor(
    message: string,
    readonly field: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A key part file could not be used. `reason` says which check failed so callers can tell them apart. */
export type KeyPartFileProblem = "unreadable" | "malformed" | "unsupportedVersion" | "wrongPassword" | "tampered" | "wrongLength";

export class KeyPartFileError extends HpcsError {
  constructor(
    readonly file: string,
    readonly problem: KeyPartFileProblem,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`key part file ${file}: ${detail}`, options);
  }
}

export type SignatureKeyFileProblem = "unreadable" | "malformed" | "unsupportedKeyType" | "wrongPassword" | "skiMismatch";

export class SignatureKeyFileError extends HpcsError {
  constructor(
    readonly file: string,
    readonly problem: SignatureKeyFileProblem,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`signature key file ${file}: ${detail}`, options);
  }
}

/** A bug, not an expected exit: a safety invariant was violated. Ask for a report. */
export class InvariantViolation extends HpcsError {
  constructor(
    readonly invariant: number,
    detail: string,
  ) {
    super(`invariant ${invariant} violated: ${detail} (this is a bug in pulumi-hpcs-masterkey; please report it)`);
  }
}

/** True for an error of the given class name, also when it comes from another copy of this module. */
export function isErrorNamed(e: unknown, name: string): e is Error {
  return e instanceof Error && e.name === name;
}
