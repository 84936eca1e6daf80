import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { renderTable } from "./table";
import { configDir, installedPluginVersion, readSession, writeSession, type Session } from "./session";
import { ask, line } from "./terminal";
import { PLUGIN, TEXTS } from "./texts";
import { fail } from "./tke/common";

/** Flags of an `ibmcloud` command line: `-r us-south`, `--apikey @file`, `--no-region`. */
export function flagValue(args: readonly string[], ...names: string[]): string | undefined {
  const at = args.findIndex((a) => names.includes(a));
  return at >= 0 ? args[at + 1] : undefined;
}

const REGIONS = ["au-syd", "jp-osa", "jp-tok", "eu-de", "eu-es", "eu-gb", "ca-tor", "us-south", "us-east", "br-sao"];

/** An IBM Cloud API key as IAM issues them: long, letters, digits, '-' and '_'. Anything else is refused. */
const plausibleApiKey = (key: string) => /^[A-Za-z0-9_-]{20,}$/.test(key);

function printTarget(session: Session): void {
  line();
  line(`API endpoint:      ${session.APIEndpoint}`);
  line(`Region:            ${session.Region}`);
  line(`User:              ${session.User}`);
  line(`Account:           ${session.Account}`);
  line(`Resource group:    ${session.ResourceGroup}`);
}

/**
 * `ibmcloud login` (research §3): only `--apikey` (a value or `@file`) is supported, as automation needs. Without
 * `-r` or `--no-region` it asks for a region, as the real CLI does interactively.
 */
export function login(args: readonly string[], simDir: string): void {
  const endpoint = flagValue(args, "-a") ?? "https://cloud.ibm.com";
  const apiEndpoint = endpoint.startsWith("https://") ? endpoint : `https://${endpoint}`;
  line(`API endpoint: ${apiEndpoint}`);
  const given = flagValue(args, "--apikey") ?? fail("Only API key login is supported by this emulator: ibmcloud login --apikey @FILE -r REGION -g GROUP");
  const apiKey = given.startsWith("@") ? readFileSync(given.slice(1), "utf8").trim() : given;
  line(TEXTS.authenticating.text);
  if (!plausibleApiKey(apiKey)) fail(TEXTS.badApiKey.text);
  line("OK");
  line();
  const account = `Emulated HPCS account (${createHash("sha256").update(simDir).digest("hex").slice(0, 32)})`;
  line(`Targeted account ${account}`);
  let region = flagValue(args, "-r") ?? "";
  if (!region && !args.includes("--no-region")) {
    line();
    line("Select a region (or press enter to skip):");
    REGIONS.forEach((r, i) => line(`${i + 1}. ${r}`));
    const choice = ask("Enter a number").trim();
    region = REGIONS[Number(choice) - 1] ?? "";
  }
  const group = flagValue(args, "-g") ?? "";
  if (group) {
    line();
    line(`Targeted resource group ${group}`);
  }
  if (region) {
    line();
    line(`Targeted region ${region}`);
  }
  const session: Session = { APIEndpoint: apiEndpoint, Region: region, ResourceGroup: group, Account: account, User: "emulator-user@example.com", IAMTokenIssuedAt: Date.now() };
  writeSession(session);
  printTarget(session);
}

export function target(args: readonly string[], session: Session): void {
  const next = { ...session, Region: flagValue(args, "-r") ?? session.Region, ResourceGroup: flagValue(args, "-g") ?? session.ResourceGroup };
  writeSession(next);
  printTarget(next);
}

export function pluginList(): void {
  line(TEXTS.listingPlugins.text);
  line();
  const version = installedPluginVersion(PLUGIN.name);
  const rows = version ? [[PLUGIN.name, version, "", "true"]] : [];
  renderTable(["Plugin Name", "Version", "Status", "Private endpoints supported"], rows).forEach((l) => line(l));
}

export function pluginShow(name: string | undefined): void {
  const version = (name === PLUGIN.name ? installedPluginVersion(PLUGIN.name) : undefined) ?? fail(TEXTS.pluginNotInstalled(name ?? "").text);
  renderTable(
    ["Plugin Name", PLUGIN.name],
    [
      ["Plugin Version", version],
      ["Plugin SDK Version", PLUGIN.sdkVersion],
      ["Minimal IBM Cloud CLI version required", PLUGIN.minimalCliVersion],
      ["Private endpoints supported", "true"],
    ],
  ).forEach((l) => line(l));
}

export function oauthTokens(): void {
  line(`IAM token:  Bearer ${randomBytes(48).toString("base64url")}`);
}

/** The session, or `Not logged in`. */
export function requireSession(): Session {
  return readSession(configDir()) ?? fail(TEXTS.notLoggedIn.text);
}
