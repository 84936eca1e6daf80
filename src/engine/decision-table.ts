import type { ShellWords } from "./shell-words";
import type { RewrapStatus, UnitStatus } from "./port/backend";
import type { Administrator } from "../model/registers";
import { EMPTY_VP, type Vp } from "../model/vp";
import type { ActionKind, RefusalCode } from "./decision";
import type { Journal, JournalBinding } from "./journal";
import type { Observation } from "./observation";
import type { PhaseName } from "./phases";
import { situationCode } from "./attestation";
import type { Desired } from "./plan";

/**
 * The decision table of DESIGN §4 as executable examples. `docs/decision-table.md` is rendered from these rows
 * (`npm run docs:decision-table`) and a test checks both that `plan` decides each row as stated and that the
 * document is up to date, so the table a person follows and the code cannot disagree. Each row quotes what IBM's
 * troubleshooting page for failed rotations (research/tke-domain.md §4.4) says for the same evidence.
 */
export const EXAMPLE_VPS = {
  old: "a1".repeat(28) + "00000000",
  desired: "c3".repeat(28) + "00000000",
  other: "b2".repeat(28) + "00000000",
} as const satisfies Record<string, Vp>;

export const EXAMPLE_ADMINS: readonly Administrator[] = [
  { ski: "1".repeat(64), name: "admin1" },
  { ski: "2".repeat(64), name: "admin2" },
];

export const EXAMPLE_BINDING: JournalBinding = { instanceId: "example-instance", backend: "example-service" };

/** A unit in terse notation: current is a VP or "-" (Empty); new is "-", "u:<vp>" (Full Uncommitted) or "c:<vp>" (Full Committed). */
export function exampleUnit(id: string, current: Vp | "-", next: string, extra: Partial<UnitStatus> = {}): UnitStatus {
  const [kind, vp] = next === "-" ? ["-", EMPTY_VP] : next.split(":");
  return {
    id,
    type: "operational",
    location: `[us-south].[AZ1-CS1].[01].[${id.replace(/\D/g, "").padStart(2, "0")}]`,
    selected: true,
    current: current === "-" ? { status: "Empty", vp: EMPTY_VP } : { status: "Valid", vp: current },
    new: kind === "-" ? { status: "Empty", vp: EMPTY_VP } : { status: kind === "u" ? "Full Uncommitted" : "Full Committed", vp },
    thresholds: { signature: 2, revocation: 1 },
    admins: EXAMPLE_ADMINS,
    ...extra,
  };
}

export function exampleObservation(units: UnitStatus[], rewrap: RewrapStatus = { state: "none", records: 10 }): Observation {
  return { units, rewrap };
}

/** A journal of this tool's rotation from `old` to `targetVp` on the example instance, open, with no steps. */
export function exampleJournal(targetVp: Vp, extra: Partial<Journal> = {}): Journal {
  return {
    schemaVersion: 4,
    rotationId: "rot-example",
    binding: EXAMPLE_BINDING,
    fromVp: EXAMPLE_VPS.old,
    targetVp,
    startedAt: "2026-01-01T00:00:00.000Z",
    completedAt: null,
    rewrapProof: null,
    keyParts: null,
    generated: null,
    steps: [],
    ...extra,
  };
}

/** Both shells' words at once: the decision table is read by users of either. */
const EXAMPLE_WORDS: ShellWords = {
  declareKeyParts: "keyParts (hpcs-mk --key-part)",
  rotateCommand: "pulumi up (or hpcs-mk rotate)",
  generateCommand: "pulumi up (or hpcs-mk rotate --recovery-unit-key)",
  signatureKeys: "signatureKeys (hpcs-mk --signature-key)",
  declareVp: (vp) => `expectedVerificationPattern: "${vp}" (hpcs-mk --expected-vp ${vp})`,
  attest: (value) => `attestRewrapComplete: "${value}" (hpcs-mk rotate --attest-rewrap-complete ${value})`,
};

export const EXAMPLE_DESIRED: Desired = { key: { kind: "vp", vp: EXAMPLE_VPS.desired }, signerSkis: EXAMPLE_ADMINS.map((a) => a.ski), words: EXAMPLE_WORDS };

export type ExpectedDecision =
  | { readonly kind: "act"; readonly action: ActionKind; readonly units: readonly string[] }
  | { readonly kind: "done" }
  | { readonly kind: "refuse"; readonly code: RefusalCode };

/** The stages of a rotation, in the order a rotation goes through them; the document has one table per stage. */
export const STAGES = [
  "Before a rotation",
  "Loading and committing the new key",
  "Rewrapping key storage",
  "Promotion",
  "A pending key that is not the declared one",
  "Key part files only the backend opens",
  "A key generated in a recovery unit (auto-mk-rotate)",
  "Refusals",
] as const;
export type Stage = (typeof STAGES)[number];

export interface DecisionRow {
  readonly stage: Stage;
  readonly phase: PhaseName;
  /** What else is true, in words a person checks with `ibmcloud tke cryptounit-mk`. */
  readonly when: string;
  readonly then: string;
  /** Why this is the safe choice. */
  readonly why: string;
  /** IBM's evidence and instruction for the same situation, quoted from the troubleshooting page, or why it has none. */
  readonly ibm: string;
  /**
   * Whether the row holds whatever the backend can report about the rewrap: a test replays `either` rows with the
   * report replaced by `unknown` and expects the same decision. Otherwise the example's report decides.
   */
  readonly report?: "either";
  /**
   * The backend shape the row is written for (capabilities.ts). Rows are written for `separate` backends and hold for
   * `combined` ones too, except that a `rewrap` step is a `rotate` there (a test replays every row with the combined
   * shape); `combined` rows are about what only that shape has, the marker.
   */
  readonly rotation?: "combined" | "separate";
  readonly example: { readonly observation: Observation; readonly journal?: Journal; readonly desired?: Desired };
  readonly expect: ExpectedDecision;
}

/** IBM's troubleshooting page for failed rotations with key part files (shared seed), sentence by sentence. */
const IBM = {
  initialConditions: '"Some errors are detected before the command starts to work with key storage or the master key registers. … Correct the initial conditions and run the command again."',
  admins: '"A common set of administrators is not selected and installed in all crypto units large enough to meet the signature threshold value." (an initial condition)',
  currents: '"The current master key registers are not all in the `Valid` state with the same verification pattern." (an initial condition)',
  load: '"During master key rotation, the new master key registers are loaded with the new master key value to be used."',
  rerun: '"If this message is not present, you can recover from the error by running the `ibmcloud tke cryptounit-mk-rotate` command again."',
  present: '"If the message is present, the reencryption of key storage is complete. The only remaining step in the command is to promote the values in the new master key registers to the current master key registers."',
  setimm: '"If all the new master key registers are in the `Valid` state with the same verification pattern and all the current master key registers are in the `Valid` state with a different same verification pattern, run the `ibmcloud tke cryptounit-mk-setimm` command to finish the master key rotation."',
  rm: '"If for some crypto units the new master key value is moved to the current master key register, clear those crypto units by using the `ibmcloud tke cryptounit-rm` command."',
  rmThenSetimm: '"… clear those crypto units by using the `ibmcloud tke cryptounit-rm` command. And then, run the `ibmcloud tke cryptounit-mk-setimm` command to finish the master key rotation."',
  onlyAfterMarker: 'The repair is prescribed only "If the message is present" ("KMS CRK rewrap successful, waiting on cryptounit-mk-setimm."); here the backend shows it is not: "An incorrect recovery action can cause the master key value for key storage to be lost and contents of key storage to become unusable."',
  checkOutput: '"You need to carefully check the command output before the error occurred to determine what recovery action to take." The message decides: the register pattern alone does not.',
  notCovered: (what: string) => `Not covered by the page (${what}).`,
  // IBM's troubleshooting page for rotations with recovery crypto units, as research/tke-domain.md §4.3–4.4 records it.
  delaying: '"Delaying 30 seconds to allow server to discover new master key values" is printed once "all new master key registers have been set with a randomly generated new master key value"; key storage is re-encrypted after it.',
  neither: '"If neither message is present", auto-mk-rotate "can be run again": it generates a fresh random value over the new master key registers. The page assumes nobody else touched the instance.',
  onlyDelaying: '"Do not rerun the `ibmcloud tke auto-mk-rotate` command. If you do, the contents of key storage becomes unusable." With only the Delaying message present, re-encryption has started: run `ibmcloud tke cryptounit-mk-rotate` to resume it.',
  noRecovery: '"The service instance does not contain any recovery crypto units." (IBM\'s SDK refuses the same); auto-mk-rotate is "not available in Madrid (eu-es)".',
} as const;

const { old, desired, other } = EXAMPLE_VPS;
const u = exampleUnit;
const o = exampleObservation;
const j = exampleJournal;
const complete = (targetVp: Vp, records = 10): RewrapStatus => ({ state: "complete", targetVp, records });
const unknown: RewrapStatus = { state: "unknown" };
const proof = (vp: Vp, source: "backend" | "rewrap" | "marker" | "attestation" = "rewrap") => ({ rewrapProof: { vp, source, at: "2026-01-01T00:00:00.000Z" } });
const step = (action: ActionKind, vp: Vp | null, outcome: "started" | "ok" | "failed" = "ok") => ({ action, units: ["u1", "u2"], vp, outcome, at: "2026-01-01T00:00:00.000Z", message: null });
/** An attestation of `vp` made for the situation (from-key, promoted units) of the example instance, or for another one. */
const attested = (vp: Vp, fromVp: Vp | undefined, promoted: readonly string[] = []): Desired => ({
  ...EXAMPLE_DESIRED,
  rewrapAttestation: { vp, code: situationCode({ instanceId: EXAMPLE_BINDING.instanceId, targetVp: vp, fromVp, promoted }) },
});
const committed = (vp: Vp) => [u("u1", old, `c:${vp}`), u("u2", old, `c:${vp}`)];
/** Key part files only the backend opens: their SHA-256s, and, where the user declared it, the VP they make. */
const FILE_IDS = ["1f".repeat(32), "2e".repeat(32)];
const files = (expectedVp?: Vp): Desired => ({ ...EXAMPLE_DESIRED, key: { kind: "files", ids: FILE_IDS, ...(expectedVp ? { expectedVp } : {}) } });
/** Our journal recording that a load of the files reported `madeVp` (null: the load never reported). */
const learnedBy = (madeVp: Vp | null, extra: Partial<Journal> = {}): Journal =>
  j(madeVp ?? desired, { targetVp: madeVp, keyParts: { ids: FILE_IDS, madeVp, at: madeVp && "2026-01-01T00:00:00.000Z" }, steps: [step("loadNew", madeVp, madeVp ? "ok" : "started")], ...extra });
/** A key generated in a recovery unit: a rotation wanted away from `old`. */
const generatedKey = (): Desired => ({ ...EXAMPLE_DESIRED, key: { kind: "generated", replacing: old } });
/** A key generated in a recovery unit, no new one wanted. */
const keepGenerated: Desired = { ...EXAMPLE_DESIRED, key: { kind: "generated", replacing: undefined } };
/** A recovery unit (the last unit of the generation examples). */
const r = (id: string, current: Vp | "-", next: string) => u(id, current, next, { type: "recovery" });
/** Our journal of a generation from `old`: its key `madeVp` (null: never reported), the Delaying line, the steps. */
const generation = (madeVp: Vp | null, extra: Partial<Journal> = {}): Journal =>
  j(madeVp ?? desired, { targetVp: madeVp, generated: { madeVp, at: madeVp && "2026-01-01T00:00:00.000Z", delayingAt: null }, steps: [step("generateNew", madeVp, madeVp ? "ok" : "started")], ...extra });
const halfPromoted = (selected = true) => [u("u1", desired, "-", { selected }), u("u2", old, `c:${desired}`), u("u3", old, `c:${desired}`)];

export const DECISION_TABLE: readonly DecisionRow[] = [
  // Before a rotation
  {
    stage: "Before a rotation",
    phase: "Uninitialized",
    when: "the backend reports key storage empty",
    then: "load the desired key into every unit (then commit, record, set immediate)",
    why: "first-time initialisation; there is nothing to rewrap",
    ibm: IBM.notCovered("first-time initialisation"),
    example: { observation: o([u("u1", "-", "-"), u("u2", "-", "-")], { state: "none", records: 0 }) },
    expect: { kind: "act", action: "loadNew", units: ["u1", "u2"] },
  },
  {
    stage: "Before a rotation",
    phase: "Uninitialized",
    when: "the backend cannot report key storage, no attestation",
    then: "refuse (RewrapNotProven), change nothing",
    why: "unknown is the unsafe side: records may exist, and an initialisation ends with set immediate, which needs key storage proven empty",
    ibm: IBM.notCovered("first-time initialisation"),
    example: { observation: o([u("u1", "-", "-"), u("u2", "-", "-")], unknown) },
    expect: { kind: "refuse", code: "RewrapNotProven" },
  },
  {
    stage: "Before a rotation",
    phase: "Uninitialized",
    when: "the backend cannot report key storage, an operator attests key storage empty for this initialisation",
    then: "load the desired key into every unit",
    why: "the attestation names this key and this situation, and is recorded in the journal before set immediate",
    ibm: IBM.notCovered("first-time initialisation"),
    example: { observation: o([u("u1", "-", "-"), u("u2", "-", "-")], unknown), desired: attested(desired, undefined) },
    expect: { kind: "act", action: "loadNew", units: ["u1", "u2"] },
  },
  {
    stage: "Before a rotation",
    phase: "Active",
    when: "current = desired, every unit selected",
    then: "done",
    why: "converged",
    ibm: IBM.notCovered("nothing to recover"),
    report: "either",
    example: { observation: o([u("u1", desired, "-"), u("u2", desired, "-")]) },
    expect: { kind: "done" },
  },
  {
    stage: "Before a rotation",
    phase: "Active",
    when: "current = desired, units this rotation deselected (journaled) still deselected",
    then: "select them again (cryptounit-add)",
    why: "restores the selection the half-promotion repair changed",
    ibm: IBM.notCovered("after the repair"),
    report: "either",
    example: { observation: o([u("u1", desired, "-", { selected: false }), u("u2", desired, "-")]), journal: j(desired, { steps: [step("deselect", desired)] }) },
    expect: { kind: "act", action: "select", units: ["u1"] },
  },
  {
    stage: "Before a rotation",
    phase: "Active",
    when: "current = desired, units deselected that this tool did not deselect",
    then: "done: nothing to do, the selection is left as it is",
    why: "the declared key is already current; the workstation's selection is someone's choice",
    ibm: IBM.notCovered("nothing to recover"),
    report: "either",
    example: { observation: o([u("u1", desired, "-", { selected: false }), u("u2", desired, "-")]) },
    expect: { kind: "done" },
  },
  {
    stage: "Before a rotation",
    phase: "Active",
    when: "current ≠ desired",
    then: "pre-check, then load the desired key into every unit (cryptounit-mk-load)",
    why: "a rotation starts only when the signers can sign every step of it",
    ibm: IBM.load,
    report: "either",
    example: { observation: o([u("u1", old, "-"), u("u2", old, "-")]) },
    expect: { kind: "act", action: "loadNew", units: ["u1", "u2"] },
  },
  {
    stage: "Before a rotation",
    phase: "Active",
    when: "current ≠ desired, the signature keys cannot meet the signature threshold",
    then: "refuse (PrecheckFailed), change nothing",
    why: "a rotation that cannot be committed would strand the instance half-way",
    ibm: `${IBM.admins} ${IBM.initialConditions}`,
    report: "either",
    example: { observation: o([u("u1", old, "-"), u("u2", old, "-")]), desired: { ...EXAMPLE_DESIRED, signerSkis: [EXAMPLE_ADMINS[0].ski] } },
    expect: { kind: "refuse", code: "PrecheckFailed" },
  },
  // Loading and committing the new key
  {
    stage: "Loading and committing the new key",
    phase: "Loading",
    when: "pending = desired",
    then: "load the lagging units (new register Empty)",
    why: "finishes the interrupted load; loaded units are left as they are",
    ibm: IBM.load,
    report: "either",
    example: { observation: o([u("u1", old, `u:${desired}`), u("u2", old, "-")]) },
    expect: { kind: "act", action: "loadNew", units: ["u2"] },
  },
  {
    stage: "Loading and committing the new key",
    phase: "Loaded",
    when: "pending = desired",
    then: "commit every unit (cryptounit-mk-commit)",
    why: "commit is bound to the expected VP",
    ibm: IBM.notCovered("the page starts at cryptounit-mk-rotate"),
    report: "either",
    example: { observation: o([u("u1", old, `u:${desired}`), u("u2", old, `u:${desired}`)]) },
    expect: { kind: "act", action: "commitNew", units: ["u1", "u2"] },
  },
  {
    stage: "Loading and committing the new key",
    phase: "Committing",
    when: "pending = desired",
    then: "commit the uncommitted units",
    why: "finishes the interrupted commit",
    ibm: IBM.notCovered("the page starts at cryptounit-mk-rotate"),
    report: "either",
    example: { observation: o([u("u1", old, `c:${desired}`), u("u2", old, `u:${desired}`)]) },
    expect: { kind: "act", action: "commitNew", units: ["u2"] },
  },
  // Rewrapping key storage
  {
    stage: "Rewrapping key storage",
    phase: "Committed",
    when: "pending = desired, the backend reports no rewrap to it",
    then: "rewrap key storage (the rewrap inside cryptounit-mk-rotate)",
    why: "records already under the new key are skipped; nothing is promoted before the rewrap is proven",
    ibm: IBM.rerun,
    example: { observation: o(committed(desired)) },
    expect: { kind: "act", action: "rewrap", units: ["u1", "u2"] },
  },
  {
    stage: "Rewrapping key storage",
    phase: "Committed",
    when: "pending = desired, current registers Empty (initialisation), the backend reports key storage empty, not yet journaled",
    then: "record in the journal that key storage is empty",
    why: "no current key means nothing to rewrap; the proof is written before any promotion",
    ibm: IBM.notCovered("first-time initialisation"),
    example: { observation: o([u("u1", "-", `c:${desired}`), u("u2", "-", `c:${desired}`)], { state: "none", records: 0 }), journal: j(desired, { fromVp: null }) },
    expect: { kind: "act", action: "recordRewrap", units: [] },
  },
  {
    stage: "Rewrapping key storage",
    phase: "Committed",
    when: "pending = desired, current registers Empty (initialisation), the backend reports key storage empty, journaled",
    then: "set immediate on every unit",
    why: "key storage is empty: no record can be lost",
    ibm: IBM.notCovered("first-time initialisation"),
    example: { observation: o([u("u1", "-", `c:${desired}`), u("u2", "-", `c:${desired}`)], { state: "none", records: 0 }), journal: j(desired, { fromVp: null, ...proof(desired, "backend") }) },
    expect: { kind: "act", action: "setImmediate", units: ["u1", "u2"] },
  },
  {
    stage: "Rewrapping key storage",
    phase: "Committed",
    when: "pending = desired, current registers Empty (initialisation), the backend cannot report key storage, no attestation",
    then: "refuse (RewrapNotProven), change nothing",
    why: "records may exist (unknown is the unsafe side) and none can be rewrapped without a current key",
    ibm: IBM.notCovered("first-time initialisation"),
    example: { observation: o([u("u1", "-", `c:${desired}`), u("u2", "-", `c:${desired}`)], unknown) },
    expect: { kind: "refuse", code: "RewrapNotProven" },
  },
  {
    stage: "Rewrapping key storage",
    phase: "Committed",
    when: "pending = desired, the backend cannot report the rewrap, no proof",
    then: "rewrap key storage (run cryptounit-mk-rotate again)",
    why: "the rewrap may or may not have run: running it again is what IBM prescribes, and it proves itself when it returns",
    ibm: IBM.rerun,
    example: { observation: o(committed(desired), unknown) },
    expect: { kind: "act", action: "rewrap", units: ["u1", "u2"] },
  },
  {
    stage: "Rewrapping key storage",
    phase: "Committed",
    when: "pending = desired, the backend cannot report the rewrap, our journal of this rotation proves it complete",
    then: "set immediate on every unit",
    why: "the journal recorded our rewrap's success (the CLI's marker) before any promotion",
    ibm: `${IBM.present} ${IBM.setimm}`,
    example: { observation: o(committed(desired), unknown), journal: j(desired, proof(desired)) },
    expect: { kind: "act", action: "setImmediate", units: ["u1", "u2"] },
  },
  {
    stage: "Rewrapping key storage",
    phase: "Committed",
    rotation: "combined",
    when: "pending = desired, the backend cannot report the rewrap, our journal recorded the marker of our rotate (it died before promoting any unit)",
    then: "set immediate on every unit",
    why: "the marker was journaled the moment it was printed, before the command went on to promote",
    ibm: `${IBM.present} ${IBM.setimm}`,
    example: { observation: o(committed(desired), unknown), journal: j(desired, { ...proof(desired, "marker"), steps: [step("rotate", desired, "started")] }) },
    expect: { kind: "act", action: "setImmediate", units: ["u1", "u2"] },
  },
  {
    stage: "Rewrapping key storage",
    phase: "Committed",
    rotation: "combined",
    when: "pending = desired, the backend cannot report the rewrap, our rotate started but no marker was journaled (it died mid-rewrap, or its output was cut off)",
    then: "rotate again (cryptounit-mk-rotate)",
    why: "the rotate is resumable while no unit is promoted: records already under the new key are skipped",
    ibm: IBM.rerun,
    example: { observation: o(committed(desired), unknown), journal: j(desired, { steps: [step("rotate", desired, "failed")] }) },
    expect: { kind: "act", action: "rotate", units: ["u1", "u2"] },
  },
  {
    stage: "Rewrapping key storage",
    phase: "Committed",
    when: "pending = desired, current registers Empty (initialisation), the backend cannot report key storage, an operator attests it empty for this initialisation",
    then: "record the attestation in the journal (then set immediate)",
    why: "the attestation names this key and this situation; recorded first, it is useless for any other",
    ibm: IBM.notCovered("first-time initialisation"),
    example: { observation: o([u("u1", "-", `c:${desired}`), u("u2", "-", `c:${desired}`)], unknown), desired: attested(desired, undefined) },
    expect: { kind: "act", action: "recordRewrap", units: [] },
  },
  {
    stage: "Rewrapping key storage",
    phase: "Committed",
    when: "pending = desired, the backend cannot report the rewrap, an attestation given for this key",
    then: "rewrap key storage anyway",
    why: "during a rotation the engine can run the rewrap, which proves itself when it returns: an attestation, which may be stale or early, is never taken instead",
    ibm: IBM.rerun,
    example: { observation: o(committed(desired), unknown), desired: attested(desired, old) },
    expect: { kind: "act", action: "rewrap", units: ["u1", "u2"] },
  },
  {
    stage: "Rewrapping key storage",
    phase: "Committed",
    when: "pending = desired, the backend cannot report the rewrap, a proof in a journal written for another instance",
    then: "rewrap key storage",
    why: "a journal is evidence only for the instance and service it was written for",
    ibm: IBM.rerun,
    example: { observation: o(committed(desired), unknown), journal: j(desired, { ...proof(desired), binding: { ...EXAMPLE_BINDING, instanceId: "another-instance" } }) },
    expect: { kind: "act", action: "rewrap", units: ["u1", "u2"] },
  },
  {
    stage: "Rewrapping key storage",
    phase: "Committed",
    when: "pending = desired, the backend cannot report the rewrap, a proof in the closed journal of an earlier rotation to the same key",
    then: "rewrap key storage",
    why: "a closed journal is never evidence: its rewrap was of key storage as it was then",
    ibm: IBM.rerun,
    example: { observation: o(committed(desired), unknown), journal: j(desired, { ...proof(desired), completedAt: "2026-01-02T00:00:00.000Z" }) },
    expect: { kind: "act", action: "rewrap", units: ["u1", "u2"] },
  },
  {
    stage: "Rewrapping key storage",
    phase: "Committed",
    when: "pending = desired, the backend cannot report the rewrap, a proof in a journal of a rotation from another current key",
    then: "rewrap key storage",
    why: "the journal's rotation started from a key the units no longer have as current: it is not this rotation",
    ibm: IBM.rerun,
    example: { observation: o(committed(desired), unknown), journal: j(desired, { ...proof(desired), fromVp: other }) },
    expect: { kind: "act", action: "rewrap", units: ["u1", "u2"] },
  },
  {
    stage: "Rewrapping key storage",
    phase: "Rewrapping",
    when: "pending = desired, the backend reports the rewrap in progress",
    then: "rewrap again (resume)",
    why: "the job is resumable; promotion must wait for it",
    ibm: IBM.rerun,
    example: { observation: o(committed(desired), { state: "inProgress", targetVp: desired, done: 4, total: 10 }) },
    expect: { kind: "act", action: "rewrap", units: ["u1", "u2"] },
  },
  {
    stage: "Rewrapping key storage",
    phase: "Rewrapping",
    when: "pending = desired, the backend reports the rewrap in progress, the journal claims it complete",
    then: "rewrap again (resume)",
    why: "a backend that reports the rewrap wins over any journal",
    ibm: IBM.rerun,
    example: { observation: o(committed(desired), { state: "inProgress", targetVp: desired, done: 4, total: 10 }), journal: j(desired, proof(desired)) },
    expect: { kind: "act", action: "rewrap", units: ["u1", "u2"] },
  },
  {
    stage: "Rewrapping key storage",
    phase: "Rewrapped",
    when: "pending = desired, the journal does not yet record it",
    then: "record the backend's report in the journal",
    why: "the proof is written durably before any promotion",
    ibm: IBM.present,
    example: { observation: o(committed(desired), complete(desired)) },
    expect: { kind: "act", action: "recordRewrap", units: [] },
  },
  {
    stage: "Rewrapping key storage",
    phase: "Rewrapped",
    when: "pending = desired, the journal records it",
    then: "set immediate on every unit (cryptounit-mk-setimm)",
    why: "key storage is entirely under the new key: only promotion remains",
    ibm: IBM.setimm,
    example: { observation: o(committed(desired), complete(desired)), journal: j(desired, proof(desired, "backend")) },
    expect: { kind: "act", action: "setImmediate", units: ["u1", "u2"] },
  },
  // Promotion
  {
    stage: "Promotion",
    phase: "HalfPromoted",
    when: "the backend reports the rewrap complete, the journal does not yet record it",
    then: "record the backend's report in the journal",
    why: "the proof is written durably before any further promotion",
    ibm: IBM.present,
    example: { observation: o(halfPromoted(), complete(desired)) },
    expect: { kind: "act", action: "recordRewrap", units: [] },
  },
  {
    stage: "Promotion",
    phase: "HalfPromoted",
    when: "the rewrap is proven complete, promoted units still selected",
    then: "deselect the promoted units (cryptounit-rm)",
    why: "IBM's recovery procedure; never load, clear or rewrap a split instance",
    ibm: IBM.rm,
    example: { observation: o(halfPromoted(), complete(desired)), journal: j(desired, proof(desired, "backend")) },
    expect: { kind: "act", action: "deselect", units: ["u1"] },
  },
  {
    stage: "Promotion",
    phase: "HalfPromoted",
    when: "the rewrap is proven complete, promoted units deselected",
    then: "set immediate on the lagging units (cryptounit-mk-setimm)",
    why: "key storage is entirely under the new key",
    ibm: IBM.rmThenSetimm,
    example: { observation: o(halfPromoted(false), complete(desired)), journal: j(desired, proof(desired, "backend")) },
    expect: { kind: "act", action: "setImmediate", units: ["u2", "u3"] },
  },
  {
    stage: "Promotion",
    phase: "HalfPromoted",
    when: "the backend reports the rewrap in progress (an operator promoted a unit early)",
    then: "refuse (PromotedBeforeRewrap), change nothing",
    why: "the lagging units are the only ones that still hold the old key part of key storage is under: promoting them would lose it. A promoted unit is not proof",
    ibm: IBM.onlyAfterMarker,
    example: { observation: o(halfPromoted(), { state: "inProgress", targetVp: desired, done: 4, total: 10 }) },
    expect: { kind: "refuse", code: "PromotedBeforeRewrap" },
  },
  {
    stage: "Promotion",
    phase: "HalfPromoted",
    when: "the backend reports the rewrap in progress, and a journal or an attestation claims it complete",
    then: "refuse (PromotedBeforeRewrap), change nothing",
    why: "a backend that reports the rewrap wins over any journal and any attestation",
    ibm: IBM.onlyAfterMarker,
    example: { observation: o(halfPromoted(), { state: "inProgress", targetVp: desired, done: 4, total: 10 }), journal: j(desired, proof(desired)), desired: attested(desired, old, ["u1"]) },
    expect: { kind: "refuse", code: "PromotedBeforeRewrap" },
  },
  {
    stage: "Promotion",
    phase: "HalfPromoted",
    when: "the backend reports no rewrap to the new key (promoted before any rewrap)",
    then: "refuse (PromotedBeforeRewrap), change nothing",
    why: "every record is under the old key, which the promoted units no longer hold",
    ibm: IBM.onlyAfterMarker,
    example: { observation: o(halfPromoted()) },
    expect: { kind: "refuse", code: "PromotedBeforeRewrap" },
  },
  {
    stage: "Promotion",
    phase: "HalfPromoted",
    when: "the backend cannot report the rewrap, no journal of this rotation, no attestation",
    then: "refuse (RewrapNotProven), change nothing, with IBM's manual steps",
    why: "only the rewrap's own success message proves it; a register pattern does not",
    ibm: IBM.checkOutput,
    example: { observation: o(halfPromoted(), unknown) },
    expect: { kind: "refuse", code: "RewrapNotProven" },
  },
  {
    stage: "Promotion",
    phase: "HalfPromoted",
    when: "the backend cannot report the rewrap, our journal of this rotation proves it complete",
    then: "deselect the promoted units (cryptounit-rm)",
    why: "the journal recorded the rewrap's success before the promotion began",
    ibm: IBM.rm,
    example: { observation: o(halfPromoted(), unknown), journal: j(desired, proof(desired)) },
    expect: { kind: "act", action: "deselect", units: ["u1"] },
  },
  {
    stage: "Promotion",
    phase: "HalfPromoted",
    rotation: "combined",
    when: "the backend cannot report the rewrap, our rotate died after its marker and some promotions, and the journal recorded the marker",
    then: "deselect the promoted units (cryptounit-rm), then set immediate on the rest",
    why: "the marker, journaled the moment it was printed, is IBM's own evidence that the rewrap is complete",
    ibm: IBM.rmThenSetimm,
    example: { observation: o(halfPromoted(), unknown), journal: j(desired, { ...proof(desired, "marker"), steps: [step("rotate", desired, "started")] }) },
    expect: { kind: "act", action: "deselect", units: ["u1"] },
  },
  {
    stage: "Promotion",
    phase: "HalfPromoted",
    rotation: "combined",
    when: "the backend cannot report the rewrap, our rotate died after some promotions, and its marker was lost (the output was cut off)",
    then: "refuse (RewrapNotProven), change nothing; an operator who saw the marker attests it",
    why: "a promotion by our rotate and an operator's early set immediate look the same in the registers; only the marker tells them apart",
    ibm: IBM.checkOutput,
    example: { observation: o(halfPromoted(), unknown), journal: j(desired, { steps: [step("rotate", desired, "failed")] }) },
    expect: { kind: "refuse", code: "RewrapNotProven" },
  },
  {
    stage: "Promotion",
    phase: "HalfPromoted",
    when: "the backend cannot report the rewrap, an operator attests it complete for this situation (the value the refusal printed)",
    then: "record the attestation in the journal (then deselect, set immediate)",
    why: "the operator saw IBM's message for this key; the attestation is recorded before any promotion",
    ibm: IBM.present,
    example: { observation: o(halfPromoted(), unknown), desired: attested(desired, old, ["u1"]) },
    expect: { kind: "act", action: "recordRewrap", units: [] },
  },
  {
    stage: "Promotion",
    phase: "HalfPromoted",
    when: "the backend cannot report the rewrap, an attestation of the new key made for another situation (written ahead of time, or left from an earlier repair)",
    then: "refuse (RewrapNotProven), change nothing",
    why: "an attestation counts only for the situation it was made for",
    ibm: IBM.checkOutput,
    example: { observation: o(halfPromoted(), unknown), desired: attested(desired, old) },
    expect: { kind: "refuse", code: "RewrapNotProven" },
  },
  {
    stage: "Promotion",
    phase: "HalfPromoted",
    when: "the backend cannot report the rewrap, a proof only in a journal written by an earlier release or another instance",
    then: "refuse (RewrapNotProven), change nothing",
    why: "an unbound journal is never evidence",
    ibm: IBM.checkOutput,
    example: { observation: o(halfPromoted(), unknown), journal: j(desired, { ...proof(desired), binding: null }) },
    expect: { kind: "refuse", code: "RewrapNotProven" },
  },
  // A pending key that is not the declared one
  {
    stage: "A pending key that is not the declared one",
    phase: "Loaded",
    when: "pending ≠ desired, this tool loaded it on this instance, the backend reports no rewrap to it",
    then: "clear the new registers (cryptounit-mk-clrnew), then rotate to the desired key",
    why: "nothing is wrapped under the abandoned key, and it is ours to discard",
    ibm: IBM.notCovered("changing the declared key mid-rotation"),
    example: { observation: o([u("u1", old, `u:${other}`), u("u2", old, `u:${other}`)]), journal: j(other, { steps: [step("loadNew", other)] }) },
    expect: { kind: "act", action: "clearNew", units: ["u1", "u2"] },
  },
  {
    stage: "A pending key that is not the declared one",
    phase: "Loading",
    when: "pending ≠ desired on some units, this tool loaded it, the backend reports no rewrap to it",
    then: "clear the units that hold it, then rotate to the desired key",
    why: "a partly loaded key cannot have been rewrapped to, and it is ours to discard",
    ibm: IBM.notCovered("changing the declared key mid-rotation"),
    example: { observation: o([u("u1", old, `u:${other}`), u("u2", old, "-")]), journal: j(other, { steps: [step("loadNew", other, "failed")] }) },
    expect: { kind: "act", action: "clearNew", units: ["u1"] },
  },
  {
    stage: "A pending key that is not the declared one",
    phase: "Committing",
    when: "pending ≠ desired, this tool loaded it, the backend reports no rewrap to it",
    then: "clear the new registers, then rotate to the desired key",
    why: "no rewrap to it can have started",
    ibm: IBM.notCovered("changing the declared key mid-rotation"),
    example: { observation: o([u("u1", old, `c:${other}`), u("u2", old, `u:${other}`)]), journal: j(other, { steps: [step("loadNew", other)] }) },
    expect: { kind: "act", action: "clearNew", units: ["u1", "u2"] },
  },
  {
    stage: "A pending key that is not the declared one",
    phase: "Loaded",
    when: "pending ≠ desired, this tool loaded it, the backend cannot report the rewrap",
    then: "finish the old rotation first (commit, rewrap, set immediate), then rotate again",
    why: "clearing needs the backend to report that no rewrap to the key ran; unknown is the unsafe side",
    ibm: IBM.notCovered("changing the declared key mid-rotation"),
    example: { observation: o([u("u1", old, `u:${other}`), u("u2", old, `u:${other}`)], unknown), journal: j(other, { steps: [step("loadNew", other)] }) },
    expect: { kind: "act", action: "commitNew", units: ["u1", "u2"] },
  },
  {
    stage: "A pending key that is not the declared one",
    phase: "Loaded",
    when: "pending ≠ desired and no journal of this instance records it",
    then: "refuse (ForeignPendingKey), change nothing",
    why: "another operator's ceremony may own it",
    ibm: IBM.notCovered("someone else's rotation"),
    report: "either",
    example: { observation: o([u("u1", old, `u:${other}`), u("u2", old, `u:${other}`)]) },
    expect: { kind: "refuse", code: "ForeignPendingKey" },
  },
  {
    stage: "A pending key that is not the declared one",
    phase: "Loaded",
    when: "pending ≠ desired, named only by a journal of an earlier release or a hand-made one",
    then: "refuse (ForeignPendingKey), change nothing",
    why: "only a journal bound to this instance and service, recording our own load, makes a key ours to clear",
    ibm: IBM.notCovered("someone else's rotation"),
    report: "either",
    example: { observation: o([u("u1", old, `u:${other}`), u("u2", old, `u:${other}`)]), journal: j(other, { binding: null, steps: [step("loadNew", other)] }) },
    expect: { kind: "refuse", code: "ForeignPendingKey" },
  },
  {
    stage: "A pending key that is not the declared one",
    phase: "Loaded",
    when: "pending ≠ desired, our journal of the rotation to it exists but records no load of it",
    then: "finish the old rotation first",
    why: "clearing is only for a key this tool loaded",
    ibm: IBM.notCovered("changing the declared key mid-rotation"),
    example: { observation: o([u("u1", old, `u:${other}`), u("u2", old, `u:${other}`)]), journal: j(other, { steps: [step("select", other)] }) },
    expect: { kind: "act", action: "commitNew", units: ["u1", "u2"] },
  },
  {
    stage: "A pending key that is not the declared one",
    phase: "Loading",
    when: "pending ≠ desired, the journal shows a rewrap to it was attempted",
    then: "refuse (CannotFinishRotation), change nothing",
    why: "the old rotation cannot be finished without its key parts, and clearing could lose records",
    ibm: IBM.notCovered("changing the declared key mid-rotation"),
    example: { observation: o([u("u1", old, `c:${other}`), u("u2", old, "-")]), journal: j(other, { steps: [step("loadNew", other), step("rewrap", other, "failed")] }) },
    expect: { kind: "refuse", code: "CannotFinishRotation" },
  },
  {
    stage: "A pending key that is not the declared one",
    phase: "Rewrapping",
    when: "pending ≠ desired, our journaled target, the backend reports the rewrap to it in progress",
    then: "finish the old rotation first (rewrap, set immediate), then rotate again",
    why: "clearing now could destroy the only key some records are under",
    ibm: IBM.rerun,
    example: { observation: o(committed(other), { state: "inProgress", targetVp: other, done: 3, total: 10 }), journal: j(other, { steps: [step("loadNew", other)] }) },
    expect: { kind: "act", action: "rewrap", units: ["u1", "u2"] },
  },
  {
    stage: "A pending key that is not the declared one",
    phase: "Rewrapped",
    when: "pending ≠ desired, our journaled target, the backend reports the rewrap to it complete",
    then: "finish the old rotation first (record, set immediate), then rotate again",
    why: "every record is under the pending key: it must become current, never be cleared",
    ibm: IBM.present,
    example: { observation: o(committed(other), complete(other)), journal: j(other, { steps: [step("loadNew", other)] }) },
    expect: { kind: "act", action: "recordRewrap", units: [] },
  },
  {
    stage: "A pending key that is not the declared one",
    phase: "Rewrapped",
    when: "pending ≠ desired, no journal of this instance records it",
    then: "refuse (ForeignPendingKey), change nothing; the refusal says records are under it, never suggests clearing it, and says that declaring that key's key part files (or cryptounit-mk-rotate) finishes it",
    why: "another operator's rotation, and records are already under its key: only finishing it is safe",
    ibm: IBM.notCovered("someone else's rotation"),
    example: { observation: o(committed(other), complete(other)) },
    expect: { kind: "refuse", code: "ForeignPendingKey" },
  },
  {
    stage: "A pending key that is not the declared one",
    phase: "Rewrapping",
    when: "pending ≠ desired, no journal of this instance records it, the backend reports a rewrap to it in progress",
    then: "refuse (ForeignPendingKey), change nothing; the refusal says the rewrap is under way, never suggests clearing it, and says that declaring that key's key part files (or cryptounit-mk-rotate) finishes it",
    why: "part of key storage is already under the pending key: clearing it would destroy those records",
    ibm: IBM.notCovered("someone else's rotation"),
    example: { observation: o(committed(other), { state: "inProgress", targetVp: other, done: 1500, total: 3000 }) },
    expect: { kind: "refuse", code: "ForeignPendingKey" },
  },
  {
    stage: "A pending key that is not the declared one",
    phase: "Committed",
    when: "pending ≠ desired, our journaled target, the backend cannot report the rewrap",
    then: "finish the old rotation first",
    why: "a rewrap may have started: the pending key must never be cleared",
    ibm: IBM.rerun,
    example: { observation: o(committed(other), unknown), journal: j(other, { steps: [step("loadNew", other)] }) },
    expect: { kind: "act", action: "rewrap", units: ["u1", "u2"] },
  },
  // Key part files only the backend opens
  {
    stage: "Key part files only the backend opens",
    phase: "Active",
    when: "no load of the declared files has reported the key they make, and no VP is declared",
    then: "load them into every unit to learn it (cryptounit-mk-load); the key the load reports is journaled, and the rotation goes on to it",
    why: "a load changes nothing a rotation cannot continue or clear; no other step is taken before the key is known",
    ibm: IBM.load,
    report: "either",
    example: { observation: o([u("u1", old, "-"), u("u2", old, "-")]), desired: files() },
    expect: { kind: "act", action: "loadNew", units: ["u1", "u2"] },
  },
  {
    stage: "Key part files only the backend opens",
    phase: "Uninitialized",
    when: "the key the declared files make is not known, the backend cannot report key storage",
    then: "load them to learn it; proof that key storage is empty is asked for once it is known, before set immediate",
    why: "an attestation names the key it is for, so it can only be asked for once the load told it",
    ibm: IBM.notCovered("first-time initialisation"),
    example: { observation: o([u("u1", "-", "-"), u("u2", "-", "-")], unknown), desired: files() },
    expect: { kind: "act", action: "loadNew", units: ["u1", "u2"] },
  },
  {
    stage: "Key part files only the backend opens",
    phase: "Active",
    when: "our journal records that the declared files make the current key (a load of them reported it, or was refused as the same key)",
    then: "done",
    why: "what files make does not change: the journal of this instance says it, open or closed",
    ibm: '"Make sure that at least one master key part is not used for the current master key. Otherwise, the same master key is generated and you are not able to load it to the new master key register."',
    report: "either",
    example: { observation: o([u("u1", old, "-"), u("u2", old, "-")]), desired: files(), journal: learnedBy(old, { completedAt: "2026-01-02T00:00:00.000Z" }) },
    expect: { kind: "done" },
  },
  {
    stage: "Key part files only the backend opens",
    phase: "Active",
    when: "only a journal of another instance, or of an earlier release, says what the declared files make",
    then: "load them to learn it",
    why: "only a journal this tool wrote on this instance through this service names what the files make",
    ibm: IBM.load,
    report: "either",
    example: { observation: o([u("u1", old, "-"), u("u2", old, "-")]), desired: files(), journal: learnedBy(old, { binding: { ...EXAMPLE_BINDING, instanceId: "another-instance" } }) },
    expect: { kind: "act", action: "loadNew", units: ["u1", "u2"] },
  },
  {
    stage: "Key part files only the backend opens",
    phase: "Loaded",
    when: "our journal records that the declared files make the pending key",
    then: "commit every unit",
    why: "the pending key is the declared one",
    ibm: IBM.notCovered("the page starts at cryptounit-mk-rotate"),
    report: "either",
    example: { observation: o([u("u1", old, `u:${desired}`), u("u2", old, `u:${desired}`)]), desired: files(), journal: learnedBy(desired) },
    expect: { kind: "act", action: "commitNew", units: ["u1", "u2"] },
  },
  {
    stage: "Key part files only the backend opens",
    phase: "Loaded",
    when: "the user declared the VP the files make (expectedVerificationPattern), and it is the pending key",
    then: "commit every unit",
    why: "the declared VP is the declared key",
    ibm: IBM.notCovered("the page starts at cryptounit-mk-rotate"),
    report: "either",
    example: { observation: o([u("u1", old, `u:${desired}`), u("u2", old, `u:${desired}`)]), desired: files(desired) },
    expect: { kind: "act", action: "commitNew", units: ["u1", "u2"] },
  },
  {
    stage: "Key part files only the backend opens",
    phase: "Loaded",
    when: "units hold a pending key, and nothing records what the declared files make (a run died during their load, or someone else loaded a key)",
    then: "refuse (UnknownPendingKey), change nothing: declare the key's VP once the load's output or Activity Tracker shows the files made it",
    why: "an unknown key is never guessed to be the declared one; a wrong guess would finish someone else's rotation or strand ours",
    ibm: IBM.notCovered("an interrupted cryptounit-mk-load"),
    report: "either",
    example: { observation: o([u("u1", old, `u:${other}`), u("u2", old, `u:${other}`)]), desired: files(), journal: learnedBy(null, { targetVp: null }) },
    expect: { kind: "refuse", code: "UnknownPendingKey" },
  },
  {
    stage: "Key part files only the backend opens",
    phase: "Loaded",
    when: "the declared VP is not the key a load of the declared files reported",
    then: "refuse (KeyPartsMismatch), change nothing",
    why: "either the files or the declared VP is wrong, and only a person can tell which",
    ibm: IBM.notCovered("a wrong key part file"),
    report: "either",
    example: { observation: o([u("u1", old, `u:${other}`), u("u2", old, `u:${other}`)]), desired: files(desired), journal: learnedBy(other) },
    expect: { kind: "refuse", code: "KeyPartsMismatch" },
  },
  // A key generated in a recovery unit
  {
    stage: "A key generated in a recovery unit (auto-mk-rotate)",
    phase: "Active",
    when: "a new generated key is wanted (its trigger changed, or the rotation policy made one due), and the instance has recovery units",
    then: "generate a key in a recovery unit and copy it into every unit; its VP is journaled before any copy (then commit, rewrap, set immediate). With a combined rotate command: auto-mk-rotate, which does all of it, its two lines journaled as they are printed",
    why: "a fresh key replaces the current one only through a rotation, which rewraps key storage before any promotion",
    ibm: IBM.delaying,
    report: "either",
    example: { observation: o([u("u1", old, "-"), r("u2", old, "-")]), desired: generatedKey() },
    expect: { kind: "act", action: "generateNew", units: ["u1", "u2"] },
  },
  {
    stage: "A key generated in a recovery unit (auto-mk-rotate)",
    phase: "Active",
    when: "no new key is wanted (the trigger is unchanged and no rotation is due), and no generation of ours is under way",
    then: "done",
    why: "nothing asks for another key",
    ibm: IBM.notCovered("nothing to do"),
    report: "either",
    example: { observation: o([u("u1", old, "-"), r("u2", old, "-")]), desired: keepGenerated },
    expect: { kind: "done" },
  },
  {
    stage: "A key generated in a recovery unit (auto-mk-rotate)",
    phase: "Active",
    when: "every unit is on the key our open journal generated, although the caller still names it as the key to replace (a run stopped after the last promotion)",
    then: "done (the journal is closed), no other key is generated",
    why: "the caller's record of the current key is older than the run that changed it; the key it wants was made",
    ibm: IBM.notCovered("the command ends with set immediate; a run stopped after it has nothing left to do"),
    report: "either",
    example: { observation: o([u("u1", desired, "-"), r("u2", desired, "-")]), desired: { ...EXAMPLE_DESIRED, key: { kind: "generated", replacing: desired } }, journal: generation(desired) },
    expect: { kind: "done" },
  },
  {
    stage: "A key generated in a recovery unit (auto-mk-rotate)",
    phase: "Active",
    when: "a new generated key is wanted, and the instance has no recovery units (or is in Madrid, eu-es)",
    then: "refuse (CannotGenerate), change nothing: rotate with key part files instead",
    why: "only a recovery unit may generate a random master key (EP11 3-80-52 elsewhere)",
    ibm: IBM.noRecovery,
    report: "either",
    example: { observation: o([u("u1", old, "-"), u("u2", old, "-")]), desired: generatedKey() },
    expect: { kind: "refuse", code: "CannotGenerate" },
  },
  {
    stage: "A key generated in a recovery unit (auto-mk-rotate)",
    phase: "Committed",
    when: "a generated key is declared, and units hold a pending key that no journal records (a pulumi up stopped before its journal reached the state)",
    then: "refuse (ForeignPendingKey), change nothing: declaring the key (expectedVerificationPattern) finishes the rotation to it",
    why: "it is most likely the stopped run's generation, and a rewrap to it may have started: never clear it or generate over it on a guess",
    ibm: IBM.onlyDelaying,
    report: "either",
    example: { observation: o([u("u1", old, `c:${other}`), r("u2", old, `c:${other}`)]), desired: generatedKey() },
    expect: { kind: "refuse", code: "ForeignPendingKey" },
  },
  {
    stage: "A key generated in a recovery unit (auto-mk-rotate)",
    phase: "Committed",
    when: "that pending key is then declared (expectedVerificationPattern), and nothing proves where the rewrap stands",
    then: "rotate to it (cryptounit-mk-rotate: resumable), or rewrap then set immediate",
    why: "all units hold it committed: finishing the rotation to it loses nothing, whatever was rewrapped already",
    ibm: IBM.onlyDelaying,
    report: "either",
    example: { observation: o([u("u1", old, `c:${other}`), r("u2", old, `c:${other}`)]), desired: { ...EXAMPLE_DESIRED, key: { kind: "generated", replacing: old, expectedVp: other } } },
    expect: { kind: "act", action: "rewrap", units: ["u1", "u2"] },
  },
  {
    stage: "A key generated in a recovery unit (auto-mk-rotate)",
    phase: "Uninitialized",
    when: "a generated key is declared, and no unit has a current key",
    then: "refuse (CannotGenerate), change nothing: initialise with ibmcloud tke auto-init",
    why: "auto-mk-rotate rotates from a current key; an instance with recovery units is initialised by auto-init",
    ibm: IBM.notCovered("initialisation: auto-init"),
    example: { observation: o([u("u1", "-", "-"), r("u2", "-", "-")], { state: "none", records: 0 }), desired: generatedKey() },
    expect: { kind: "refuse", code: "CannotGenerate" },
  },
  {
    stage: "A key generated in a recovery unit (auto-mk-rotate)",
    phase: "Loading",
    when: "our journal records the generated key, the recovery unit holds it, other units do not yet (the run stopped between copies)",
    then: "copy it from the recovery unit into the units that lack it",
    why: "adding a key to empty registers loses nothing, and a key that may already protect records is never replaced",
    ibm: IBM.notCovered("the command copies the key itself; a separate copy is the SDK's EXPORT_WK and IMPORT_WK"),
    rotation: "separate",
    report: "either",
    example: { observation: o([u("u1", old, "-"), u("u2", old, "-"), r("u3", old, `u:${desired}`)]), desired: generatedKey(), journal: generation(desired) },
    expect: { kind: "act", action: "copyNew", units: ["u1", "u2"] },
  },
  {
    stage: "A key generated in a recovery unit (auto-mk-rotate)",
    phase: "Loading",
    when: "our auto-mk-rotate stopped between copies, printed neither line, and the backend reports no rewrap to its key",
    then: "run auto-mk-rotate again: it generates a fresh key over the partial one",
    why: "the backend's report proves no record is under the partial key",
    ibm: IBM.neither,
    rotation: "combined",
    example: { observation: o([u("u1", old, "-"), r("u2", old, `u:${desired}`)]), desired: generatedKey(), journal: generation(desired, { steps: [step("autoRotate", desired, "started")] }) },
    expect: { kind: "act", action: "autoRotate", units: ["u1", "u2"] },
  },
  {
    stage: "A key generated in a recovery unit (auto-mk-rotate)",
    phase: "Loading",
    when: "our auto-mk-rotate stopped between copies, and the backend cannot report the rewrap",
    then: "refuse (CannotFinishRotation), change nothing: the manual steps follow IBM's rule on the command's output",
    why: "the registers cannot tell whether someone rewrapped to the key by hand and cleared a unit since; replacing it then would lose those records",
    ibm: IBM.checkOutput,
    rotation: "combined",
    example: { observation: o([u("u1", old, "-"), r("u2", old, `u:${desired}`)], unknown), desired: generatedKey(), journal: generation(desired, { steps: [step("autoRotate", desired, "started")] }) },
    expect: { kind: "refuse", code: "CannotFinishRotation" },
  },
  {
    stage: "A key generated in a recovery unit (auto-mk-rotate)",
    phase: "Committed",
    when: 'our journal saw auto-mk-rotate print "Delaying 30 seconds…" and then the run stopped; the backend cannot report the rewrap',
    then: "rotate (cryptounit-mk-rotate), never auto-mk-rotate again",
    why: "a rewrap to the generated key may have started; only finishing it is safe",
    ibm: IBM.onlyDelaying,
    rotation: "combined",
    example: {
      observation: o(committed(desired).map((unit, i) => (i === 1 ? { ...unit, type: "recovery" as const } : unit)), unknown),
      desired: generatedKey(),
      journal: generation(desired, { steps: [step("autoRotate", desired, "started")], generated: { madeVp: desired, at: "2026-01-01T00:00:00.000Z", delayingAt: "2026-01-01T00:00:30.000Z" } }),
    },
    expect: { kind: "act", action: "rotate", units: ["u1", "u2"] },
  },
  {
    stage: "A key generated in a recovery unit (auto-mk-rotate)",
    phase: "HalfPromoted",
    when: 'our journal saw auto-mk-rotate print "KMS CRK rewrap successful, waiting on cryptounit-mk-setimm" for its key, then the run stopped after promoting some units',
    then: "deselect the promoted units (cryptounit-rm), then set immediate on the rest",
    why: "the marker, journaled the moment it was printed, proves key storage entirely under the new key",
    ibm: IBM.rmThenSetimm,
    rotation: "combined",
    example: {
      observation: o([u("u1", desired, "-"), u("u2", old, `c:${desired}`), r("u3", old, `c:${desired}`)], unknown),
      desired: generatedKey(),
      journal: generation(desired, { ...proof(desired, "marker"), steps: [step("autoRotate", desired, "started")], generated: { madeVp: desired, at: "2026-01-01T00:00:00.000Z", delayingAt: "2026-01-01T00:00:30.000Z" } }),
    },
    expect: { kind: "act", action: "deselect", units: ["u1"] },
  },
  {
    stage: "A key generated in a recovery unit (auto-mk-rotate)",
    phase: "Committed",
    when: 'our auto-mk-rotate printed "Delaying 30 seconds…" but never its key (IBM\'s CLI prints no VP), then the run stopped; every unit holds one pending key, committed',
    then: "that key is the generated one (journaled so): rotate (cryptounit-mk-rotate), never auto-mk-rotate again",
    why: "at that line every new register held the generated key; replacing it since would have taken clearing every copy",
    ibm: IBM.onlyDelaying,
    rotation: "combined",
    example: {
      observation: o(committed(desired).map((unit, i) => (i === 1 ? { ...unit, type: "recovery" as const } : unit)), unknown),
      desired: generatedKey(),
      journal: generation(null, { targetVp: null, steps: [step("autoRotate", null, "started")], generated: { madeVp: null, at: null, delayingAt: "2026-01-01T00:00:30.000Z" } }),
    },
    expect: { kind: "act", action: "rotate", units: ["u1", "u2"] },
  },
  {
    stage: "A key generated in a recovery unit (auto-mk-rotate)",
    phase: "Committed",
    when: "our auto-mk-rotate printed both lines but never its key, then the run stopped before promoting any unit; every unit holds one pending key, committed",
    then: "that key is the generated one (journaled so), but the marker is not its proof: rotate (cryptounit-mk-rotate), never set immediate on the marker's word, never auto-mk-rotate again",
    why: "the marker names no key, and a key only pending everywhere may have replaced the generated one; a rewrap to it first loses nothing, whoever made it",
    ibm: IBM.onlyDelaying,
    rotation: "combined",
    example: {
      observation: o(committed(desired).map((unit, i) => (i === 1 ? { ...unit, type: "recovery" as const } : unit)), unknown),
      desired: generatedKey(),
      journal: generation(null, { targetVp: null, steps: [step("autoRotate", null, "started")], generated: { madeVp: null, at: null, delayingAt: "2026-01-01T00:00:30.000Z", markerAt: "2026-01-01T00:01:00.000Z" } }),
    },
    expect: { kind: "act", action: "rotate", units: ["u1", "u2"] },
  },
  {
    stage: "A key generated in a recovery unit (auto-mk-rotate)",
    phase: "HalfPromoted",
    when: "our auto-mk-rotate printed both lines but never its key, then the run stopped after promoting some units",
    then: "the marker counts for the key every unit holds: deselect the promoted units (cryptounit-rm), then set immediate on the rest",
    why: "the marker was journaled the moment it was printed; a promoted unit names the key it was about (auto-mk-rotate promotes only after its rewrap, and a generated key cleared and replaced everywhere cannot be current anywhere)",
    ibm: IBM.rmThenSetimm,
    rotation: "combined",
    example: {
      observation: o([u("u1", desired, "-"), u("u2", old, `c:${desired}`), r("u3", old, `c:${desired}`)], unknown),
      desired: generatedKey(),
      journal: generation(null, { targetVp: null, steps: [step("autoRotate", null, "started")], generated: { madeVp: null, at: null, delayingAt: "2026-01-01T00:00:30.000Z", markerAt: "2026-01-01T00:01:00.000Z" } }),
    },
    expect: { kind: "act", action: "deselect", units: ["u1"] },
  },
  {
    stage: "A key generated in a recovery unit (auto-mk-rotate)",
    phase: "Loaded",
    when: "units hold a pending key, and our generation stopped before it recorded the key it made",
    then: "refuse (UnknownPendingKey), change nothing: declare the key (expectedVerificationPattern) once the recovery units show it",
    why: "a key nothing records is never assumed ours, and never replaced: another person may have loaded it",
    ibm: IBM.notCovered("an interrupted generation"),
    report: "either",
    example: { observation: o([u("u1", old, `u:${other}`), r("u2", old, `u:${other}`)]), desired: generatedKey(), journal: generation(null, { targetVp: null }) },
    expect: { kind: "refuse", code: "UnknownPendingKey" },
  },
  {
    stage: "A key generated in a recovery unit (auto-mk-rotate)",
    phase: "Active",
    when: 'the key our journal says was generated is in no unit any more, and auto-mk-rotate had printed "Delaying 30 seconds…" for it',
    then: "refuse (CannotFinishRotation), change nothing",
    why: "records may be under the lost key; another generation would not bring them back and must not be started",
    ibm: IBM.onlyDelaying,
    report: "either",
    example: {
      observation: o([u("u1", old, "-"), r("u2", old, "-")]),
      desired: generatedKey(),
      journal: generation(desired, { steps: [step("autoRotate", desired, "started")], generated: { madeVp: desired, at: "2026-01-01T00:00:00.000Z", delayingAt: "2026-01-01T00:00:30.000Z" } }),
    },
    expect: { kind: "refuse", code: "CannotFinishRotation" },
  },
  {
    stage: "A key generated in a recovery unit (auto-mk-rotate)",
    phase: "Active",
    when: 'our auto-mk-rotate printed "Delaying 30 seconds…" but never its key, and every unit is back on the key it rotated from, none pending',
    then: "refuse (CannotFinishRotation), change nothing",
    why: "someone cleared the generated key everywhere after a rewrap to it may have started; another generation would not bring those records back",
    ibm: IBM.onlyDelaying,
    rotation: "combined",
    example: {
      observation: o([u("u1", old, "-"), r("u2", old, "-")], unknown),
      desired: generatedKey(),
      journal: generation(null, { targetVp: null, steps: [step("autoRotate", null, "started")], generated: { madeVp: null, at: null, delayingAt: "2026-01-01T00:00:30.000Z" } }),
    },
    expect: { kind: "refuse", code: "CannotFinishRotation" },
  },
  // Refusals
  {
    stage: "Refusals",
    phase: "Diverged",
    when: "the backend reports key storage records, but no unit has a current key",
    then: "refuse (Diverged), change nothing",
    why: "loading a key now would not bring the records back",
    ibm: IBM.notCovered("lost master key: auto-mk-recover or IBM support"),
    example: { observation: o([u("u1", "-", "-"), u("u2", "-", "-")]) },
    expect: { kind: "refuse", code: "Diverged" },
  },
  {
    stage: "Refusals",
    phase: "Diverged",
    when: "anything else (current keys differ, imprint mode, thresholds or admins differ, …)",
    then: "refuse (Diverged) with every reason and the manual TKE steps, change nothing",
    why: "no automatic step is provably safe",
    ibm: IBM.currents,
    report: "either",
    example: { observation: o([u("u1", old, "-"), u("u2", other, "-")]) },
    expect: { kind: "refuse", code: "Diverged" },
  },
];

/** What the row relies on the backend to report about the rewrap, for the table's column. */
export function reportOf(row: DecisionRow): string {
  if (row.report === "either") return "either";
  return row.example.observation.rewrap.state === "unknown" ? "cannot report" : "reports";
}

/** The backend column: what the row needs the backend to report, and the rotation shape where the row is about one. */
function backendOf(row: DecisionRow): string {
  const report = reportOf(row);
  const opaque = row.example.desired?.key.kind === "files" ? "; opens key part files" : "";
  if (row.rotation === "combined") return `${report}; combined rotate${opaque}`;
  if (row.rotation === "separate") return `${report}; separate commands${opaque}`;
  return row.expect.kind === "act" && row.expect.action === "rewrap" ? `${report}; separate rewrap${opaque}` : `${report}${opaque}`;
}

/** The next step as each backend shape takes it: a separate rewrap is the combined rotate command elsewhere. */
function nextStepOf(row: DecisionRow): string {
  if (row.expect.kind !== "act" || row.expect.action !== "rewrap") return row.then;
  return `${row.then}. With a combined rotate command: rotate (cryptounit-mk-rotate rewraps, journals its marker, then sets immediate on every unit)`;
}

const cell = (text: string) => text.replace(/\|/g, "\\|");

/** Renders the table as Markdown for docs/decision-table.md: one table per stage. */
export function renderDecisionTable(): string {
  const lines = [
    "# Decision table",
    "",
    "Generated from `src/engine/decision-table.ts` by `npm run docs:decision-table`; a test fails if this file and the",
    "code disagree. Each row is also an executable example that `plan` must decide as stated.",
    "",
    "Read it top to bottom: find the instance's phase (`hpcs-mk status` or the `phase` output), then the first row",
    "whose condition holds. The engine re-observes every unit before each step, so after a step, start again here.",
    "",
    "**Rewrap evidence** is one rule (`src/engine/rewrap-evidence.ts`): a backend that reports the key storage rewrap",
    "is authoritative (in progress or not started means not complete, whatever the registers show); only where it cannot",
    "report (the column *Backend*: `cannot report`) does our own journal of this rotation (bound to this instance,",
    "service and rotation, and still open) or an operator's attestation naming the key prove it complete. A promoted",
    "unit is not proof. Anything else is unknown, and unknown is taken on the unsafe side.",
    "",
    "**Backend shapes** (`src/engine/port/capabilities.ts`): rows hold for every shape unless the column *Backend* says",
    "otherwise. Where rewrap and set immediate are separate commands (`separate rewrap`), the engine rewraps and then",
    "promotes; where one command does both (`combined rotate`, IBM's `cryptounit-mk-rotate`), the engine runs it, journals",
    "its marker \"KMS CRK rewrap successful, waiting on cryptounit-mk-setimm.\" the moment it is printed, and a run that",
    "died after it repairs from that record. Whether the HSM enforces the VP of each command or the backend checks it by",
    "a read first changes no row: both refuse a register that does not hold the key the step is bound to. Where the",
    "backend opens the key part files itself (`opens key part files`: IBM's own files, loaded by the TKE CLI plug-in), the",
    "declared key is the files (their SHA-256s, as Activity Tracker's `masterKeyIds`) and its VP is what a load of them",
    "reported, as our journal of this instance records it, or what the user declared (`expectedVerificationPattern`);",
    "until one says, the engine loads them to learn it, and never takes a pending key for theirs. A key generated in a",
    "recovery unit (IBM's `auto-mk-rotate`) is generated as one command on a `combined rotate` backend and as a",
    "generation, copies, commit, rewrap and set immediate on a `separate commands` one; once a rewrap to it may have",
    "started, it is only ever finished, never replaced by another generation.",
    "",
    "The last column quotes IBM's troubleshooting page for failed rotations with key part files for the same evidence.",
  ];
  for (const stage of STAGES) {
    lines.push("", `## ${stage}`, "", "| Phase | Backend | When | Next step | Why this is safe | IBM's troubleshooting page |", "|---|---|---|---|---|---|");
    for (const r of DECISION_TABLE.filter((row) => row.stage === stage)) {
      lines.push(`| \`${r.phase}\` | ${backendOf(r)} | ${cell(r.when)} | ${cell(nextStepOf(r))} | ${cell(r.why)} | ${cell(r.ibm)} |`);
    }
  }
  lines.push("");
  return lines.join("\n");
}
