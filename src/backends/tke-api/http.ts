import { z } from "zod";
import { HpcsError } from "../../model/errors";
import { AuthExpiredError, TransientError, UnknownInstanceError } from "../../engine/port/errors";
import type { UnitType } from "../../model/registers";
import { domainAddress } from "../../protocol/htp";
import type { Endpoints } from "./endpoints";
import type { IamTokenSource } from "./iam";

/**
 * The TKE HTTP API's two routes (research tke-domain §6.1): `GET /v1/tke/<instance>/hsms` lists the crypto units, and
 * `POST /v1/tke/<instance>/hsms/<hsm_id>` carries one HTPRequest to one unit and returns its HTPResponse. HTTP errors
 * become the port's typed errors with IBM's texts; a 401 is retried once with a freshly exchanged token, since a
 * ceremony can outlast one token.
 */

const hsmEntry = z.object({
  hsm_id: z.string().min(1),
  location: z.string().refine(isLocation, "expected [zone].[host].[module].[domain]"),
  serial_number: z.string().min(1),
  state: z.string().optional(),
  version: z.union([z.number(), z.string()]).optional(),
});

const hsmsResponse = z.object({
  hsms: z.array(hsmEntry),
  source_hsms: z.array(hsmEntry).nullish(),
  failover_hsms: z.array(hsmEntry).nullish(),
});

const postResponse = z.object({ response: z.string() });

function isLocation(location: string): boolean {
  try {
    domainAddress(location);
    return true;
  } catch {
    return false;
  }
}

/** A crypto unit as `GET /hsms` lists it: `hsms` are operational, `source_hsms` recovery, `failover_hsms` failover. */
export interface ListedHsm {
  readonly id: string;
  readonly type: UnitType;
  readonly location: string;
  readonly serialNumber: string;
}

/** IBM's texts for the HTTP errors (SDK `common/submit.go`, research tke-domain §6.1). */
export const HTTP_TEXTS = {
  notFound: "The service instance or crypto unit could not be found. Check and ensure that you have the correct resource group and region targeted and that you are logged into the correct account.",
  unavailable: "IBM Hyper Protect Crypto Services is currently unavailable.  Your request could not be processed.  Please try again later.",
} as const;

/** The TKE API refused a request for a reason no retry fixes (HTTP 400 and the like). */
export class TkeHttpError extends HpcsError {
  readonly retryable = false;
}

export interface TkeHttpOptions {
  readonly endpoints: Endpoints;
  readonly instanceId: string;
  readonly iam: IamTokenSource;
  readonly fetch: typeof fetch;
}

export class TkeHttp {
  constructor(private readonly options: TkeHttpOptions) {}

  async listHsms(signal?: AbortSignal): Promise<ListedHsm[]> {
    const body = await this.request("GET", `/v1/tke/${this.options.instanceId}/hsms`, undefined, signal);
    const parsed = hsmsResponse.safeParse(body);
    if (!parsed.success) throw new TkeHttpError(`Error querying crypto units. GET /hsms answered a list this client does not recognise (${parsed.error.issues[0]?.path.join(".") ?? ""}: ${parsed.error.issues[0]?.message ?? "invalid"}); nothing was changed`);
    const of = (type: UnitType, entries: readonly z.infer<typeof hsmEntry>[] | null | undefined) =>
      (entries ?? []).map((e) => ({ id: e.hsm_id, type, location: e.location, serialNumber: e.serial_number }));
    return [...of("operational", parsed.data.hsms), ...of("recovery", parsed.data.source_hsms), ...of("failover", parsed.data.failover_hsms)];
  }

  /** One HTPRequest to one unit; its HTPResponse string. */
  async send(hsmId: string, htpRequest: string, signal?: AbortSignal): Promise<string> {
    const body = await this.request("POST", `/v1/tke/${this.options.instanceId}/hsms/${encodeURIComponent(hsmId)}`, { request: htpRequest }, signal);
    const parsed = postResponse.safeParse(body);
    if (!parsed.success || parsed.data.response.length === 0) throw new TransientError(`crypto unit ${hsmId}: No HTPResponse returned; the request may or may not have taken effect.`);
    return parsed.data.response;
  }

  private async request(method: "GET" | "POST", path: string, json: unknown, signal: AbortSignal | undefined): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      const authorization = await this.options.iam.authorization(signal);
      let response: Response;
      try {
        response = await this.options.fetch(`${this.options.endpoints.tke}${path}`, {
          method,
          headers: { "Content-Type": "application/json", Accept: "application/json", Authorization: authorization },
          body: json === undefined ? undefined : JSON.stringify(json),
          signal,
        });
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        // The request may have reached the unit: the caller re-observes before it does anything else.
        throw new TransientError(`${method} ${path}: the connection to ${this.options.endpoints.tke} failed (${(error as Error).message}); the request may or may not have taken effect`, { cause: error });
      }
      const text = await response.text().catch((error: Error) => {
        throw new TransientError(`${method} ${path}: the response was cut off (${error.message}); the request may or may not have taken effect`, { cause: error });
      });
      if (response.status === 401 || response.status === 403) {
        this.options.iam.invalidate();
        if (attempt === 1) continue;
        throw new AuthExpiredError();
      }
      if (response.status === 404) throw new UnknownInstanceError(this.options.instanceId, HTTP_TEXTS.notFound);
      if (response.status >= 500) throw new TransientError(`${method} ${path}: HTTP ${response.status}. ${HTTP_TEXTS.unavailable}${method === "POST" ? " The request may or may not have taken effect." : ""}`);
      if (!response.ok) throw new TkeHttpError(`${method} ${path}: HTTP ${response.status} ${text.slice(0, 200)}`);
      try {
        return JSON.parse(text);
      } catch {
        throw new TransientError(`${method} ${path}: the response is not JSON; the request may or may not have taken effect`);
      }
    }
  }
}
