import type { RewrapStatus, UnitStatus } from "../backends/backend";
import type { Administrator } from "../model/registers";
import { EMPTY_VP, type Vp } from "../model/vp";
import type { ActionKind, RefusalCode } from "./decision";
import type { Journal } from "./journal";
import type { Observation } from "./observation";
import type { PhaseName } from "./phases";
import type { Desired } from "./plan";

/**
 * The decision table of DESIGN §4 as executable examples. `docs/decision-table.md` is rendered from these rows
 * (`npm run docs:decision-table`) and a test checks both that `plan` decides each row as stated and that the
 * document is up to date, so the table a person follows and the code cannot disagree.
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

export function exampleJournal(targetVp: Vp, extra: Partial<Journal> = {}): Journal {
  return {
    schemaVersion: 1,
    rotationId: "rot-example",
    fromVp: EXAMPLE_VPS.old,
    targetVp,
    startedAt: "2026-01-01T00:00:00.000Z",
    completedAt: null,
    rewrapCompletedFor: null,
    steps: [],
    ...extra,
  };
}

export const EXAMPLE_DESIRED: Desired = { vp: EXAMPLE_VPS.desired, signerSkis: EXAMPLE_ADMINS.map((a) => a.ski) };

export type ExpectedDecision =
  | { readonly kind: "act"; readonly action: ActionKind; readonly units: readonly string[] }
  | { readonly kind: "done" }
  | { readonly kind: "refuse"; readonly code: RefusalCode };

export interface DecisionRow {
  readonly phase: PhaseName;
  /** What else is true, in words a person checks with `ibmcloud tke cryptounit-mk`. */
  readonly when: string;
  readonly then: string;
  /** Why this is the safe choice. */
  readonly why: string;
  readonly example: { readonly observation: Observation; readonly journal?: Journal; readonly desired?: Desired };
  readonly expect: ExpectedDecision;
}

const { old, desired, other } = EXAMPLE_VPS;
const u = exampleUnit;
const o = exampleObservation;
const j = exampleJournal;
const complete = (targetVp: Vp): RewrapStatus => ({ state: "complete", targetVp, records: 10 });

export const DECISION_TABLE: readonly DecisionRow[] = [
  {
    phase: "Uninitialized",
    when: "no key storage",
    then: "load the desired key into every unit (then commit, set immediate)",
    why: "first-time initialisation; there is nothing to rewrap",
    example: { observation: o([u("u1", "-", "-"), u("u2", "-", "-")], { state: "none", records: 0 }) },
    expect: { kind: "act", action: "loadNew", units: ["u1", "u2"] },
  },
  {
    phase: "Active",
    when: "current = desired, every unit selected",
    then: "done",
    why: "converged",
    example: { observation: o([u("u1", desired, "-"), u("u2", desired, "-")]) },
    expect: { kind: "done" },
  },
  {
    phase: "Active",
    when: "current = desired, some units deselected",
    then: "select them again (cryptounit-add)",
    why: "restores the normal selection after a half-promotion repair",
    example: { observation: o([u("u1", desired, "-", { selected: false }), u("u2", desired, "-")]) },
    expect: { kind: "act", action: "select", units: ["u1"] },
  },
  {
    phase: "Active",
    when: "current ≠ desired",
    then: "pre-check, then load the desired key into every unit (cryptounit-mk-load)",
    why: "a rotation starts only when the signers can sign every step of it",
    example: { observation: o([u("u1", old, "-"), u("u2", old, "-")]) },
    expect: { kind: "act", action: "loadNew", units: ["u1", "u2"] },
  },
  {
    phase: "Active",
    when: "current ≠ desired, the signature keys cannot meet the signature threshold",
    then: "refuse (PrecheckFailed), change nothing",
    why: "a rotation that cannot be committed would strand the instance half-way",
    example: { observation: o([u("u1", old, "-"), u("u2", old, "-")]), desired: { vp: desired, signerSkis: [EXAMPLE_ADMINS[0].ski] } },
    expect: { kind: "refuse", code: "PrecheckFailed" },
  },
  {
    phase: "Loading",
    when: "pending = desired",
    then: "load the lagging units (new register Empty)",
    why: "finishes the interrupted load; loaded units are left as they are",
    example: { observation: o([u("u1", old, `u:${desired}`), u("u2", old, "-")]) },
    expect: { kind: "act", action: "loadNew", units: ["u2"] },
  },
  {
    phase: "Loaded",
    when: "pending = desired",
    then: "commit every unit (cryptounit-mk-commit)",
    why: "commit is bound to the expected VP",
    example: { observation: o([u("u1", old, `u:${desired}`), u("u2", old, `u:${desired}`)]) },
    expect: { kind: "act", action: "commitNew", units: ["u1", "u2"] },
  },
  {
    phase: "Committing",
    when: "pending = desired",
    then: "commit the uncommitted units",
    why: "finishes the interrupted commit",
    example: { observation: o([u("u1", old, `c:${desired}`), u("u2", old, `u:${desired}`)]) },
    expect: { kind: "act", action: "commitNew", units: ["u2"] },
  },
  {
    phase: "Committed",
    when: "pending = desired, rewrap not proven",
    then: "rewrap key storage (the rewrap inside cryptounit-mk-rotate)",
    why: "IBM: run cryptounit-mk-rotate again to resume; records already under the new key are skipped",
    example: { observation: o([u("u1", old, `c:${desired}`), u("u2", old, `c:${desired}`)]) },
    expect: { kind: "act", action: "rewrap", units: ["u1", "u2"] },
  },
  {
    phase: "Committed",
    when: "pending = desired, current registers Empty (initialisation)",
    then: "set immediate on every unit",
    why: "no current key means no key storage to rewrap",
    example: { observation: o([u("u1", "-", `c:${desired}`), u("u2", "-", `c:${desired}`)], { state: "none", records: 0 }) },
    expect: { kind: "act", action: "setImmediate", units: ["u1", "u2"] },
  },
  {
    phase: "Committed",
    when: "pending = desired, the backend cannot report rewrap status, the journal proves rewrap complete",
    then: "set immediate on every unit",
    why: "the journal recorded the rewrap before any promotion",
    example: {
      observation: o([u("u1", old, `c:${desired}`), u("u2", old, `c:${desired}`)], { state: "unknown" }),
      journal: j(desired, { rewrapCompletedFor: desired }),
    },
    expect: { kind: "act", action: "setImmediate", units: ["u1", "u2"] },
  },
  {
    phase: "Rewrapping",
    when: "pending = desired",
    then: "rewrap again (resume)",
    why: "the job is resumable; promotion must wait for it",
    example: { observation: o([u("u1", old, `c:${desired}`), u("u2", old, `c:${desired}`)], { state: "inProgress", targetVp: desired, done: 4, total: 10 }) },
    expect: { kind: "act", action: "rewrap", units: ["u1", "u2"] },
  },
  {
    phase: "Rewrapped",
    when: "pending = desired, the journal does not yet record it",
    then: "record rewrapCompletedFor in the journal",
    why: "the proof is written durably before any promotion",
    example: { observation: o([u("u1", old, `c:${desired}`), u("u2", old, `c:${desired}`)], complete(desired)) },
    expect: { kind: "act", action: "recordRewrap", units: [] },
  },
  {
    phase: "Rewrapped",
    when: "pending = desired, the journal records it",
    then: "set immediate on every unit (cryptounit-mk-setimm)",
    why: "KMS CRK rewrap successful: only promotion remains",
    example: { observation: o([u("u1", old, `c:${desired}`), u("u2", old, `c:${desired}`)], complete(desired)), journal: j(desired, { rewrapCompletedFor: desired }) },
    expect: { kind: "act", action: "setImmediate", units: ["u1", "u2"] },
  },
  {
    phase: "HalfPromoted",
    when: "the journal does not yet record the rewrap",
    then: "record rewrapCompletedFor in the journal",
    why: "a promoted unit proves the rewrap finished: promotion only ever follows it",
    example: { observation: o([u("u1", desired, "-"), u("u2", old, `c:${desired}`), u("u3", old, `c:${desired}`)], complete(desired)) },
    expect: { kind: "act", action: "recordRewrap", units: [] },
  },
  {
    phase: "HalfPromoted",
    when: "promoted units still selected",
    then: "deselect the promoted units (cryptounit-rm)",
    why: "IBM's recovery procedure; never load, clear or rewrap a split instance",
    example: {
      observation: o([u("u1", desired, "-"), u("u2", old, `c:${desired}`), u("u3", old, `c:${desired}`)], complete(desired)),
      journal: j(desired, { rewrapCompletedFor: desired }),
    },
    expect: { kind: "act", action: "deselect", units: ["u1"] },
  },
  {
    phase: "HalfPromoted",
    when: "promoted units deselected",
    then: "set immediate on the lagging units (cryptounit-mk-setimm)",
    why: "key storage is already under the new key",
    example: {
      observation: o([u("u1", desired, "-", { selected: false }), u("u2", old, `c:${desired}`), u("u3", old, `c:${desired}`)], complete(desired)),
      journal: j(desired, { rewrapCompletedFor: desired }),
    },
    expect: { kind: "act", action: "setImmediate", units: ["u2", "u3"] },
  },
  {
    phase: "Loaded",
    when: "pending ≠ desired, pending is our journaled target, no rewrap can have started",
    then: "clear the new registers (cryptounit-mk-clrnew), then rotate to the desired key",
    why: "nothing is wrapped under the abandoned key yet",
    example: { observation: o([u("u1", old, `u:${other}`), u("u2", old, `u:${other}`)]), journal: j(other) },
    expect: { kind: "act", action: "clearNew", units: ["u1", "u2"] },
  },
  {
    phase: "Rewrapping",
    when: "pending ≠ desired, pending is our journaled target",
    then: "finish the old rotation first (rewrap, set immediate), then rotate again",
    why: "clearing now could destroy the only key some records are under",
    example: { observation: o([u("u1", old, `c:${other}`), u("u2", old, `c:${other}`)], { state: "inProgress", targetVp: other, done: 3, total: 10 }), journal: j(other) },
    expect: { kind: "act", action: "rewrap", units: ["u1", "u2"] },
  },
  {
    phase: "Committed",
    when: "pending ≠ desired, our journaled target, the backend cannot report rewrap status",
    then: "finish the old rotation first",
    why: "a rewrap may have started: the pending key must never be cleared",
    example: { observation: o([u("u1", old, `c:${other}`), u("u2", old, `c:${other}`)], { state: "unknown" }), journal: j(other) },
    expect: { kind: "act", action: "rewrap", units: ["u1", "u2"] },
  },
  {
    phase: "Loaded",
    when: "pending ≠ desired and no journal records it",
    then: "refuse (ForeignPendingKey), change nothing",
    why: "another operator's ceremony may own it",
    example: { observation: o([u("u1", old, `u:${other}`), u("u2", old, `u:${other}`)]) },
    expect: { kind: "refuse", code: "ForeignPendingKey" },
  },
  {
    phase: "Loading",
    when: "pending ≠ desired, the journal shows a rewrap to it was attempted",
    then: "refuse (CannotFinishRotation), change nothing",
    why: "the old rotation cannot be finished without its key parts, and clearing could lose records",
    example: {
      observation: o([u("u1", old, `c:${other}`), u("u2", old, "-")]),
      journal: j(other, { steps: [{ action: "rewrap", units: ["u1", "u2"], vp: other, outcome: "failed", at: "2026-01-01T00:00:00.000Z", message: null }] }),
    },
    expect: { kind: "refuse", code: "CannotFinishRotation" },
  },
  {
    phase: "Diverged",
    when: "anything else (current keys differ, imprint mode, thresholds or admins differ, …)",
    then: "refuse (Diverged) with every reason and the manual TKE steps, change nothing",
    why: "no automatic step is provably safe",
    example: { observation: o([u("u1", old, "-"), u("u2", other, "-")]) },
    expect: { kind: "refuse", code: "Diverged" },
  },
];

/** Renders the table as Markdown for docs/decision-table.md. */
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
    "| Phase | When | Next step | Why this is safe |",
    "|---|---|---|---|",
    ...DECISION_TABLE.map((r) => `| \`${r.phase}\` | ${r.when} | ${r.then} | ${r.why} |`),
    "",
  ];
  return lines.join("\n");
}
