/**
 * The provider's runtime: what the serialized MasterKeyProvider `require`s inside each method
 * (`pulumi-hpcs-masterkey/runtime`). Keeping the code here, not in the closure, keeps `__provider` tiny and lets
 * a package upgrade reach stacks whose state froze an older provider text.
 */
import { printable } from "./format/printable";
import { readProviderConfig, type ConfigSource, type ProviderConfig } from "./provider/config";
import type { LifecycleContext } from "./provider/lifecycle";

export { checkMasterKey, createMasterKey, deleteMasterKey, diffMasterKey, readMasterKey, updateMasterKey } from "./provider/lifecycle";
export { readProviderConfig };

/** The lifecycle context for a configured provider; without configure, the environment and defaults apply. */
export function lifecycleContext(config: ProviderConfig | undefined): LifecycleContext {
  // Lines carry names from files and the service (administrators): never raw control characters in Pulumi's output.
  return { config: config ?? readProviderConfig(undefined), log: (line) => console.log(line.split("\n").map(printable).join("\n")) };
}

export type { ConfigSource, ProviderConfig };
