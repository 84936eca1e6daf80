import { ageInDays, dueAdvice, dueSentence, keyAgeAfter, parseKeyAge, rotationSchedule, type KeyAge } from "../../src/engine/rotation-policy";
import type { Journal } from "../../src/engine/journal";
import type { Vp } from "../../src/model/vp";
import { CLI_WORDS } from "../../src/cli/shell-words";

const A = "a".repeat(64) as Vp;
const B = "b".repeat(64) as Vp;
const binding = { instanceId: "inst-1", backend: "hpcs-simulator:x" };
const day = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * 86_400_000);
const at = (n: number) => day(n).toISOString();

function journal(over: Partial<Journal>): Journal {
  return { schemaVersion: 4, rotationId: "r", binding, fromVp: A, targetVp: B, startedAt: at(0), completedAt: at(1), rewrapProof: null, keyParts: null, generated: null, steps: [], ...over };
}

describe("the key's age, from this tool's own records", () => {
  test("a key first seen (adopted, no record) counts from when it was first seen, not as due at once", () => {
    expect(keyAgeAfter(undefined, A, undefined, binding, at(0))).toEqual({ verificationPattern: A, since: at(0), source: "firstSeen" });
  });

  test("a rotation of ours that completed on this instance dates the key from its completion", () => {
    const previous: KeyAge = { verificationPattern: A, since: at(-300), source: "firstSeen" };
    expect(keyAgeAfter(previous, B, journal({ completedAt: at(5) }), binding, at(9))).toEqual({ verificationPattern: B, since: at(5), source: "rotation" });
  });

  test("a journal that only restored the selection (from the key to itself) is not a rotation", () => {
    expect(keyAgeAfter(undefined, A, journal({ fromVp: A, targetVp: A }), binding, at(9))).toEqual({ verificationPattern: A, since: at(9), source: "firstSeen" });
  });

  test("a journal of another instance or service dates nothing", () => {
    const previous: KeyAge = { verificationPattern: A, since: at(-300), source: "firstSeen" };
    for (const other of [{ ...binding, instanceId: "inst-2" }, { ...binding, backend: "ibm-cloud-tke:us-south" }]) {
      expect(keyAgeAfter(previous, B, journal({ binding: other }), binding, at(9))).toEqual({ verificationPattern: B, since: at(9), source: "firstSeen" });
    }
  });

  test("an unfinished rotation keeps the old key's age: it resets only when the rotation completes", () => {
    const previous: KeyAge = { verificationPattern: A, since: at(-300), source: "rotation" };
    expect(keyAgeAfter(previous, undefined, journal({ completedAt: null }), binding, at(9))).toBe(previous);
    expect(keyAgeAfter(previous, A, journal({ completedAt: null }), binding, at(9))).toBe(previous);
  });

  test("a key someone rotated to by hand counts as first seen when this tool sees it", () => {
    const previous: KeyAge = { verificationPattern: A, since: at(-300), source: "rotation" };
    expect(keyAgeAfter(previous, B, undefined, binding, at(9))).toEqual({ verificationPattern: B, since: at(9), source: "firstSeen" });
  });

  test("a stored age is read through its schema; a malformed one reads as none", () => {
    expect(parseKeyAge({ verificationPattern: A, since: at(0), source: "rotation" })).toEqual({ verificationPattern: A, since: at(0), source: "rotation" });
    for (const bad of [null, {}, { verificationPattern: "xyz", since: at(0), source: "rotation" }, { verificationPattern: A, since: "yesterday", source: "rotation" }, { verificationPattern: A, since: at(0), source: "guess" }]) {
      expect(parseKeyAge(bad)).toBeUndefined();
    }
  });
});

describe("the rotation schedule, with an injected clock", () => {
  const age: KeyAge = { verificationPattern: A, since: at(0), source: "rotation" };
  const policy = { periodDays: 90 };

  test.each([
    { now: 0, state: "notDue" },
    { now: 89, state: "notDue" },
    { now: 90, state: "due" },
    { now: 400, state: "due" },
  ])("a 90-day policy on day $now: $state", ({ now, state }) => {
    expect(rotationSchedule(age, policy, day(now))).toEqual({ state, dueAt: at(90), age });
  });

  test("no policy, or no key yet, is never due", () => {
    expect(rotationSchedule(age, undefined, day(400))).toEqual({ state: "none" });
    expect(rotationSchedule(undefined, policy, day(400))).toEqual({ state: "unknownAge" });
  });

  test("a changed policy moves the due date at once", () => {
    expect(rotationSchedule(age, { periodDays: 30 }, day(40)).state).toBe("due");
    expect(rotationSchedule(age, { periodDays: 365 }, day(100))).toMatchObject({ state: "notDue", dueAt: at(365) });
  });

  test("the drift sentence says since when, why, and exactly what the key custodians do, in the shell's words", () => {
    const words = { ...CLI_WORDS, declareKeyParts: "--key-part" };
    const sentence = dueSentence(rotationSchedule(age, policy, day(100)), policy, day(100), dueAdvice("keyParts", words));
    expect(sentence).toBe(
      `a master key rotation is due since ${at(90)}: the rotation policy is every 90 days, and the master key aaaaaaaaaaaa… has been current since ${at(0)} (when a rotation by this tool completed), 100 days. ` +
        "The key custodians each create a new key part file (hpcs-mk keypart create, or ibmcloud tke mk-add --random), declare the new files in --key-part, and run hpcs-mk rotate",
    );
    expect(dueSentence(rotationSchedule(age, policy, day(100)), policy, day(100), dueAdvice("recoveryUnit", words))).toMatch(/100 days\. hpcs-mk rotate --recovery-unit-key generates a new master key in a recovery unit and rotates to it \(auto-mk-rotate\)$/);
    expect(dueSentence(rotationSchedule(age, policy, day(10)), policy, day(10), dueAdvice("keyParts", words))).toBeUndefined();
    expect(ageInDays(age, day(1))).toBe(1);
  });
});
