/**
 * The embedded HPCS simulator (DESIGN §5): persisted instances, TKE command equivalents with EP11 errors, really
 * encrypted key storage with a resumable rewrap, fault injection, and the key storage invariant checks.
 *
 * Internals (the pure unit rules in hsm.ts/workstation.ts/precheck.ts, the state store, the chunk format) are not
 * exported here on purpose: callers go through the Backend interface or the functions below, so the file layout can
 * change without breaking them. Tests of the rules import the modules directly.
 */
export { openSimulator, killProcess, SimulatorBackend, type SimulatorOptions } from "./backend";
export { createSimulatedInstance, type CreateSimulatedInstanceOptions, type SimulatedAdmin, type SimulatedInstance } from "./create";
export { faultSpecSchema, isSimulatedCrash, InjectedFailure, SimulatedCrash, type ArmedFault, type Fault, type FaultKind, type FaultSpec } from "./faults";
export type { CrashHook } from "./fault-injector";
export { checkKeyStorageReadable, keyStorageReaders, verifyKeyStorage, type KeyStorageReport, type RecordReaders } from "./invariants";
export {
  armFault,
  clearFaults,
  describeSimulatedInstance,
  editSimulatedInstance,
  listArmedFaults,
  listSimulatedInstances,
  takeUnexpectedPrompt,
  unsafeAnswersFile,
  type SimulatedInstanceSummary,
} from "./manage";
export type { InstanceState, UnitState } from "./instance-state";
export { instanceSelection, type Selection } from "./selection";
export { KeyStorageError } from "./rewrap-job";
export { rotatePrecheck } from "./precheck";
export { AdministrationError, administrationSignatures, type Administration } from "./administration";
export { SimulatorStateError } from "./state-store";
export { advanceTransactionCounter, executeSignedCommand, readHsms, type HsmView, type SignedHsmCommand } from "./hsm-service";
