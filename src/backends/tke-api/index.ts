/**
 * The TKE API backend: the engine's port over IBM's TKE HTTP API (DESIGN §5), reads verified against the modules' OA
 * keys and IBM's roots, commit and set immediate bound to the engine's VP in the HSM. Internals (the client, the HTTP
 * layer, IAM) are not exported: tests of them import the modules directly.
 */
export { openTkeApi, TkeApiBackend, TKE_API_CAPABILITIES, type TkeApiOptions } from "./backend";
export { endpointsFor, type Endpoints, type Visibility } from "./endpoints";
export { IamError } from "./iam";
export { TkeVerificationError, TkeApiRequestError } from "./client";
export { TkeHttpError } from "./http";
