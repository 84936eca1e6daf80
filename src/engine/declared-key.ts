import { sameVp, type Vp } from "../model/vp";
import { journalGeneratedVp, journalLearnedVp, type Journal, type JournalBinding } from "./journal";

/**
 * DeclaredKey — the master key the user declared, as the engine takes it:
 * - `vp`: its verification pattern is known before anything is loaded (key part material the caller decrypted);
 * - `files`: key part files only the backend can open (`capabilities.keyParts` `opaque`), identified by their SHA-256s
 *   (`ids`, as Activity Tracker records `masterKeyIds`); `expectedVp` when the user declared the VP they make;
 * - `generated`: a key generated in a recovery unit (`auto-mk-rotate`). `replacing`: the key to rotate away from (a
 *   rotation is wanted: a trigger changed, or the policy made one due), or undefined when none is wanted (a generation
 *   of ours under way is finished, nothing new is started). `expectedVp` when the user declared that a pending key
 *   nothing records is the one their interrupted run generated.
 */
export type DeclaredKey =
  | { readonly kind: "vp"; readonly vp: Vp }
  | { readonly kind: "files"; readonly ids: readonly string[]; readonly expectedVp?: Vp }
  | { readonly kind: "generated"; readonly replacing: Vp | undefined; readonly expectedVp?: Vp };

/**
 * What the engine knows of the declared key's VP:
 * - `known`: declared (material, or `expectedVp`), or learned from a load of those very files that this tool journaled
 *   on this instance;
 * - `unknown`: key part files that no load of ours has reported on; a load of them is what tells;
 * - `conflict`: the user declared one VP and a load of the files reported another;
 * - `generate`: a new key is wanted in place of `replacing`, and no generation of ours under way made one yet;
 * - `keep`: no new key is wanted, and no generation of ours is under way.
 */
export type KeyKnowledge =
  | { readonly kind: "known"; readonly vp: Vp; readonly source: "declared" | "learned" }
  | { readonly kind: "unknown"; readonly ids: readonly string[] }
  | { readonly kind: "generate"; readonly replacing: Vp }
  | { readonly kind: "keep" }
  | { readonly kind: "conflict"; readonly expectedVp: Vp; readonly madeVp: Vp; readonly at: string | null; readonly ids: readonly string[] };

/** knowDeclaredKey — the one rule for the declared key's VP. Pure. */
export function knowDeclaredKey(key: DeclaredKey, journal: Journal | undefined, binding: JournalBinding): KeyKnowledge {
  if (key.kind === "vp") return { kind: "known", vp: key.vp, source: "declared" };
  if (key.kind === "generated") {
    // A generation of ours that reported its key is what it made; a declared VP speaks only for one that did not.
    const generated = journalGeneratedVp(journal, binding, key.replacing);
    if (generated) return { kind: "known", vp: generated, source: "learned" };
    // A declared VP left in the program once its key became current names the key a new rotation replaces, not its target.
    const stale = key.expectedVp !== undefined && key.replacing !== undefined && sameVp(key.expectedVp, key.replacing);
    if (key.expectedVp !== undefined && !stale) return { kind: "known", vp: key.expectedVp, source: "declared" };
    return key.replacing === undefined ? { kind: "keep" } : { kind: "generate", replacing: key.replacing };
  }
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
