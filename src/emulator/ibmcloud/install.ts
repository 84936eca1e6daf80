import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { installPlugin } from "./session";
import { PLUGIN } from "./texts";

/**
 * An emulated IBM Cloud CLI installation over one simulator directory, as `hpcs-mk sim ibmcloud --out DIR` writes it:
 * - `DIR/ibmcloud`: an executable that runs the emulator bound to the simulator directory (the account it logs in to);
 * - `DIR/home`: an IBMCLOUD_HOME with the emulated `tke` plug-in installed, whose plug-ins a driver can use.
 * Point the TKE CLI backend at it with `hpcs:ibmcloudPath DIR/ibmcloud` and `hpcs:ibmcloudHome DIR/home`.
 */
export interface EmulatorInstallation {
  readonly executable: string;
  readonly home: string;
}

/** The emulator's compiled entry point in this package (the shim runs it with this Node.js). */
export function emulatorEntry(): string {
  // dist/emulator/ibmcloud/install.js next to main.js; from the TypeScript sources (tests), the built copy in dist/.
  const here = __filename.endsWith(".js") ? __dirname : resolve(__dirname, "../../../dist/emulator/ibmcloud");
  const entry = join(here, "main.js");
  if (!existsSync(entry)) throw new Error(`the ibmcloud emulator is not built (${entry} is missing): run npm run build`);
  return entry;
}

const shellQuote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

export function installEmulator(dir: string, simDir: string): EmulatorInstallation {
  const root = resolve(dir);
  mkdirSync(root, { recursive: true });
  const executable = join(root, "ibmcloud");
  const script = `#!/bin/sh\n# An emulated IBM Cloud CLI over the simulator directory below (pulumi-hpcs-masterkey).\nexec ${shellQuote(process.execPath)} ${shellQuote(emulatorEntry())} --sim-dir ${shellQuote(resolve(simDir))} "$@"\n`;
  writeFileSync(executable, script);
  chmodSync(executable, 0o755);
  const home = join(root, "home");
  installPlugin(home, PLUGIN.name, { name: PLUGIN.name, version: PLUGIN.version });
  return { executable, home };
}
