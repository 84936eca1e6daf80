import type { Backend } from "../engine/port/backend";
import type { Capabilities } from "../engine/port/capabilities";
import { openSimulator } from "../backends/simulator";
import { openKeyPartFiles } from "../files/key-parts";

/**
 * The composition root: the one place that turns configuration into a backend. The engine owns the port, backends
 * implement it, and the shells (provider, CLI) read their configuration and call this; nothing below it imports a
 * shell, and no backend reads user files or configuration of its own.
 */
export interface BackendSettings {
  readonly backend: "simulator";
  readonly simulatorDir: string;
  readonly simulatorLatencyMs: number;
  readonly simulatorRewrapStatus: Capabilities["rewrapStatus"];
  readonly simulatorRotation: Capabilities["rotation"];
  readonly simulatorVpBinding: Capabilities["vpBinding"];
  readonly simulatorKeyParts: Capabilities["keyParts"];
}

/** openBackend — the backend the settings name, bound to one instance. */
export async function openBackend(settings: BackendSettings, instanceId: string): Promise<Backend> {
  switch (settings.backend) {
    case "simulator":
      return openSimulator({
        dir: settings.simulatorDir,
        instanceId,
        latencyMs: settings.simulatorLatencyMs,
        capabilities: { rewrapStatus: settings.simulatorRewrapStatus, rotation: settings.simulatorRotation, vpBinding: settings.simulatorVpBinding, keyParts: settings.simulatorKeyParts },
        // The opaque simulator stands in for the TKE CLI plug-in, which opens its own key part files: here, ours.
        openKeyPartFiles,
      });
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
  }
}
