import { EXAMPLE_BINDING, exampleJournal } from "../../src/engine/decision-table";
import type { Action } from "../../src/engine/decision";
import { beginStep, bindUnreportedGeneration, recordUnboundMarker, completeJournal, endStep, journalInterruptedLoad, journalLearnedVp, journalMismatch, journalShowsLoad, journalShowsRewrap, JournalFormatError, parseJournal, type Journal, type ObservedRotation, type StepContext } from "../../src/engine/journal";
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
    expect(read).toMatchObject({ schemaVersion: 4, rotationId: "rot-old", binding: null, rewrapProof: null, keyParts: null, generated: null, targetVp: D });
    expect(journalMismatch(read!, EXAMPLE_BINDING, rotationTo(D))).toBe("it was written by an earlier release, which did not record the instance");
  });

  test("refuses a newer schema version with a message saying to upgrade", () => {
    expect(() => parseJournal({ ...exampleJournal(D), schemaVersion: 5 })).toThrow(
      new JournalFormatError("the rotation journal has schemaVersion 5, which this release does not read (it reads 1 to 4); upgrade pulumi-hpcs-masterkey before resuming"),
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
    expect(error?.message).toBe("the rotation journal (schemaVersion 4) is malformed: field steps.0.vp: expected a 64-character lower-case hex verification pattern");
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
    const failed = endStep(started, rewrap(D), "failed", ctx.now, { message: "boom" });
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

describe("the journal of key part files only the backend opens (opaque)", () => {
  const ids = ["2e".repeat(32), "1f".repeat(32)];
  const learn: Action = { kind: "loadNew", units: ["u1"], vp: undefined, keyPartIds: ids };
  const loadFiles = (vp: string): Action => ({ kind: "loadNew", units: ["u1"], vp, keyPartIds: ids });

  test("reads a journal of schema version 3 as version 4, with no generation", () => {
    const v3 = { ...exampleJournal(D), schemaVersion: 3 };
    delete (v3 as Partial<Journal>).generated;
    expect(parseJournal(v3)).toEqual({ ...exampleJournal(D), schemaVersion: 4, generated: null });
  });

  test("reads a journal of schema version 2 as version 4, with no key part files", () => {
    const v2 = { ...exampleJournal(D), schemaVersion: 2 };
    delete (v2 as Partial<Journal>).keyParts;
    expect(parseJournal(v2)).toEqual({ ...exampleJournal(D), schemaVersion: 4, keyParts: null });
  });

  test("a load to learn the key starts a ceremony with no key, recording the files (sorted) and no result", () => {
    const started = beginStep(undefined, learn, ctx);
    expect(started).toMatchObject({ targetVp: null, fromVp: X, keyParts: { ids: [...ids].sort(), madeVp: null, at: null }, steps: [{ action: "loadNew", vp: null, outcome: "started" }] });
    expect(parseJournal(JSON.parse(JSON.stringify(started)))).toEqual(started);
    expect(journalLearnedVp(started, EXAMPLE_BINDING, ids)).toBeUndefined();
    expect(journalInterruptedLoad(started, EXAMPLE_BINDING, ids)).toBe(ctx.now);
  });

  test("the key the load reports becomes the ceremony's key, the step's, and what the files make", () => {
    const ended = endStep(beginStep(undefined, learn, ctx), learn, "ok", "later", { madeVp: D });
    expect(ended).toMatchObject({ targetVp: D, keyParts: { madeVp: D, at: "later" }, steps: [{ vp: D, outcome: "ok" }] });
    expect(journalShowsLoad(ended, D)).toBe(true);
    expect(journalLearnedVp(ended, EXAMPLE_BINDING, [...ids].reverse())).toEqual({ vp: D, at: "later" });
    expect(journalInterruptedLoad(ended, EXAMPLE_BINDING, ids)).toBeUndefined();
    // What files make does not change when a ceremony ends.
    expect(journalLearnedVp({ ...ended, completedAt: "done" }, EXAMPLE_BINDING, ids)).toEqual({ vp: D, at: "later" });
  });

  test("files that make the current key: the load fails, and the journal records the current key as what they make", () => {
    const ended = endStep(beginStep(undefined, learn, ctx), learn, "failed", "later", { madeVp: X, message: "same key" });
    expect(ended).toMatchObject({ targetVp: X, keyParts: { madeVp: X }, steps: [{ vp: X, outcome: "failed" }] });
    expect(completeJournal(ended, EXAMPLE_BINDING, X, "end")?.completedAt).toBe("end");
  });

  test("what files make is read only from a journal this tool wrote on this instance through this service, for those files", () => {
    const ended = endStep(beginStep(undefined, learn, ctx), learn, "ok", "later", { madeVp: D });
    expect(journalLearnedVp({ ...ended, binding: null }, EXAMPLE_BINDING, ids)).toBeUndefined();
    expect(journalLearnedVp({ ...ended, binding: { ...EXAMPLE_BINDING, instanceId: "other" } }, EXAMPLE_BINDING, ids)).toBeUndefined();
    expect(journalLearnedVp({ ...ended, binding: { ...EXAMPLE_BINDING, backend: "elsewhere" } }, EXAMPLE_BINDING, ids)).toBeUndefined();
    expect(journalLearnedVp(ended, EXAMPLE_BINDING, [ids[0]])).toBeUndefined();
    expect(journalLearnedVp(ended, EXAMPLE_BINDING, [ids[0], "3d".repeat(32)])).toBeUndefined();
  });

  test("a ceremony with no key is continued only by another load to learn from the same current key", () => {
    const started = beginStep(undefined, learn, ctx);
    expect(beginStep(started, learn, { ...ctx, newRotationId: () => "other" }).rotationId).toBe("rot-new");
    expect(beginStep(started, loadFiles(D), { ...ctx, newRotationId: () => "other" })).toMatchObject({ rotationId: "other", targetVp: D, steps: [{ vp: D }] });
    const moved = { ...ctx, newRotationId: () => "moved", observed: { currentVp: T, units: [{ id: "u1", current: T, pending: undefined }] } };
    expect(beginStep(started, learn, moved).rotationId).toBe("moved");
    expect(journalMismatch(started, EXAMPLE_BINDING, rotationTo(D))).toBe("it records only a load or a generation that did not report the key it made");
  });
});

describe("an auto-mk-rotate whose key was never reported (IBM's CLI prints no VP)", () => {
  const { X, T, D } = VP;
  const AT = "2026-01-01T00:00:00.000Z";
  const unreported = (generated: Partial<NonNullable<Journal["generated"]>>): Journal =>
    exampleJournal(T, { targetVp: null, fromVp: X, generated: { madeVp: null, at: null, delayingAt: null, ...generated }, steps: [{ action: "autoRotate", units: ["u1", "u2"], vp: null, outcome: "started", at: AT, message: null }] });
  const registers = (...units: [string | undefined, string | undefined][]) => ({ currentVp: X, units: units.map(([current, pending], i) => ({ id: `u${i + 1}`, current, pending })) }) as Omit<ObservedRotation, "targetVp">;

  test("after the Delaying line, the one key every unit holds is bound, and a marker becomes its proof", () => {
    const bound = bindUnreportedGeneration(unreported({ delayingAt: AT, markerAt: AT }), EXAMPLE_BINDING, registers([T, undefined], [X, T]));
    expect(bound).toMatchObject({ targetVp: T, generated: { madeVp: T }, rewrapProof: { vp: T, source: "marker" }, steps: [{ action: "autoRotate", vp: T }] });
    expect(bindUnreportedGeneration(unreported({ delayingAt: AT }), EXAMPLE_BINDING, registers([X, T], [X, T]))).toMatchObject({ targetVp: T, rewrapProof: null });
  });

  test("a marker is no proof for a key no unit has promoted: it may have replaced the generated one", () => {
    const bound = bindUnreportedGeneration(unreported({ delayingAt: AT, markerAt: AT }), EXAMPLE_BINDING, registers([X, D], [X, D]));
    expect(bound).toMatchObject({ targetVp: D, generated: { madeVp: D }, rewrapProof: null });
  });

  test("nothing is bound without the Delaying line, with a unit lacking the key, with two candidates, or for another instance", () => {
    const cases: [Journal, Omit<ObservedRotation, "targetVp">][] = [
      [unreported({}), registers([X, T], [X, T])],
      [unreported({ delayingAt: AT }), registers([X, T], [X, undefined])],
      [unreported({ delayingAt: AT }), registers([T, undefined], [X, D])],
      [{ ...unreported({ delayingAt: AT }), binding: { ...EXAMPLE_BINDING, instanceId: "another" } }, registers([X, T], [X, T])],
      [{ ...unreported({ delayingAt: AT }), completedAt: AT }, registers([X, T], [X, T])],
    ];
    for (const [journal, observed] of cases) expect(bindUnreportedGeneration(journal, EXAMPLE_BINDING, observed)).toBe(journal);
  });

  test("a marker is kept unbound only while the generation is open and its key unknown; a v4 journal without it still reads", () => {
    const open = unreported({ delayingAt: AT });
    expect(recordUnboundMarker(open, AT).generated).toMatchObject({ markerAt: AT });
    const reported = { ...open, targetVp: T, generated: { madeVp: T, at: AT, delayingAt: AT } };
    expect(recordUnboundMarker(reported, AT)).toBe(reported);
    const { markerAt: _absent, ...older } = open.generated as NonNullable<Journal["generated"]> & { markerAt?: string | null };
    expect(parseJournal(JSON.parse(JSON.stringify({ ...open, generated: older })))?.generated).toEqual(older);
  });
});
