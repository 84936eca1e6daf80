import { sameVp, type Vp } from "../model/vp";
import { journalLearnedVp, type Journal, type JournalBinding } from "./journal";

/**
 * DeclaredKey — the master key the user declared, as the engine takes it:
 * - `vp`: its verification pattern is known before anything is loaded (key part material the caller decrypted);
 * - `files`: key part files only the backend can open (`capabilities.keyParts` `opaque`), identified by their SHA-256s
 *   (`ids`, as Activity Tracker records `masterKeyIds`); `expectedVp` when the user declared the VP they make.
 */
export type DeclaredKey = { readonly kind: "vp"; readonly vp: Vp } | { readonly kind: "files"; readonly ids: readonly string[]; readonly expectedVp?: Vp };

/**
 * What the engine knows of the declared key's VP:
 * - `known`: declared (material, or `expectedVp`), or learned from a load of those very files that this tool journaled
 *   on this instance;
 * - `unknown`: key part files that no load of ours has reported on; a load of them is what tells;
 * - `conflict`: the user declared one VP and a load of the files reported another.
 */
export type KeyKnowledge =
  | { readonly kind: "known"; readonly vp: Vp; readonly source: "declared" | "learned" }
  | { readonly kind: "unknown"; readonly ids: readonly string[] }
  | { readonly kind: "conflict"; readonly expectedVp: Vp; readonly madeVp: Vp; readonly at: string | null; readonly ids: readonly string[] };

/** knowDeclaredKey — the one rule for the declared key's VP. Pure. */
export function knowDeclaredKey(key: DeclaredKey, journal: Journal | undefined, binding: JournalBinding): KeyKnowledge {
  if (key.kind === "vp") return { kind: "known", vp: key.vp, source: "declared" };
  const learned = journalLearnedVp(journal, binding, key.ids);
  if (key.expectedVp !== undefined) {
    if (learned && !sameVp(learned.vp, key.expectedVp)) return { kind: "conflict", expectedVp: key.expectedVp, madeVp: learned.vp, at: learned.at, ids: key.ids };
    return { kind: "known", vp: key.expectedVp, source: "declared" };
  }
  return learned ? { kind: "known", vp: learned.vp, source: "learned" } : { kind: "unknown", ids: key.ids };
}

/** The key's VP when it is known. */
export function knownVp(knowledge: KeyKnowledge): Vp | undefined {
  return knowledge.kind === "known" ? knowledge.vp : undefined;
}
