import { HpcsError } from "../../model/errors";
import { AuthExpiredError, Ep11Error, TransientError } from "../../engine/port/errors";
import type { ExchangeResult } from "./conversation";
import { outputLines } from "./parse";
import { OUTCOMES } from "./prompts";

/** The plug-in said FAILED: its lines, as printed. Nothing is retried; the next observation tells what happened. */
export class TkeCommandError extends HpcsError {
  readonly retryable = false;
  constructor(
    readonly command: string,
    readonly lines: readonly string[],
  ) {
    super(`ibmcloud tke ${command} failed: ${lines.join(" ") || "(no message)"}`);
  }
}

/** The plug-in asked something the driver does not recognise, or must not answer: the command was stopped there. */
export class TkePromptError extends HpcsError {
  readonly retryable = false;
  constructor(
    readonly command: string,
    readonly prompt: readonly string[],
  ) {
    super(
      `ibmcloud tke ${command} asked "${prompt.join(" / ")}", which this driver does not answer for that command; it was stopped there (SIGHUP), and nothing was answered. If the text is the plug-in's own, add it to the pinned prompt table (src/backends/tke-cli/prompts.ts) after checking what it asks`,
    );
  }
}

/** The driver's environment cannot run the plug-in (not installed, not logged in, a version nobody has validated). */
export class TkeSetupError extends HpcsError {
  readonly retryable = false;
}

/** What a command's output says about how it ended. */
export type Outcome =
  | { readonly kind: "ok" }
  | { readonly kind: "failed"; readonly error: Error; readonly sameKey: boolean }
  /** Neither OK nor FAILED: the plug-in died, or its output was cut off. Only a fresh read can tell what happened. */
  | { readonly kind: "unknown" };

/** outcomeOf — reads the end of a command's output; a stopped command is an error of its own. */
export function outcomeOf(command: string, result: ExchangeResult): Outcome {
  if (result.stoppedAt) return { kind: "failed", error: new TkePromptError(command, result.stoppedAt), sameKey: false };
  const lines = outputLines(result.output).map((l) => l.trim());
  const failedAt = lines.findIndex((l) => OUTCOMES.failed.test(l));
  if (failedAt >= 0) {
    const rest = lines.slice(failedAt + 1).filter((l) => l.length > 0);
    return { kind: "failed", error: failureError(command, rest), sameKey: rest.some((l) => OUTCOMES.sameKey.test(l)) };
  }
  if (lines.some((l) => OUTCOMES.ok.test(l)) && result.exitCode === 0) return { kind: "ok" };
  return { kind: "unknown" };
}

function failureError(command: string, lines: readonly string[]): Error {
  if (lines.some((l) => OUTCOMES.unauthorized.test(l) || OUTCOMES.notLoggedIn.test(l))) return new AuthExpiredError();
  if (lines.some((l) => OUTCOMES.notRegistered.test(l))) {
    return new TkeSetupError("the tke plug-in is not installed where the driver looked (hpcs:ibmcloudHome): run ibmcloud plugin install tke there");
  }
  if (lines.some((l) => OUTCOMES.ep11.test(l))) {
    const field = (pattern: RegExp) => lines.map((l) => pattern.exec(l)?.[1]).find((v) => v !== undefined);
    const returnCode = Number(field(OUTCOMES.returnCode) ?? NaN);
    const reason = field(OUTCOMES.reasonCode);
    if (Number.isFinite(returnCode)) return new Ep11Error("the selected crypto units", returnCode, reason === undefined ? undefined : Number(reason), field(OUTCOMES.errorMessage) ?? "");
  }
  if (lines.some((l) => /currently unavailable/.test(l))) return new TransientError(`ibmcloud tke ${command}: ${lines.join(" ")}`);
  return new TkeCommandError(command, lines);
}
