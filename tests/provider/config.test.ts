import { readProviderConfig, type ConfigSource } from "../../src/provider/config";

/** Provider configuration: what each backend needs, named as the user sets it, and what no environment can change. */
const stack = (values: Record<string, string>): ConfigSource => ({ get: (key) => values[key] });

describe("provider configuration", () => {
  test("nothing set: the embedded simulator", () => {
    expect(readProviderConfig(undefined, {})).toMatchObject({ backend: "simulator", tkeApiVisibility: "public" });
  });

  test("an unknown backend names the ones there are", () => {
    expect(() => readProviderConfig(stack({ "hpcs:backend": "kms" }), {})).toThrow('stack config hpcs:backend (or HPCS_BACKEND): "kms" is not a backend of this release; use "simulator", "tke-cli", "tke-api", "tke-api+cli"');
  });

  test.each([
    ["tke-api", "hpcs:apiKey (or IBMCLOUD_API_KEY), hpcs:region (or HPCS_REGION)"],
    ["tke-api+cli", "hpcs:apiKey (or IBMCLOUD_API_KEY), hpcs:region (or HPCS_REGION), hpcs:resourceGroup (or HPCS_RESOURCE_GROUP)"],
  ])("%s names every missing setting", (backend, named) => {
    expect(() => readProviderConfig(stack({ "hpcs:backend": backend }), {})).toThrow(`the ${backend} backend needs ${named}`);
  });

  test("the TKE API backend alone needs no resource group and no ibmcloud", () => {
    expect(readProviderConfig(stack({ "hpcs:backend": "tke-api", "hpcs:region": "eu-de" }), { IBMCLOUD_API_KEY: "k" })).toMatchObject({ backend: "tke-api", region: "eu-de", apiKey: "k" });
  });

  test("a test endpoint and its roots come from stack config only, and together", () => {
    const env = { HPCS_TKE_API_TEST_ENDPOINT: "http://127.0.0.1:1", HPCS_TKE_API_TEST_ROOTS_FILE: "roots.json", TKE_API_TEST_ENDPOINT: "http://127.0.0.1:1" };
    const config = readProviderConfig(stack({ "hpcs:backend": "tke-api", "hpcs:region": "us-south", "hpcs:apiKey": "k" }), env);
    expect(config.tkeApiTestEndpoint).toBeUndefined();
    expect(config.tkeApiTestRootsFile).toBeUndefined();
    expect(() => readProviderConfig(stack({ "hpcs:backend": "tke-api", "hpcs:region": "us-south", "hpcs:apiKey": "k", "hpcs:tkeApiTestEndpoint": "http://127.0.0.1:1" }), {})).toThrow(
      "hpcs:tkeApiTestEndpoint and hpcs:tkeApiTestRootsFile are set together or not at all",
    );
  });
});
