import { isAbsolute, relative, resolve } from "node:path";
import { readProviderConfig, type ProviderConfig } from "../provider/config";
import type { GlobalOptions } from "./argv";
import type { CommandContext } from "./context";

/**
 * cliConfig — the configuration the Pulumi provider would use (the same HPCS_* environment variables), with the
 * --sim-dir flag taking precedence. The simulator directory is made absolute against the working directory.
 */
export function cliConfig(globals: GlobalOptions, ctx: CommandContext): ProviderConfig {
  const config = readProviderConfig(undefined, ctx.env);
  return { ...config, simulatorDir: resolve(ctx.cwd, globals.simDir ?? config.simulatorDir) };
}

/** A path as people want to read it: relative to the working directory when it lies below it. */
export function displayPath(cwd: string, file: string): string {
  const rel = relative(cwd, resolve(cwd, file));
  return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? resolve(cwd, file) : rel;
}
