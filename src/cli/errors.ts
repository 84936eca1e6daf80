import { HpcsError, isErrorNamed } from "../model/errors";

/** The command line was wrong: a missing or malformed flag, or a prompt that cannot be answered. Exit code 2. */
export class UsageError extends HpcsError {
  constructor(
    message: string,
    /** The command whose help to point at. */
    readonly topic?: string,
  ) {
    super(message);
  }
}

/** The person at the terminal said no, or pressed Ctrl-C at a prompt. Nothing was changed. */
export class CancelledError extends HpcsError {
  constructor() {
    super("cancelled; nothing was changed");
  }
}

export type FailureKind = "usage" | "expected" | "bug";

/** Errors that are not HpcsErrors but are still expected outcomes, by name (they may cross module copies). */
const EXPECTED_NAMES = ["JournalFormatError"];

function isFileError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === "string" && typeof (e as NodeJS.ErrnoException).syscall === "string";
}

/**
 * classifyFailure — tells a usage error, an expected failure (bad input, a file problem, a refusal by the service or
 * the simulator) and a bug apart. Only bugs ask for a report.
 */
export function classifyFailure(e: unknown): FailureKind {
  if (isErrorNamed(e, "UsageError")) return "usage";
  // An invariant violation is our bug even though it is an HpcsError.
  if (isErrorNamed(e, "InvariantViolation")) return "bug";
  if (e instanceof HpcsError || EXPECTED_NAMES.some((n) => isErrorNamed(e, n)) || isFileError(e)) return "expected";
  return "bug";
}
