import { IamError, IamTokenSource } from "../../src/backends/tke-api/iam";
import { TransientError } from "../../src/engine/port/errors";

/** IAM's token exchange, with a fake IAM: the token is reused, exchanged again before it expires, and never echoed. */
const API_KEY = "iam-test-key-5f0c2d7a91b3";

function fakeIam(answers: readonly (() => Response)[]) {
  const bodies: string[] = [];
  let next = 0;
  const fetcher = (async (_url: string, init?: RequestInit) => {
    bodies.push(String(init?.body));
    return answers[Math.min(next++, answers.length - 1)]();
  }) as typeof fetch;
  return { fetcher, bodies };
}

const token = (name: string, expiresIn = 3600) => () => new Response(JSON.stringify({ access_token: name, token_type: "Bearer", expires_in: expiresIn, expiration: 0 }), { status: 200 });

test("a token is reused until 80 % of its life has passed, then exchanged again", async () => {
  let now = 0;
  const { fetcher, bodies } = fakeIam([token("first"), token("second")]);
  const iam = new IamTokenSource({ apiKey: API_KEY, endpoint: "http://iam", fetch: fetcher, clock: () => now });
  expect(await iam.authorization()).toBe("Bearer first");
  now = 2_879_000;
  expect(await iam.authorization()).toBe("Bearer first");
  now = 2_880_000;
  expect(await iam.authorization()).toBe("Bearer second");
  expect(bodies).toHaveLength(2);
  expect(new URLSearchParams(bodies[0]).get("grant_type")).toBe("urn:ibm:params:oauth:grant-type:apikey");
});

test("concurrent callers share one exchange; invalidate forces the next", async () => {
  const { fetcher, bodies } = fakeIam([token("a"), token("b")]);
  const iam = new IamTokenSource({ apiKey: API_KEY, endpoint: "http://iam", fetch: fetcher });
  await Promise.all([iam.authorization(), iam.authorization(), iam.authorization()]);
  expect(bodies).toHaveLength(1);
  iam.invalidate();
  expect(await iam.authorization()).toBe("Bearer b");
});

test("a refused key is IAM's message, without the key; a 5xx is transient", async () => {
  const refused = fakeIam([() => new Response(JSON.stringify({ errorCode: "BXNIM0415E", errorMessage: `Provided API key could not be found. (${API_KEY})` }), { status: 400 })]);
  const error = await new IamTokenSource({ apiKey: API_KEY, endpoint: "http://iam", fetch: refused.fetcher }).authorization().catch((e: Error) => e);
  expect(error).toBeInstanceOf(IamError);
  expect((error as Error).message).toContain("BXNIM0415E: Provided API key could not be found.");
  expect((error as Error).message).not.toContain(API_KEY);
  const down = fakeIam([() => new Response("", { status: 503 })]);
  await expect(new IamTokenSource({ apiKey: API_KEY, endpoint: "http://iam", fetch: down.fetcher }).authorization()).rejects.toBeInstanceOf(TransientError);
});
