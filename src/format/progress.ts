import { sameVp, shortVp, type Vp } from "../model/vp";
import type { ProgressEvent } from "../engine/progress";

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/** One human line per progress event, or undefined for events not worth a line. Identifiers and counts only. */
export function renderProgress(event: ProgressEvent): string | undefined {
  const at = `[${seconds(event.elapsedMs)}]`;
  switch (event.type) {
    case "observed":
      return `${at} phase ${event.phase}`;
    case "step":
      return `${at} ${event.action}${event.units.length ? ` on ${event.units.join(", ")}` : ""}: ${event.reason}`;
    case "stepDone":
      // The words TKE users look for in scroll-back (research §4.2): after them only promotion remains.
      if (event.action === "rewrap") return `${at} rewrap ok (${seconds(event.durationMs)}): KMS CRK rewrap successful, waiting on cryptounit-mk-setimm.`;
      return `${at} ${event.action} ok (${seconds(event.durationMs)})`;
    case "rewrapMarker":
      return `${at} rotate: KMS CRK rewrap successful, waiting on cryptounit-mk-setimm. (${event.vp ? "journaled" : "seen"}; set immediate follows on every unit)`;
    case "keyGenerated":
      return `${at} a recovery unit generated the new master key ${shortVp(event.vp)} (journaled before it is copied)`;
    case "delaying":
      return `${at} auto-mk-rotate: Delaying 30 seconds to allow server to discover new master key values (journaled: from now on the key${event.vp ? ` ${shortVp(event.vp)}` : ""} is never replaced)`;
    case "rewrapProgress":
      return event.done === event.total || event.done % Math.max(1, Math.floor(event.total / 10)) === 0 ? `${at} rewrap ${event.done}/${event.total} records` : undefined;
    case "keyLearned":
      return event.current
        ? `${at} the declared key part files make the current master key ${shortVp(event.vp)}: nothing was loaded`
        : `${at} the declared key part files make the master key ${shortVp(event.vp)} (reported by the load; journaled)`;
    case "retry":
      return `${at} transient error, retry ${event.attempt} in ${seconds(event.delayMs)}: ${event.message}`;
    case "done":
      return `${at} done: every unit is on ${shortVp(event.vp)}`;
    case "refused":
      return `${at} refused (${event.refusal.code}): ${event.refusal.message}`;
  }
}

/**
 * One line, before the first step of an interrupted rotation to another key that this run finishes before rotating to
 * the declared one: its steps name the old key, and a reader should know why (a clear could lose records).
 */
export function interruptedRotationNotice(declared: Vp | null): (event: ProgressEvent) => string | undefined {
  let told = false;
  return (event) => {
    // Selection steps carry the key of the step they prepare, which may be a clear of an abandoned key: only a step on the registers tells.
    if (told || declared === null || event.type !== "step" || event.vp === undefined || ["select", "deselect", "clearNew"].includes(event.action) || sameVp(event.vp, declared)) return undefined;
    told = true;
    return `finishing the interrupted rotation to ${shortVp(event.vp)} first: a key storage rewrap to it may have started, so it is finished, never cleared; then rotating to ${shortVp(declared)}`;
  };
}
