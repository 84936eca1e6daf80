import { EXAMPLE_BINDING, exampleJournal } from "../../src/engine/decision-table";
import type { Action } from "../../src/engine/decision";
import { beginStep, completeJournal, endStep, journalMismatch, journalShowsLoad, journalShowsRewrap, JournalFormatError, parseJournal, type Journal, type ObservedRotation, type StepContext } from "../../src/engine/journal";
import { VP } from "./observations";

const { X, T, D } = VP;
const observed = { currentVp: X, units: [{ id: "u1", current: X, pending: undefined }] };
const ctx: StepContext = { now: "2026-11-25T10:00:00.000Z", newRotationId: () => "rot-new", binding: EXAMPLE_BINDING, observed };
const load = (vp: string): Action => ({ kind: "loadNew", units: ["u1"], vp });
const rewrap = (vp: string): Action => ({ kind: "rewrap", units: [], vp });
const rotationTo = (targetVp: string) => ({ currentVp: X, targetVp, units: [{ id: "u1", current: X, pending: targetVp }] });

describe("the rotation journal", () => {
  test("reads its current schema version and round-trips through JSON (Pulumi state is JSON)", () => {
    const journal = endStep(beginStep(undefined, load(D), ctx), load(D), "ok", ctx.now);
    expect(parseJournal(JSON.parse(JSON.stringify(journal)))).toEqual(journal);
  });

  test.each([null, undefined])("reads %p as no journal", (raw) => {
    expect(parseJournal(raw)).toBeUndefined();
  });

  test("reads a journal of schema version 1 (an earlier release) as unbound, without its proof, and never as evidence", () => {
    const v1 = { schemaVersion: 1, rotationId: "rot-old", fromVp: X, targetVp: D, startedAt: ctx.now, completedAt: null, rewrapCompletedFor: D, steps: [] };
    const read = parseJournal(v1);
    expect(read).toMatchObject({ schemaVersion: 2, rotationId: "rot-old", binding: null, rewrapProof: null, targetVp: D });
    expect(journalMismatch(read!, EXAMPLE_BINDING, rotationTo(D))).toBe("it was written by an earlier release, which did not record the instance");
  });

  test("refuses a newer schema version with a message saying to upgrade", () => {
    expect(() => parseJournal({ ...exampleJournal(D), schemaVersion: 3 })).toThrow(
      new JournalFormatError("the rotation journal has schemaVersion 3, which this release does not read (it reads 1 to 2); upgrade pulumi-hpcs-masterkey before resuming"),
    );
  });

  test("refuses a malformed journal with one short message naming the field", () => {
    const error = (() => {
      try {
        parseJournal({ ...exampleJournal(D), steps: [{ action: "loadNew", units: [], vp: "nope", outcome: "ok", at: "", message: null }] });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).toBe("the rotation journal (schemaVersion 2) is malformed: field steps.0.vp: expected a 64-character lower-case hex verification pattern");
    expect(() => parseJournal({ steps: [] })).toThrow("no numeric schemaVersion");
  });

  test("starts a new ceremony, bound to the instance and service, when the target changes, and continues the same one otherwise", () => {
    const first = beginStep(undefined, load(T), ctx);
    expect(first).toMatchObject({ rotationId: "rot-new", binding: EXAMPLE_BINDING, fromVp: X, targetVp: T, steps: [{ action: "loadNew", outcome: "started" }] });
    const same = beginStep(endStep(first, load(T), "ok", ctx.now), { kind: "commitNew", units: ["u1"], vp: T }, { ...ctx, newRotationId: () => "other" });
    expect(same.rotationId).toBe("rot-new");
    expect(same.steps).toHaveLength(2);
    const next = beginStep(same, load(D), { ...ctx, newRotationId: () => "rot-next" });
    expect(next).toMatchObject({ rotationId: "rot-next", targetVp: D, steps: [{ action: "loadNew" }] });
  });

  test.each([
    { name: "another instance", journal: exampleJournal(D, { binding: { ...EXAMPLE_BINDING, instanceId: "other" } }), reason: "it was written for instance other" },
    { name: "another service", journal: exampleJournal(D, { binding: { ...EXAMPLE_BINDING, backend: "elsewhere" } }), reason: "it was written through elsewhere, not example-service" },
    { name: "a closed rotation", journal: exampleJournal(D, { completedAt: ctx.now }), reason: `its rotation to ${D.slice(0, 12)}… completed at ${ctx.now}` },
    { name: "another current key", journal: exampleJournal(D, { fromVp: T }), reason: `it records a rotation from ${T.slice(0, 12)}…, but the units' current key is ${X.slice(0, 12)}…` },
    { name: "another target", journal: exampleJournal(T), reason: `it records a rotation to ${T.slice(0, 12)}…, not to ${D.slice(0, 12)}…` },
    {
      name: "a promotion the registers undo",
      journal: exampleJournal(D, { steps: [{ action: "setImmediate", units: ["u1"], vp: D, outcome: "ok", at: ctx.now, message: null }] }),
      reason: "it records set immediate on u1, which the registers no longer show",
    },
    {
      name: "a proven key some unit no longer holds (the instance went back to another key since)",
      journal: exampleJournal(D, { rewrapProof: { vp: D, source: "rewrap", at: ctx.now } }),
      units: [{ id: "u1", current: X, pending: undefined }],
      reason: `its proof that key storage is under ${D.slice(0, 12)}… no longer stands: u1 holds that key in neither register`,
    },
    {
      name: "a proof from before the key was loaded again (an earlier ceremony to the same key)",
      journal: exampleJournal(D, {
        rewrapProof: { vp: D, source: "rewrap", at: ctx.now },
        steps: [
          { action: "rewrap", units: [], vp: D, outcome: "ok", at: ctx.now, message: null },
          { action: "loadNew", units: ["u1"], vp: D, outcome: "ok", at: ctx.now, message: null },
        ],
      }),
      reason: `its proof that key storage is under ${D.slice(0, 12)}… came before ${D.slice(0, 12)}… was loaded again, for a later ceremony`,
    },
  ])("is not the journal of this rotation when it is for $name, and a new step starts a new ceremony", ({ journal, reason, units }: { journal: Journal; reason: string; units?: ObservedRotation["units"] }) => {
    expect(journalMismatch(journal, EXAMPLE_BINDING, { ...rotationTo(D), ...(units ? { units } : {}) })).toBe(reason);
    expect(beginStep(journal, load(D), ctx).rotationId).toBe("rot-new");
  });

  test("is still the journal of its rotation once the instance reached the target (the closing selection step)", () => {
    expect(journalMismatch(exampleJournal(D), EXAMPLE_BINDING, { currentVp: D, targetVp: D, units: [{ id: "u1", current: D, pending: undefined }] })).toBeUndefined();
  });

  test("a successful rewrap or recordRewrap is the proof, with its source; a failed one is not, but shows it was attempted", () => {
    const started = beginStep(exampleJournal(D), rewrap(D), ctx);
    expect(endStep(started, rewrap(D), "ok", ctx.now).rewrapProof).toEqual({ vp: D, source: "rewrap", at: ctx.now });
    const failed = endStep(started, rewrap(D), "failed", ctx.now, "boom");
    expect(failed.rewrapProof).toBeNull();
    expect(failed.steps.at(-1)).toMatchObject({ outcome: "failed", message: "boom" });
    expect(journalShowsRewrap(failed, D)).toBe(true);
    expect(journalShowsRewrap(failed, T)).toBe(false);
    const attest: Action = { kind: "recordRewrap", units: [], vp: D, evidence: "attestation" };
    expect(endStep(beginStep(exampleJournal(D), attest, ctx), attest, "ok", ctx.now).rewrapProof).toEqual({ vp: D, source: "attestation", at: ctx.now });
  });

  test("shows a load only for the key that was loaded", () => {
    const loaded = endStep(beginStep(exampleJournal(T), load(T), ctx), load(T), "failed", ctx.now);
    expect(journalShowsLoad(loaded, T)).toBe(true);
    expect(journalShowsLoad(loaded, D)).toBe(false);
    expect(journalShowsLoad(exampleJournal(T), T)).toBe(false);
  });

  test("completes only our open ceremony for the key the instance converged on", () => {
    expect(completeJournal(exampleJournal(D), EXAMPLE_BINDING, D, ctx.now)?.completedAt).toBe(ctx.now);
    expect(completeJournal(exampleJournal(T), EXAMPLE_BINDING, D, ctx.now)?.completedAt).toBeNull();
    expect(completeJournal(exampleJournal(D, { binding: null }), EXAMPLE_BINDING, D, ctx.now)?.completedAt).toBeNull();
    expect(completeJournal(undefined, EXAMPLE_BINDING, D, ctx.now)).toBeUndefined();
  });
});
