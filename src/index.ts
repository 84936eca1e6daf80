/**
 * Public API. The engine, backends and provider internals are implementation details and stay unexported: users
 * declare a MasterKey; operators use the hpcs-mk CLI.
 */
export { MasterKey } from "./resource";
export type { MasterKeyArgs, SecretFileArgs } from "./resource";
export type { MasterKeyOutputs, UnitOutput, LastStep } from "./provider/outputs";
export type { PhaseName } from "./engine/phases";
export type { Journal } from "./engine/journal";
export { isRefusal } from "./engine/decision";
export type { Refusal, RefusalCode } from "./engine/decision";
export { isTransient, Ep11Error, AuthExpiredError, TransientError, UnitUnavailableError, PrecheckFailedError } from "./engine/port/errors";
export { HpcsError, InputError, KeyPartFileError, SignatureKeyFileError, InvariantViolation } from "./model/errors";
