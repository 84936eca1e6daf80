import { exampleJournal } from "../../src/engine/decision-table";
import { beginStep, completeJournal, endStep, journalShowsRewrap, JournalFormatError, parseJournal } from "../../src/engine/journal";
import { VP } from "./observations";

const { X, T, D } = VP;
const ctx = { now: "2026-11-25T10:00:00.000Z", newRotationId: () => "rot-new", currentVp: X };

describe("the rotation journal", () => {
  test("reads its current schema version and round-trips through JSON (Pulumi state is JSON)", () => {
    const journal = endStep(beginStep(undefined, { kind: "loadNew", units: ["u1"], vp: D }, ctx), "ok", ctx.now);
    expect(parseJournal(JSON.parse(JSON.stringify(journal)))).toEqual(journal);
  });

  test.each([null, undefined])("reads %p as no journal", (raw) => {
    expect(parseJournal(raw)).toBeUndefined();
  });

  test("refuses a newer schema version with a message saying to upgrade", () => {
    expect(() => parseJournal({ ...exampleJournal(D), schemaVersion: 2 })).toThrow(new JournalFormatError("the rotation journal has schemaVersion 2, newer than this release understands (1); upgrade pulumi-hpcs-masterkey before resuming"));
  });

  test("refuses a malformed journal naming what is wrong", () => {
    expect(() => parseJournal({ ...exampleJournal(D), targetVp: "nope" })).toThrow(/schemaVersion 1\) is malformed: .*targetVp/s);
    expect(() => parseJournal({ steps: [] })).toThrow("no numeric schemaVersion");
  });

  test("starts a new ceremony when the target changes, and continues the same one otherwise", () => {
    const first = beginStep(undefined, { kind: "loadNew", units: ["u1"], vp: T }, ctx);
    expect(first).toMatchObject({ rotationId: "rot-new", fromVp: X, targetVp: T, steps: [{ action: "loadNew", outcome: "started" }] });
    const same = beginStep(endStep(first, "ok", ctx.now), { kind: "commitNew", units: ["u1"], vp: T }, { ...ctx, newRotationId: () => "other" });
    expect(same.rotationId).toBe("rot-new");
    expect(same.steps).toHaveLength(2);
    const next = beginStep(same, { kind: "loadNew", units: ["u1"], vp: D }, { ...ctx, newRotationId: () => "rot-next" });
    expect(next).toMatchObject({ rotationId: "rot-next", targetVp: D, steps: [{ action: "loadNew" }] });
  });

  test("a successful rewrap or recordRewrap proves the rewrap; a failed one does not, but shows it was attempted", () => {
    const started = beginStep(exampleJournal(D), { kind: "rewrap", units: [], vp: D }, ctx);
    expect(endStep(started, "ok", ctx.now).rewrapCompletedFor).toBe(D);
    const failed = endStep(started, "failed", ctx.now, "boom");
    expect(failed.rewrapCompletedFor).toBeNull();
    expect(failed.steps.at(-1)).toMatchObject({ outcome: "failed", message: "boom" });
    expect(journalShowsRewrap(failed, D)).toBe(true);
    expect(journalShowsRewrap(failed, T)).toBe(false);
    expect(endStep(beginStep(exampleJournal(D), { kind: "recordRewrap", units: [], vp: D }, ctx), "ok", ctx.now).rewrapCompletedFor).toBe(D);
  });

  test("completes only the ceremony for the key the instance converged on", () => {
    expect(completeJournal(exampleJournal(D), D, ctx.now)?.completedAt).toBe(ctx.now);
    expect(completeJournal(exampleJournal(T), D, ctx.now)?.completedAt).toBeNull();
    expect(completeJournal(undefined, D, ctx.now)).toBeUndefined();
  });
});
