import { basename } from "node:path";
import { readKeyPartFile, type KeyPartRef } from "../files/key-parts";
import { readTextFile } from "../files/read-file";
import type { SignatureKeyRef } from "../files/signature-keys";
import { InputError, SignatureKeyFileError } from "../model/errors";
import { parseSignatureKeyFile } from "../model/signature-key-file";
import { shortVp } from "../model/vp";
import { hasUnprintable, printable } from "../format/printable";
import type { CommandContext } from "./context";
import { UsageError } from "./errors";
import { shortSki } from "./render/table";
import { count } from "../format/words";

/**
 * Passwords and other secrets: from the environment variable a flag names, else from a prompt without echo. They
 * are never taken from argv (shell history, the process list) and never printed.
 */
export interface SecretRequest {
  /** The environment variable to read, when a flag named one. */
  readonly envVar: string | undefined;
  /** The flag that names such a variable, for the message when neither it nor a terminal is available. */
  readonly flag: string;
  /** What the secret opens, e.g. `key part file kp1.json`. */
  readonly subject: string;
  /** The prompt, in TKE's words. */
  readonly prompt: string;
}

function fromEnv(ctx: CommandContext, request: SecretRequest & { envVar: string }): string {
  const value = ctx.env[request.envVar];
  if (value === undefined || value === "") throw new UsageError(`${request.flag} names ${request.envVar}, but that environment variable is not set or is empty (it should hold the secret for ${request.subject})`);
  return value;
}

function needTerminal(ctx: CommandContext, request: SecretRequest): void {
  if (!ctx.interactive) {
    throw new UsageError(`no secret for ${request.subject}: stdin is not a terminal, so it cannot be prompted for; add ${request.flag} VAR naming an environment variable that holds it`);
  }
}

/** readSecret — an existing secret (a password that opens a file). */
export async function readSecret(ctx: CommandContext, request: SecretRequest): Promise<string> {
  if (request.envVar !== undefined) return fromEnv(ctx, { ...request, envVar: request.envVar });
  needTerminal(ctx, request);
  const answer = await ctx.prompter.secret(request.prompt);
  if (answer === "") throw new InputError(`no secret was entered for ${request.subject}`, request.flag);
  return answer;
}

/**
 * A new password must be typeable at the prompt that will later open the file: a control character (most often the
 * newline `echo` leaves at the end of an environment variable) would lock the file out of every typed password.
 */
function unusablePasswordProblem(password: string, request: SecretRequest): string | undefined {
  const source = request.envVar === undefined ? "the password entered" : `the password in ${request.envVar}`;
  if (/[\r\n]$/.test(password)) return `${source} ends with a line break (set it with printf '%s' or echo -n); no typed password could match it; nothing was written`;
  if (hasUnprintable(password)) return `${source} holds a control or bidirectional formatting character, which no typed password could match; nothing was written`;
  return undefined;
}

/** newPassword — a password that will protect a new file: prompted twice (TKE: "Re-enter the password to confirm:"). */
export async function newPassword(ctx: CommandContext, request: SecretRequest): Promise<string> {
  const first = await readSecret(ctx, request);
  const problem = unusablePasswordProblem(first, request);
  if (problem) throw new InputError(problem, request.flag);
  if (request.envVar !== undefined) return first;
  const second = await ctx.prompter.secret("Re-enter the password to confirm:");
  if (first !== second) throw new InputError(`the two passwords entered for ${request.subject} do not match; nothing was written`, request.flag);
  return first;
}

/**
 * keyPartRefs — each key part file with its password: from the env var in the same position (`--key-part A
 * --key-part B --key-part-password-env VA --key-part-password-env VB`), else a prompt. Each file is checked to be a
 * key part file before its prompt.
 */
export async function keyPartRefs(ctx: CommandContext, files: readonly string[], envVars: readonly string[], flag: string): Promise<KeyPartRef[]> {
  const refs: KeyPartRef[] = [];
  for (const [index, file] of files.entries()) {
    const parsed = readKeyPartFile(file);
    const label = parsed.description ? `"${printable(parsed.description)}", ` : "";
    const password = await readSecret(ctx, {
      envVar: envVars[index],
      flag,
      subject: `key part file ${file}`,
      prompt: `Enter the password for key part file ${basename(file)} (${label}VP ${shortVp(parsed.verificationPattern)}):`,
    });
    refs.push({ file, password });
  }
  return refs;
}

/** signatureKeyRefs — each signature key file with its password; the prompt names the key as TKE does (by SKI). */
export async function signatureKeyRefs(ctx: CommandContext, files: readonly string[], envVars: readonly string[], flag: string): Promise<SignatureKeyRef[]> {
  const refs: SignatureKeyRef[] = [];
  for (const [index, file] of files.entries()) {
    const text = readTextFile(file, (detail, cause) => new SignatureKeyFileError(file, "unreadable", detail, { cause }));
    const parsed = parseSignatureKeyFile(text, file);
    const password = await readSecret(ctx, {
      envVar: envVars[index],
      flag,
      subject: `signature key file ${file}`,
      prompt: `Enter the password for the signature key identified by:\n${basename(file)} (${shortSki(parsed.ski.toLowerCase())})\n>`,
    });
    refs.push({ file, password });
  }
  return refs;
}

/** A usage message when more `-password-env` flags than files were given, for `validate` in the command table. */
export function pairingProblem(files: readonly string[], envVars: readonly string[], fileFlag: string, envFlag: string): string | undefined {
  if (envVars.length <= files.length) return undefined;
  return `${count(envVars.length, `${envFlag} flag`)} for ${count(files.length, `${fileFlag} file`)}: each ${envFlag} pairs with the ${fileFlag} in the same position`;
}
