import type { Backend } from "../engine/port/backend";
import type { Capabilities } from "../engine/port/capabilities";
import { openSimulator } from "../backends/simulator";

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
}

/** openBackend — the backend the settings name, bound to one instance. */
export async function openBackend(settings: BackendSettings, instanceId: string): Promise<Backend> {
  switch (settings.backend) {
    case "simulator":
      return openSimulator({
        dir: settings.simulatorDir,
        instanceId,
        latencyMs: settings.simulatorLatencyMs,
        capabilities: { rewrapStatus: settings.simulatorRewrapStatus, rotation: settings.simulatorRotation, vpBinding: settings.simulatorVpBinding },
      });
  }
}
