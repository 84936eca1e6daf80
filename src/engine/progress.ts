import type { Vp } from "../model/vp";
import type { ActionKind, Refusal } from "./decision";
import type { Observation } from "./observation";
import type { PhaseName } from "./phases";

/** Progress events the executor reports; the provider and the CLI print them. Never carry secrets. */
export type ProgressEvent =
  /** `observation`: the registers and rewrap status the next decision is made from (never secret: VPs and states). */
  | { readonly type: "observed"; readonly phase: PhaseName; readonly observation: Observation; readonly elapsedMs: number }
  | { readonly type: "step"; readonly action: ActionKind; readonly units: readonly string[]; readonly vp: Vp | undefined; readonly reason: string; readonly elapsedMs: number }
  | { readonly type: "stepDone"; readonly action: ActionKind; readonly units: readonly string[]; readonly elapsedMs: number; readonly durationMs: number }
  | { readonly type: "rewrapProgress"; readonly done: number; readonly total: number; readonly elapsedMs: number }
  /**
   * The combined rotate (or auto-mk-rotate) reported key storage entirely under `vp` ("KMS CRK rewrap successful,
   * waiting on cryptounit-mk-setimm."); `vp` undefined when an auto-mk-rotate did not report its key.
   */
  | { readonly type: "rewrapMarker"; readonly vp: Vp | undefined; readonly elapsedMs: number }
  /** A generation in a recovery unit reported its key (journaled before any copy). */
  | { readonly type: "keyGenerated"; readonly vp: Vp; readonly elapsedMs: number }
  /** auto-mk-rotate printed "Delaying 30 seconds to allow server to discover new master key values" (journaled). */
  | { readonly type: "delaying"; readonly vp: Vp | undefined; readonly elapsedMs: number }
  /** A load reported the key the declared key part files make (`current`: they make the current key; nothing was loaded). */
  | { readonly type: "keyLearned"; readonly vp: Vp; readonly current: boolean; readonly elapsedMs: number }
  | { readonly type: "retry"; readonly attempt: number; readonly message: string; readonly delayMs: number; readonly elapsedMs: number }
  | { readonly type: "done"; readonly vp: Vp; readonly elapsedMs: number }
  | { readonly type: "refused"; readonly refusal: Refusal; readonly elapsedMs: number };

export type ProgressListener = (event: ProgressEvent) => void;
