import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Backend } from "../engine/port/backend";
import type { Capabilities } from "../engine/port/capabilities";
import { openSimulator } from "../backends/simulator";
import { openTkeCli, spawnPty, type Transcript } from "../backends/tke-cli";
import { endpointsFor, openTkeApi, type Visibility } from "../backends/tke-api";
import { openKeyPartFiles, openOwnKeyPartFile } from "../files/key-parts";
import { readTrustAnchors } from "../files/trust-anchors";
import { IBM_ROOTS } from "../protocol/ibm-roots";

/**
 * The composition root: the one place that turns configuration into a backend. The engine owns the port, backends
 * implement it, and the shells (provider, CLI) read their configuration and call this; nothing below it imports a
 * shell, and no backend reads user files or configuration of its own.
 */
export interface BackendSettings {
  readonly backend: "simulator" | "tke-cli" | "tke-api" | "tke-api+cli";
  readonly simulatorDir: string;
  readonly simulatorLatencyMs: number;
  readonly simulatorRewrapStatus: Capabilities["rewrapStatus"];
  readonly simulatorRotation: Capabilities["rotation"];
  readonly simulatorVpBinding: Capabilities["vpBinding"];
  readonly simulatorKeyParts: Capabilities["keyParts"];
  readonly apiKey?: string;
  readonly region?: string;
  readonly resourceGroup?: string;
  readonly ibmcloudPath: string;
  readonly ibmcloudHome?: string;
  readonly apiEndpoint: string;
  readonly transcriptDir: string;
  readonly tkeApiVisibility: Visibility;
  readonly tkeApiTestEndpoint?: string;
  readonly tkeApiTestRootsFile?: string;
}

/** Appends a redacted transcript to the instance's transcript file (never a secret: masked where it is recorded). */
function transcriptSink(dir: string, instanceId: string): (t: Transcript) => void {
  return (t) => {
    mkdirSync(dir, { recursive: true });
    appendFileSync(join(dir, `${instanceId}.log`), `=== ${t.startedAt} ${t.command} (exit ${t.exitCode ?? "unknown"})\n${t.text}\n`);
  };
}

export type { Transcript };

export interface OpenOptions {
  /** Also given every redacted transcript of IBM's plug-in (the evidence record keeps them). */
  readonly onTranscript?: (transcript: Transcript) => void;
  /** Told what the backend is waiting for when a wait is long enough to look like a hang (progress output). */
  readonly onWait?: (notice: string) => void;
}

/** openBackend — the backend the settings name, bound to one instance. Close it (`Backend.close`) when the run ends. */
export async function openBackend(settings: BackendSettings, instanceId: string, options: OpenOptions = {}): Promise<Backend> {
  switch (settings.backend) {
    case "simulator":
      return openSimulator({
        dir: settings.simulatorDir,
        instanceId,
        latencyMs: settings.simulatorLatencyMs,
        capabilities: { rewrapStatus: settings.simulatorRewrapStatus, rotation: settings.simulatorRotation, vpBinding: settings.simulatorVpBinding, keyParts: settings.simulatorKeyParts },
        // The opaque simulator stands in for the TKE CLI plug-in, which opens its own key part files: here, ours.
        openKeyPartFiles,
        ...(options.onWait ? { onLockWait: options.onWait } : {}),
      });
    case "tke-cli":
      return openCli(settings, instanceId, options);
    case "tke-api":
    case "tke-api+cli": {
      const region = settings.region ?? "";
      const endpoints = endpointsFor({ region, visibility: settings.tkeApiVisibility, testEndpoint: settings.tkeApiTestEndpoint });
      // Roots other than IBM's only from the file a test configuration names, and only with its test endpoint.
      const anchors = settings.tkeApiTestRootsFile !== undefined ? readTrustAnchors(settings.tkeApiTestRootsFile) : IBM_ROOTS;
      const cli = settings.backend === "tke-api+cli" ? await openCli(settings, instanceId, options) : undefined;
      try {
        return openTkeApi({ instanceId, region, endpoints, apiKey: settings.apiKey ?? "", anchors, cli });
      } catch (error) {
        await cli?.close();
        throw error;
      }
    }
  }
}

function openCli(settings: BackendSettings, instanceId: string, options: OpenOptions) {
  const toFile = transcriptSink(settings.transcriptDir, instanceId);
  return openTkeCli({
    instanceId,
    ibmcloud: settings.ibmcloudPath,
    ibmcloudHome: settings.ibmcloudHome,
    apiKey: settings.apiKey ?? "",
    apiEndpoint: settings.apiEndpoint,
    region: settings.region ?? "",
    resourceGroup: settings.resourceGroup ?? "",
    environment: process.env,
    openOwnKeyPart: openOwnKeyPartFile,
    spawn: spawnPty,
    onTranscript: (t) => {
      toFile(t);
      options.onTranscript?.(t);
    },
  });
}

/** withBackend — opens the backend, runs `work` with it, and closes it whatever happens. */
export async function withBackend<T>(settings: BackendSettings, instanceId: string, work: (backend: Backend) => Promise<T>, options: OpenOptions = {}): Promise<T> {
  const backend = await openBackend(settings, instanceId, options);
  try {
    return await work(backend);
  } finally {
    await backend.close?.();
  }
}

/**
 * The kind of key parts the configured backend takes (`capabilities.keyParts`), known without opening it: `check`
 * validates key part files before any backend is reached, and opaque ones are only hashed, never opened.
 */
export function keyPartsTakenBy(settings: BackendSettings): Capabilities["keyParts"] {
  switch (settings.backend) {
    case "simulator":
      return settings.simulatorKeyParts;
    case "tke-cli":
    case "tke-api":
    case "tke-api+cli":
      return "opaque";
  }
}
