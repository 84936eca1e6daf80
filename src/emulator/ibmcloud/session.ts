import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";

/**
 * The emulated CLI's session, kept where IBM's CLI keeps it (research/real-backends.md §3): the config directory is
 * `$IBMCLOUD_CONFIG_HOME`, else `<home>/.ibmcloud` if it exists, else `<home>/.bluemix`, where `<home>` is
 * `$IBMCLOUD_HOME` or the user's home. Plug-ins are installed below it in `plugins/<name>`. So a private
 * `IBMCLOUD_HOME` is a session of its own, and has no `tke` plug-in until one is provided there.
 */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.IBMCLOUD_CONFIG_HOME) return env.IBMCLOUD_CONFIG_HOME;
  const home = env.IBMCLOUD_HOME || homedir();
  const ibmcloud = join(home, ".ibmcloud");
  return existsSync(ibmcloud) ? ibmcloud : join(home, ".bluemix");
}

const sessionSchema = z.object({
  APIEndpoint: z.string(),
  Region: z.string(),
  ResourceGroup: z.string(),
  Account: z.string(),
  User: z.string(),
  /** When the emulated IAM token was issued (ms since the epoch); it lasts an hour, as IAM's do. */
  IAMTokenIssuedAt: z.number(),
});
export type Session = z.infer<typeof sessionSchema>;

export const TOKEN_LIFETIME_MS = 60 * 60 * 1000;
const SESSION_FILE = "config.json";

export function readSession(dir = configDir()): Session | undefined {
  const file = join(dir, SESSION_FILE);
  if (!existsSync(file)) return undefined;
  const parsed = sessionSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
  return parsed.success ? parsed.data : undefined;
}

export function writeSession(session: Session, dir = configDir()): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, SESSION_FILE), `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600 });
}

/** Whether the named plug-in is installed in this session's config directory. */
export function pluginInstalled(name: string, dir = configDir()): boolean {
  return existsSync(join(dir, "plugins", name));
}

/** The version an installed plug-in's metadata gives (what `plugin list` and `plugin show` print), or undefined. */
export function installedPluginVersion(name: string, dir = configDir()): string | undefined {
  try {
    const metadata: unknown = JSON.parse(readFileSync(join(dir, "plugins", name, "plugin.json"), "utf8"));
    const version = (metadata as { version?: unknown }).version;
    return typeof version === "string" ? version : undefined;
  } catch {
    return undefined;
  }
}

/** What `hpcs-mk sim ibmcloud` writes to make the emulated `tke` plug-in "installed" in a home. */
export function installPlugin(home: string, name: string, metadata: Record<string, string>): void {
  const dir = join(home, ".bluemix", "plugins", name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "plugin.json"), `${JSON.stringify(metadata, null, 2)}\n`);
}

const VERSION_CHECK_FILE = "version-check";

/** Whether the CLI looked for a newer version in the last day; records that it does now when it had not. */
export function checkedToday(dir = configDir()): boolean {
  const file = join(dir, VERSION_CHECK_FILE);
  const last = existsSync(file) ? Number(readFileSync(file, "utf8")) : 0;
  if (Date.now() - last < 24 * 60 * 60 * 1000) return true;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, VERSION_CHECK_FILE), String(Date.now()));
  return false;
}
