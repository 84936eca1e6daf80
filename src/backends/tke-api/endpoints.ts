import { InputError } from "../../model/errors";

/**
 * Where the TKE HTTP API and IAM are (research real-backends §4.2): `https://tke.<region>.hs-crypto.cloud.ibm.com`,
 * or `https://tke.private.<region>.hs-crypto.cloud.ibm.com` over a private endpoint. Nothing else is ever contacted,
 * except a test endpoint on this machine named explicitly in configuration (`testEndpoint`), which serves IAM as well
 * (the emulator).
 */
export type Visibility = "public" | "private";

export interface Endpoints {
  readonly tke: string;
  readonly iam: string;
  /** True for a test endpoint: only then may trust anchors other than IBM's be used. */
  readonly test: boolean;
}

/** IBM Cloud region names: lower-case words joined by hyphens (`us-south`, `eu-de`, `jp-tok`). */
const REGION = /^[a-z]{2,}(-[a-z]+)+$/;

export function endpointsFor(settings: { readonly region: string; readonly visibility: Visibility; readonly testEndpoint?: string }): Endpoints {
  if (settings.testEndpoint !== undefined) {
    let url: URL;
    try {
      url = new URL(settings.testEndpoint);
    } catch {
      throw new InputError(`hpcs:tkeApiTestEndpoint must be a URL such as http://127.0.0.1:8443; got ${JSON.stringify(settings.testEndpoint)}`, "tkeApiTestEndpoint");
    }
    if (!/^https?:$/.test(url.protocol) || url.pathname !== "/" || url.search !== "") {
      throw new InputError(`hpcs:tkeApiTestEndpoint must be a bare http(s) origin such as http://127.0.0.1:8443; got ${settings.testEndpoint}`, "tkeApiTestEndpoint");
    }
    // The API key goes to the test endpoint's IAM: only to this machine, never across a network in clear text.
    if (!["127.0.0.1", "localhost", "[::1]"].includes(url.hostname)) {
      throw new InputError(`hpcs:tkeApiTestEndpoint must be on this machine (127.0.0.1, localhost or [::1]), where the emulator runs; got ${url.hostname}`, "tkeApiTestEndpoint");
    }
    return { tke: url.origin, iam: url.origin, test: true };
  }
  if (!REGION.test(settings.region)) throw new InputError(`hpcs:region must be an IBM Cloud region such as us-south or eu-de; got ${JSON.stringify(settings.region)}`, "region");
  const host = settings.visibility === "private" ? `tke.private.${settings.region}` : `tke.${settings.region}`;
  return {
    tke: `https://${host}.hs-crypto.cloud.ibm.com`,
    iam: settings.visibility === "private" ? "https://private.iam.cloud.ibm.com" : "https://iam.cloud.ibm.com",
    test: false,
  };
}
