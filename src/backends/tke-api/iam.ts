import { z } from "zod";
import { HpcsError } from "../../model/errors";
import { jsonOrUndefined } from "../../model/json-text";
import { TransientError } from "../../engine/port/errors";

/**
 * IAM — the API key exchanged for an access token (research real-backends §4.1): `POST /identity/token` with
 * `grant_type=urn:ibm:params:oauth:grant-type:apikey`. The token is reused and exchanged again once 80 % of its
 * lifetime has passed (go-sdk-core's refresh point), so a ceremony that outlasts one token never sends an expired one;
 * `invalidate` drops it after a 401. Neither the key nor a token appears in any message this module builds.
 */
export interface IamOptions {
  /** A secret. */
  readonly apiKey: string;
  /** `https://iam.cloud.ibm.com`, or a test endpoint's. */
  readonly endpoint: string;
  readonly fetch: typeof fetch;
  readonly clock?: () => number;
}

const tokenResponse = z.object({
  access_token: z.string().min(1),
  token_type: z.string().min(1),
  expires_in: z.number().int().positive(),
  expiration: z.number().optional(),
});

const iamErrorBody = z.object({ errorCode: z.string().optional(), errorMessage: z.string().optional() }).passthrough();

/** IAM refused the API key (HTTP 400/401/403): it is wrong, deleted, or locked. Nothing was sent to the instance. */
export class IamError extends HpcsError {
  readonly retryable = false;
  constructor(
    readonly status: number,
    ibmMessage: string,
  ) {
    super(`IBM Cloud IAM refused the API key (HTTP ${status}): ${ibmMessage}. Check hpcs:apiKey (or IBMCLOUD_API_KEY): it must be an active API key of a user or service ID with access to this instance.`);
  }
}

/** Share of a token's lifetime after which it is exchanged again (go-sdk-core refreshes at expiration − 0.2·expires_in). */
const REFRESH_AT = 0.8;

export class IamTokenSource {
  private token: { readonly authorization: string; readonly refreshAtMs: number } | undefined;
  private pending: Promise<string> | undefined;
  private readonly clock: () => number;

  constructor(private readonly options: IamOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /** The `Authorization` header value, `Bearer <token>`: the cached one while it is fresh, else a new exchange. */
  async authorization(signal?: AbortSignal): Promise<string> {
    if (this.token && this.clock() < this.token.refreshAtMs) return this.token.authorization;
    this.pending ??= this.exchange(signal).finally(() => (this.pending = undefined));
    return this.pending;
  }

  /** Forgets the token (the service answered 401 with it): the next call exchanges the key again. */
  invalidate(): void {
    this.token = undefined;
  }

  private async exchange(signal?: AbortSignal): Promise<string> {
    const started = this.clock();
    const body = new URLSearchParams({ grant_type: "urn:ibm:params:oauth:grant-type:apikey", apikey: this.options.apiKey, response_type: "cloud_iam" });
    let response: Response;
    try {
      response = await this.options.fetch(`${this.options.endpoint}/identity/token`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
        body: body.toString(),
        signal,
      });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw new TransientError(`IBM Cloud IAM (${this.options.endpoint}) could not be reached: ${(error as Error).message}`, { cause: error });
    }
    const text = await response.text();
    if (response.status >= 500) throw new TransientError(`IBM Cloud IAM answered HTTP ${response.status}; try again later`);
    if (!response.ok) throw new IamError(response.status, ibmMessage(text, this.options.apiKey));
    const parsed = tokenResponse.safeParse(jsonOrUndefined(text));
    if (!parsed.success) throw new TransientError("IBM Cloud IAM answered with a token response this client does not recognise (no access_token/expires_in)");
    const { access_token, token_type, expires_in } = parsed.data;
    const authorization = `${token_type === "bearer" ? "Bearer" : token_type} ${access_token}`;
    this.token = { authorization, refreshAtMs: started + REFRESH_AT * expires_in * 1000 };
    return authorization;
  }
}

/** IAM's own words for a refusal, with the key (should IAM echo it) and anything token-like masked. */
function ibmMessage(text: string, apiKey: string): string {
  const parsed = iamErrorBody.safeParse(jsonOrUndefined(text));
  const message = parsed.success ? [parsed.data.errorCode, parsed.data.errorMessage].filter(Boolean).join(": ") : "";
  const masked = apiKey.length > 0 ? message.split(apiKey).join("[the API key]") : message;
  return masked.length > 0 ? masked.replace(/[A-Za-z0-9_-]{40,}/g, "[redacted]").slice(0, 300) : "no message";
}
