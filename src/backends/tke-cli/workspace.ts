import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";

/**
 * The private workspace of one run (research/real-backends.md §9.1): the driver never uses the person's own `ibmcloud`
 * session or TKE files. Each run gets, in a fresh 0700 temporary directory,
 * - an `IBMCLOUD_HOME` whose `plugins` directory is a link to the person's installed plug-ins (so the same `tke`
 *   plug-in runs) and whose login session is this run's own;
 * - a `CLOUDTKEFILES` holding only copies of the declared signature key files and the run's key parts, with its own
 *   crypto unit and signature key selection;
 * and the child environment is built from an allow-list: no variable of the person's reaches the plug-in unless listed
 * here, so no password or API key is ever in a child's environment or argv. Removed when the run ends.
 */
export interface WorkspaceOptions {
  /** The IBM Cloud home whose installed plug-ins to use: `$IBMCLOUD_HOME`, else the user's home. */
  readonly ibmcloudHome?: string;
  /** Variables passed through unchanged when set: the proxy and certificate settings a corporate network needs. */
  readonly environment: NodeJS.ProcessEnv;
}

/** Passed through from the person's environment when set: nothing else is. */
const PASSED_THROUGH = ["PATH", "LANG", "LC_ALL", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR", "TKE_PRIVATE_ADDR"];

/** The config directory of an IBM Cloud home, as the CLI picks it (research §3): `.ibmcloud` if present, else `.bluemix`. */
export function cliConfigDir(home: string): string {
  const ibmcloud = join(home, ".ibmcloud");
  return existsSync(ibmcloud) ? ibmcloud : join(home, ".bluemix");
}

export class Workspace {
  readonly root: string;
  readonly home: string;
  readonly tkeFiles: string;
  /** Where the person's plug-ins are; undefined when that home has none. */
  readonly plugins: string | undefined;
  private readonly environment: NodeJS.ProcessEnv;

  constructor(options: WorkspaceOptions) {
    this.root = mkdtempSync(join(tmpdir(), "hpcs-tke-"));
    chmodSync(this.root, 0o700);
    this.home = join(this.root, "home");
    this.tkeFiles = join(this.root, "tkefiles");
    mkdirSync(join(this.home, ".bluemix"), { recursive: true, mode: 0o700 });
    mkdirSync(this.tkeFiles, { mode: 0o700 });
    const source = join(cliConfigDir(options.ibmcloudHome ?? options.environment.IBMCLOUD_HOME ?? homedir()), "plugins");
    this.plugins = existsSync(source) ? source : undefined;
    if (this.plugins) symlinkSync(this.plugins, join(this.home, ".bluemix", "plugins"));
    this.environment = options.environment;
  }

  /** The child environment: the allow-list, this run's home and TKE files, no version check, no colours, no trace. */
  env(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const name of PASSED_THROUGH) {
      const value = this.environment[name];
      if (value !== undefined && value !== "") env[name] = value;
    }
    return {
      ...env,
      HOME: this.home,
      IBMCLOUD_HOME: this.home,
      CLOUDTKEFILES: this.tkeFiles,
      IBMCLOUD_VERSION_CHECK: "false",
      IBMCLOUD_COLOR: "false",
      IBMCLOUD_TRACE: "false",
      TERM: "dumb",
    };
  }

  /** A file only this run can read (0600), e.g. the API key for `ibmcloud login --apikey @FILE`; the caller removes it. */
  secretFile(name: string, content: string): string {
    const file = join(this.root, name);
    writeFileSync(file, content, { mode: 0o600 });
    return file;
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
