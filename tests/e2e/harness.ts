import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packPackage, REPO } from "../helpers/packed";

/**
 * The end-to-end harness: a temporary Pulumi project made from examples/simulator with the package installed from
 * `npm pack`, a local file backend, a passphrase-protected stack, and the real Pulumi CLI (scripts/pulumi-cli.sh).
 * Every CLI output is kept in `transcript` so the secrets check can search all of it.
 */
export interface CliResult {
  readonly code: number;
  readonly output: string;
}

export class E2eProject {
  readonly root = mkdtempSync(join(tmpdir(), "hpcs-e2e-"));
  readonly dir = join(this.root, "project");
  readonly simDir = join(this.root, "sim");
  readonly transcript: string[] = [];
  private readonly env: NodeJS.ProcessEnv;

  constructor(pulumiBin: string) {
    this.env = {
      ...process.env,
      PATH: `${pulumiBin}:${process.env.PATH}`,
      PULUMI_BACKEND_URL: `file://${join(this.root, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: "e2e passphrase for a throwaway stack",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_HOME: join(this.root, "pulumi-home"),
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_SKIP_CONFIRMATIONS: "true",
      NO_COLOR: "1",
    };
    mkdirSync(join(this.root, "state"), { recursive: true });
    cpSync(join(REPO, "examples/simulator"), this.dir, { recursive: true, filter: (src) => !/node_modules|\.tgz$/.test(src) });
    cpSync(packPackage(), join(this.dir, "pulumi-hpcs-masterkey.tgz"));
    execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--silent"], { cwd: this.dir, stdio: ["ignore", "ignore", "inherit"] });
  }

  /** Runs `pulumi …` in the project; never throws on a non-zero exit (callers assert on `code`). */
  pulumi(...args: string[]): CliResult {
    return this.run(args);
  }

  /** Sets a secret config value through stdin, so it is never on a command line. */
  setSecret(path: string, value: string): void {
    const { code, output } = this.run(["config", "set", "--secret", "--path", path], value);
    if (code !== 0) throw new Error(`pulumi config set --secret ${path} exited ${code}: ${output}`);
  }

  private run(args: string[], input?: string): CliResult {
    const result = spawnSync("pulumi", [...args, "--non-interactive"], { cwd: this.dir, env: this.env, encoding: "utf8", input, maxBuffer: 64 * 1024 * 1024 });
    const output = `${result.stdout ?? ""}${result.stderr ?? ""}`;
    this.transcript.push(`$ pulumi ${args.join(" ")}\n${output}`);
    return { code: result.status ?? -1, output };
  }

  /** Like `pulumi` but fails with the output when the command does not exit 0. */
  pulumiOk(...args: string[]): string {
    const { code, output } = this.pulumi(...args);
    if (code !== 0) throw new Error(`pulumi ${args.join(" ")} exited ${code}:\n${output.slice(-4000)}`);
    return output;
  }

  writeFile(name: string, text: string): string {
    writeFileSync(join(this.dir, name), text);
    return name;
  }

  /** The MasterKey's outputs as the state holds them: refresh updates these, not the stack's exports. */
  resource(): { outputs: Record<string, unknown>; initErrors?: string[] } {
    const state = JSON.parse(this.exportState());
    const found = (state.deployment.resources ?? []).find((r: { type: string }) => r.type === "pulumi-nodejs:dynamic/hpcs:MasterKey");
    if (!found) throw new Error("the state holds no MasterKey resource");
    return found;
  }

  outputs(): Record<string, unknown> {
    return this.resource().outputs;
  }

  exportState(): string {
    return this.pulumiOk("stack", "export");
  }

  /** Replaces the project's program with another example's (the same resource names, so the stack carries over). */
  useProgram(file: string): void {
    cpSync(join(REPO, file), join(this.dir, "index.ts"));
  }

  /** `pulumi stack import` of a deployment (through a file in the project, as an operator would). */
  importState(deployment: string): void {
    writeFileSync(join(this.root, "import.json"), deployment);
    this.pulumiOk("stack", "import", "--file", join(this.root, "import.json"));
  }
}
