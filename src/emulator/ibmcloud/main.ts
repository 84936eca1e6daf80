#!/usr/bin/env node
import { AuthExpiredError, Ep11Error, PrecheckFailedError, SameKeyError, UnitUnavailableError, UnsupportedCommandError } from "../../engine/port/errors";
import { login, oauthTokens, pluginList, pluginShow, requireSession, target } from "./core-commands";
import { checkedToday, configDir, pluginInstalled, TOKEN_LIFETIME_MS } from "./session";
import { answerTo, InputEndedError, line } from "./terminal";
import { PLUGIN, TEXTS } from "./texts";
import { openAccount } from "./tke/account";
import { fail, PluginFailure, type TkeContext } from "./tke/common";
import { cryptounitAdminAdd, cryptounitThresholdSet, cryptounitZeroize } from "./tke/administration-commands";
import { autoMkRotate, mkClrnew, mkCommit, mkLoad, mkRotate, mkSetimm } from "./tke/master-key-commands";
import { changeSelection, cryptounitAdmins, cryptounitCompare, cryptounitMk, cryptounits, cryptounitThresholds } from "./tke/unit-commands";
import { WorkstationError, workstationDir } from "./tke/workstation";
import { mkAdd, mkRm, mks, sigkeyAdd, sigkeys, sigkeySel } from "./tke/workstation-commands";

/**
 * hpcs-ibmcloud-emulator — an `ibmcloud` with the `tke` plug-in, over a simulator directory (docs/emulator.md): for
 * tests of the TKE CLI driver and for rehearsals of IBM's manual runbook on a simulated instance. Started as
 * `<main> --sim-dir DIR <ibmcloud arguments>`, usually through the shim `hpcs-mk sim ibmcloud` writes. Prompts,
 * tables and messages are IBM's where documented (texts.ts says which are not).
 */

const TKE_COMMANDS: Readonly<Record<string, (ctx: TkeContext, args: readonly string[]) => Promise<void>>> = {
  cryptounits: (ctx) => cryptounits(ctx),
  "cryptounit-add": (ctx) => changeSelection(ctx, true),
  "cryptounit-rm": (ctx) => changeSelection(ctx, false),
  "cryptounit-compare": (ctx) => cryptounitCompare(ctx),
  "cryptounit-mk": (ctx) => cryptounitMk(ctx),
  "cryptounit-admins": (ctx) => cryptounitAdmins(ctx),
  "cryptounit-thrhlds": (ctx) => cryptounitThresholds(ctx),
  "cryptounit-admin-add": (ctx) => cryptounitAdminAdd(ctx),
  "cryptounit-thrhld-set": (ctx) => cryptounitThresholdSet(ctx),
  "cryptounit-zeroize": (ctx) => cryptounitZeroize(ctx),
  "cryptounit-mk-load": (ctx) => mkLoad(ctx),
  "cryptounit-mk-commit": (ctx) => mkCommit(ctx),
  "cryptounit-mk-clrnew": (ctx) => mkClrnew(ctx),
  "cryptounit-mk-setimm": (ctx) => mkSetimm(ctx),
  "cryptounit-mk-rotate": (ctx) => mkRotate(ctx),
  "auto-mk-rotate": (ctx) => autoMkRotate(ctx),
  sigkeys: (ctx) => sigkeys(ctx),
  "sigkey-add": (ctx) => sigkeyAdd(ctx),
  "sigkey-sel": (ctx) => sigkeySel(ctx),
  mks: (ctx) => mks(ctx),
  "mk-add": (ctx, args) => mkAdd(ctx, args.includes("--value") ? "value" : "random"),
  "mk-rm": (ctx) => mkRm(ctx),
};

/**
 * The real CLI checks for a newer version once a day and asks before anything else, unless told not to
 * (`IBMCLOUD_VERSION_CHECK=false`, research §3); the emulator always has one to offer.
 */
function versionCheck(): void {
  if (process.env.IBMCLOUD_VERSION_CHECK === "false" || checkedToday()) return;
  line("New version 99.0.0 is available.");
  line("Release notes: https://github.com/IBM-Cloud/ibm-cloud-cli-release/releases");
  answerTo("Do you want to update? [y/N]> ");
  line("Update skipped by the emulator.");
}

async function tke(simDir: string, args: readonly string[]): Promise<void> {
  const session = requireSession();
  if (!pluginInstalled(PLUGIN.name, configDir())) fail(TEXTS.notRegistered("tke").text);
  if (Date.now() - session.IAMTokenIssuedAt > TOKEN_LIFETIME_MS) fail(TEXTS.unauthorized.text);
  const [command, ...rest] = args;
  const run = TKE_COMMANDS[command ?? ""] ?? fail(`'${command ?? ""}' is not a valid tke command. See 'ibmcloud tke help'.`);
  const tkeDir = workstationDir();
  await run({ session, account: await openAccount(simDir, tkeDir), tkeDir }, rest);
}

async function ibmcloud(simDir: string, args: readonly string[]): Promise<void> {
  const [command, sub, ...rest] = args;
  switch (command) {
    case "login":
      versionCheck();
      return login([sub, ...rest].filter((a): a is string => a !== undefined), simDir);
    case "target":
      return target([sub, ...rest].filter((a): a is string => a !== undefined), requireSession());
    case "plugin":
      if (sub === "list") return pluginList();
      if (sub === "show") return pluginShow(rest[0]);
      return fail(`'plugin ${sub ?? ""}' is not supported by this emulator.`);
    case "iam":
      if (sub === "oauth-tokens") return void (requireSession(), oauthTokens());
      return fail(`'iam ${sub ?? ""}' is not supported by this emulator.`);
    case "tke":
      versionCheck();
      return tke(simDir, [sub, ...rest].filter((a): a is string => a !== undefined));
    default:
      return fail(TEXTS.notRegistered(command ?? "").text);
  }
}

/** The failure block: `FAILED`, then IBM's lines for the error (research §2.4). */
function failureLines(error: unknown): readonly string[] {
  if (error instanceof PluginFailure) return error.lines;
  if (error instanceof Ep11Error) {
    return [TEXTS.ep11Header.text, `Return code: ${error.returnCode}`, ...(error.reasonCode === undefined ? [] : [`Reason code: ${error.reasonCode}`]), `Error message: ${error.ibmText}`];
  }
  if (error instanceof AuthExpiredError) return [TEXTS.unauthorized.text];
  if (error instanceof UnitUnavailableError) return [TEXTS.unavailable.text];
  if (error instanceof SameKeyError) return [TEXTS.sameAsCurrent.text];
  if (error instanceof PrecheckFailedError) return error.reasons;
  // The simulated instance cannot do it (no recovery unit, Madrid): IBM's reason alone.
  if (error instanceof UnsupportedCommandError) return [error.reason];
  if (error instanceof InputEndedError || error instanceof WorkstationError) return [error.message];
  return [(error as Error)?.message ?? String(error)];
}

function main(argv: readonly string[]): Promise<number> {
  const at = argv.indexOf("--sim-dir");
  if (at < 0 || argv[at + 1] === undefined) {
    process.stderr.write("hpcs-ibmcloud-emulator: start it as <emulator> --sim-dir DIR <ibmcloud arguments>, or through the shim hpcs-mk sim ibmcloud writes\n");
    return Promise.resolve(2);
  }
  const simDir = argv[at + 1];
  const args = [...argv.slice(0, at), ...argv.slice(at + 2)];
  return ibmcloud(simDir, args).then(
    () => 0,
    (error: unknown) => {
      line("FAILED");
      failureLines(error).forEach((l) => line(l));
      return 1;
    },
  );
}

void main(process.argv.slice(2)).then((code) => process.exit(code));
