import type { ProviderConfig } from "../provider/config";
import type { Backend } from "./backend";
import { openSimulator } from "./simulator/backend";

/** openBackend — the backend the configuration names, bound to one instance. */
export async function openBackend(config: ProviderConfig, instanceId: string): Promise<Backend> {
  switch (config.backend) {
    case "simulator":
      return openSimulator({ dir: config.simulatorDir, instanceId, latencyMs: config.simulatorLatencyMs, reportsRewrapStatus: config.simulatorRewrapStatus === "reported" });
  }
}
