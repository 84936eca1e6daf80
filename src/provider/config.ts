import { z } from "zod";
import type { BackendSettings } from "../compose/open-backend";
import { CAPABILITY_CHOICES, DEFAULT_CAPABILITIES } from "../engine/port/capabilities";
import { InputError } from "../model/errors";

/**
 * Provider configuration: stack config read in `configure` (namespace `hpcs:`), with environment fallbacks.
 * Credentials live here, never in resource inputs or the serialized provider.
 */
export const BACKENDS = ["simulator", "tke-cli", "tke-api", "tke-api+cli"] as const;

export const providerConfigSchema = z.object({
  backend: z.enum(BACKENDS).default("simulator"),
  simulatorDir: z.string().min(1).default(".hpcs-sim"),
  /** Simulated per-call latency, for rehearsals that feel like the real service. */
  simulatorLatencyMs: z.coerce.number().int().min(0).max(60_000).default(0),
  /**
   * Whether the simulator reports the key storage rewrap (`reported`, as HPCS's status query does) or answers
   * `unknown` (`hidden`), as the TKE CLI cannot report it: rehearses the rules for that case (journal proof,
   * attestations) on the simulator.
   */
  simulatorRewrapStatus: z.enum(CAPABILITY_CHOICES.rewrapStatus).default(DEFAULT_CAPABILITIES.rewrapStatus),
  /**
   * `combined` makes the simulator rewrap and promote in one command, as `cryptounit-mk-rotate` does (with its marker);
   * `separate` (default) has the rewrap and set immediate as separate commands.
   */
  simulatorRotation: z.enum(CAPABILITY_CHOICES.rotation).default(DEFAULT_CAPABILITIES.rotation),
  /** `readFirst` makes the simulator check each register by a read before a command that cannot carry the VP, as the TKE CLI does; `hsm` (default) lets the unit enforce it. */
  simulatorVpBinding: z.enum(CAPABILITY_CHOICES.vpBinding).default(DEFAULT_CAPABILITIES.vpBinding),
  /**
   * `opaque` makes the simulator take key part files and open them itself, as the TKE CLI plug-in opens IBM's: the
   * declared key's verification pattern is then learned when a load reports it (or declared with
   * `expectedVerificationPattern`); `material` (default) has the provider decrypt them.
   */
  simulatorKeyParts: z.enum(CAPABILITY_CHOICES.keyParts).default(DEFAULT_CAPABILITIES.keyParts),
  /** For real backends (IBM Cloud IAM). Unused by the simulator. */
  apiKey: z.string().optional(),
  /** tke-cli: the region and resource group of the instance, as `ibmcloud login -r … -g …` targets them. */
  region: z.string().regex(/^[a-z]{2}-[a-z]+$/, "expected an IBM Cloud region such as us-south").optional(),
  resourceGroup: z.string().min(1).optional(),
  /** tke-cli: the `ibmcloud` executable (a path, or a name looked up on PATH). */
  ibmcloudPath: z.string().min(1).default("ibmcloud"),
  /** tke-cli: the IBM Cloud home whose installed plug-ins the driver uses (never its session). */
  ibmcloudHome: z.string().min(1).optional(),
  /** tke-cli: the IBM Cloud API endpoint `ibmcloud login -a` takes. */
  apiEndpoint: z.string().min(1).default("cloud.ibm.com"),
  /** tke-cli: the person's TKE files (`CLOUDTKEFILES`); read by hpcs-mk tke doctor, never written. */
  tkeFilesDir: z.string().min(1).optional(),
  /** tke-cli: where the redacted transcript of every plug-in command is appended, one file per instance. */
  transcriptDir: z.string().min(1).default(".hpcs-mk/transcripts"),
  /** Where the evidence of every ceremony is kept: one hash-linked file per ceremony, under a directory per instance. */
  evidenceDir: z.string().min(1).default(".hpcs-mk/evidence"),
  /** tke-api: the public endpoint `tke.<region>.hs-crypto.cloud.ibm.com`, or the private `tke.private.<region>…`. */
  tkeApiVisibility: z.enum(["public", "private"]).default("public"),
  /**
   * tke-api, tests and rehearsals only: another origin for the TKE API and IAM (the emulator), and the file of the
   * roots to trust there. Stack config only: no environment variable can point a run at another service or make it
   * trust other roots by accident.
   */
  tkeApiTestEndpoint: z.string().min(1).optional(),
  tkeApiTestRootsFile: z.string().min(1).optional(),
});
export type ProviderConfig = z.infer<typeof providerConfigSchema> & BackendSettings;

/** The configuration with nothing set: every default. */
export const PROVIDER_DEFAULTS: ProviderConfig = providerConfigSchema.parse({});

export interface ConfigSource {
  get(key: string): string | undefined;
}

const KEYS = {
  backend: { config: "hpcs:backend", env: "HPCS_BACKEND" },
  simulatorDir: { config: "hpcs:simulatorDir", env: "HPCS_SIMULATOR_DIR" },
  simulatorLatencyMs: { config: "hpcs:simulatorLatencyMs", env: "HPCS_SIMULATOR_LATENCY_MS" },
  simulatorRewrapStatus: { config: "hpcs:simulatorRewrapStatus", env: "HPCS_SIMULATOR_REWRAP_STATUS" },
  simulatorRotation: { config: "hpcs:simulatorRotation", env: "HPCS_SIMULATOR_ROTATION" },
  simulatorVpBinding: { config: "hpcs:simulatorVpBinding", env: "HPCS_SIMULATOR_VP_BINDING" },
  simulatorKeyParts: { config: "hpcs:simulatorKeyParts", env: "HPCS_SIMULATOR_KEY_PARTS" },
  apiKey: { config: "hpcs:apiKey", env: "IBMCLOUD_API_KEY" },
  region: { config: "hpcs:region", env: "HPCS_REGION" },
  resourceGroup: { config: "hpcs:resourceGroup", env: "HPCS_RESOURCE_GROUP" },
  ibmcloudPath: { config: "hpcs:ibmcloudPath", env: "HPCS_IBMCLOUD" },
  ibmcloudHome: { config: "hpcs:ibmcloudHome", env: "IBMCLOUD_HOME" },
  apiEndpoint: { config: "hpcs:apiEndpoint", env: "HPCS_API_ENDPOINT" },
  tkeFilesDir: { config: "hpcs:tkeFilesDir", env: "CLOUDTKEFILES" },
  transcriptDir: { config: "hpcs:transcriptDir", env: "HPCS_TRANSCRIPT_DIR" },
  evidenceDir: { config: "hpcs:evidenceDir", env: "HPCS_EVIDENCE_DIR" },
  tkeApiVisibility: { config: "hpcs:tkeApiVisibility", env: "HPCS_TKE_API_VISIBILITY" },
  tkeApiTestEndpoint: { config: "hpcs:tkeApiTestEndpoint", env: undefined },
  tkeApiTestRootsFile: { config: "hpcs:tkeApiTestRootsFile", env: undefined },
} as const satisfies Record<string, { config: string; env: string | undefined }>;

/** What each real backend cannot run without: checked before anything is opened, each named as the user sets it. */
const REQUIRED = {
  simulator: [],
  "tke-cli": ["apiKey", "region", "resourceGroup"],
  "tke-api": ["apiKey", "region"],
  "tke-api+cli": ["apiKey", "region", "resourceGroup"],
} as const satisfies Record<(typeof BACKENDS)[number], readonly (keyof typeof KEYS)[]>;

const named = (field: keyof typeof KEYS) => (KEYS[field].env ? `${KEYS[field].config} (or ${KEYS[field].env})` : KEYS[field].config);

/** readProviderConfig — stack config first, then the environment, then defaults. Errors name the key to fix. */
export function readProviderConfig(source: ConfigSource | undefined, env: NodeJS.ProcessEnv = process.env): ProviderConfig {
  const raw: Record<string, string> = {};
  for (const [field, key] of Object.entries(KEYS)) {
    const value = source?.get(key.config) ?? (key.env === undefined ? undefined : env[key.env]);
    if (value !== undefined && value !== "") raw[field] = value;
  }
  const parsed = providerConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = KEYS[issue.path[0] as keyof typeof KEYS];
    const where = key ? `stack config ${named(issue.path[0] as keyof typeof KEYS)}` : "provider configuration";
    if (issue.path[0] === "backend") {
      throw new InputError(`${where}: "${raw.backend}" is not a backend of this release; use ${BACKENDS.map((b) => `"${b}"`).join(", ")}`, "backend");
    }
    throw new InputError(`${where}: ${issue.message}`, String(issue.path[0] ?? "config"));
  }
  const missing = REQUIRED[parsed.data.backend].filter((field) => parsed.data[field] === undefined);
  if (missing.length > 0) {
    throw new InputError(
      `the ${parsed.data.backend} backend needs ${missing.map(named).join(", ")}: set ${missing.length === 1 ? "it" : "them"} in the stack config (pulumi config set${missing.some((f) => f === "apiKey") ? " --secret" : ""} …) or the environment`,
      missing[0],
    );
  }
  if ((parsed.data.tkeApiTestEndpoint === undefined) !== (parsed.data.tkeApiTestRootsFile === undefined)) {
    throw new InputError("hpcs:tkeApiTestEndpoint and hpcs:tkeApiTestRootsFile are set together or not at all: a test endpoint is trusted only with the roots its test configuration names", "tkeApiTestEndpoint");
  }
  return parsed.data;
}
