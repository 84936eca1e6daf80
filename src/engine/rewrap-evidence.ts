import type { RewrapStatus } from "./port/backend";
import { sameVp, shortVp, type Vp } from "../model/vp";
import { journalRecordsProof, journalShowsRewrap, type Journal } from "./journal";
import { count } from "../format/words";

/**
 * The one rule for rewrap evidence (DESIGN §4): how far key storage has come towards a key `vp`, from the backend's
 * report, our bound journal and an operator's attestation, in that order. `classify` asks it with the backend's
 * report alone (the phase is what the instance shows); `plan` adds the journal and the attestation.
 *
 * - A backend that reports the rewrap is authoritative: `partial` or `none` is not complete, whatever the registers
 *   show and whatever any journal or attestation says. A promoted unit is NOT proof: IBM's CLI only warns before
 *   `cryptounit-mk-setimm`, so an operator can promote a unit mid-rewrap.
 * - Only where the backend cannot report does a proof from the journal (bound to this instance, service and
 *   rotation: `journalEvidence` in plan.ts) or an attestation naming `vp` for this very situation count, and then
 *   only as `complete`.
 * - Everything else is `unknown`, and `unknown` is always taken on the unsafe side: records may exist, and a rewrap
 *   to `vp` may have started.
 *
 * NOTE: every decision about promoting or clearing a key goes through `rewrapEvidence`; do not read
 * `Observation.rewrap` to decide anywhere else, and read the journal only through journal.ts's helpers.
 */
export type RewrapEvidence =
  /** Every record is under `vp` (vacuously when key storage is empty: `records` 0). Promotion is safe. */
  | { readonly state: "complete"; readonly source: "backend"; readonly records: number }
  | { readonly state: "complete"; readonly source: "journal" | "attestation" }
  /** A rewrap to `vp` is running or stopped part-way: records are split between two keys. */
  | { readonly state: "partial"; readonly source: "backend"; readonly done: number; readonly total: number }
  /** No record is under `vp` and no rewrap to it is running; key storage holds `records` records elsewhere. */
  | { readonly state: "none"; readonly source: "backend"; readonly records: number }
  /** Nothing says: `rewrapBegun` when our journal shows a rewrap to `vp` was started. */
  | { readonly state: "unknown"; readonly rewrapBegun: boolean };

export interface EvidenceSources {
  readonly report: RewrapStatus;
  /** Our journal, only when it is bound to this instance, service and rotation; otherwise undefined. */
  readonly journal?: Journal;
  /** The VP an operator attested key storage to be entirely under, in an attestation made for this very situation. */
  readonly attestation?: Vp;
}

/** The number of key storage records the backend reports, or undefined when it cannot report. */
export function reportedRecords(report: RewrapStatus): number | undefined {
  switch (report.state) {
    case "none":
    case "complete":
      return report.records;
    case "inProgress":
      return report.total;
    case "unknown":
      return undefined;
  }
}

/** rewrapEvidence — how far key storage has come towards `vp`. Pure and total. */
export function rewrapEvidence(sources: EvidenceSources, vp: Vp): RewrapEvidence {
  const { report, journal, attestation } = sources;
  const records = reportedRecords(report);
  if (records !== undefined) {
    if (records === 0) return { state: "complete", source: "backend", records: 0 };
    if (report.state === "complete" && sameVp(report.targetVp, vp)) return { state: "complete", source: "backend", records };
    if (report.state === "inProgress" && sameVp(report.targetVp, vp)) return { state: "partial", source: "backend", done: report.done, total: report.total };
    // No job to `vp`, or a job to another key: nothing is under `vp`.
    return { state: "none", source: "backend", records };
  }
  if (journalRecordsProof(journal, vp)) return { state: "complete", source: "journal" };
  if (attestation !== undefined && sameVp(attestation, vp)) return { state: "complete", source: "attestation" };
  return { state: "unknown", rewrapBegun: journalShowsRewrap(journal, vp) };
}

/** Whether key storage may hold records under `vp` or be on its way there: after that, `vp` must never be cleared. */
export function rewrapMayHaveStarted(evidence: RewrapEvidence): boolean {
  if (evidence.state === "none") return false;
  return !(evidence.state === "complete" && evidence.source === "backend" && evidence.records === 0);
}

/** One line a person reads in a refusal or a preview: what the evidence says and where it comes from. */
export function describeEvidence(evidence: RewrapEvidence, vp: Vp): string {
  const key = shortVp(vp);
  switch (evidence.state) {
    case "complete":
      if (evidence.source === "backend") {
        return evidence.records === 0 ? "the backend reports key storage empty" : `the backend reports ${evidence.records === 1 ? "the 1 key storage record" : `all ${evidence.records} key storage records`} under ${key}`;
      }
      return evidence.source === "journal" ? `our journal of this rotation records the rewrap to ${key} as complete` : `an operator attested that key storage is entirely under ${key}`;
    case "partial":
      return `the backend reports the key storage rewrap to ${key} unfinished: ${evidence.done} of ${count(evidence.total, "record")} ${evidence.done === 1 ? "is" : "are"} under it`;
    case "none":
      return `the backend reports no rewrap to ${key}: ${evidence.records === 1 ? "the 1 key storage record is not" : `none of the ${evidence.records} key storage records is`} under it`;
    case "unknown":
      return `the backend cannot report the key storage rewrap, and neither a journal of this rotation nor an attestation proves that key storage is under ${key}${evidence.rewrapBegun ? " (our journal shows a rewrap to it was started)" : ""}`;
  }
}
