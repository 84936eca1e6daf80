/* eslint-disable @typescript-eslint/no-require-imports -- the serialized provider must require its runtime lazily */
import type * as Runtime from "../runtime";
import type { ConfigSource, ProviderConfig } from "../runtime";

type Props = Record<string, unknown>;

/** The runtime is required inside each method, by package name, so the serialized closure stays small. */
function runtime(): typeof Runtime {
  return require("pulumi-hpcs-masterkey/runtime");
}

/**
 * MasterKeyProvider — the dynamic ResourceProvider. Pulumi serializes this object into state (`__provider`) and
 * re-runs it for refresh and destroy, so it holds no code beyond delegation: no arrow-function fields, no #private
 * fields, no captured values. `config` is set at run time by `configure` and never serialized.
 */
export class MasterKeyProvider {
  config?: ProviderConfig;

  async configure(req: { config: ConfigSource }): Promise<void> {
    this.config = runtime().readProviderConfig(req.config);
  }

  async check(olds: Props, news: Props) {
    const rt = runtime();
    return rt.checkMasterKey(rt.lifecycleContext(this.config), olds, news);
  }

  async diff(_id: string, olds: Props, news: Props) {
    const rt = runtime();
    return rt.diffMasterKey(rt.lifecycleContext(this.config), olds, news);
  }

  async create(inputs: Props) {
    const rt = runtime();
    return rt.createMasterKey(rt.lifecycleContext(this.config), inputs);
  }

  async read(id: string, props: Props) {
    const rt = runtime();
    return rt.readMasterKey(rt.lifecycleContext(this.config), id, props);
  }

  async update(_id: string, olds: Props, news: Props) {
    const rt = runtime();
    return rt.updateMasterKey(rt.lifecycleContext(this.config), olds, news);
  }

  async delete(id: string) {
    const rt = runtime();
    return rt.deleteMasterKey(rt.lifecycleContext(this.config), id);
  }
}
