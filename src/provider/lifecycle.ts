import type { Backend, Signers } from "../engine/port/backend";
import { UnknownInstanceError } from "../engine/port/errors";
import { resolve } from "node:path";
import { keyPartsTakenBy, withBackend, type Transcript } from "../compose/open-backend";
import { startEvidenceRecord, type EvidenceRecorder } from "../files/evidence-log";
import { toolIdentity } from "../files/tool";
import { knowDeclaredKey, knownVp, type DeclaredKey } from "../engine/declared-key";
import type { Material } from "../engine/executor";
import { classify } from "../engine/classify";
import type { Refusal } from "../engine/decision";
import { Executor, ExecutionError } from "../engine/executor";
import { completeJournal, journalBinding, JournalFormatError, parseJournal, type Journal } from "../engine/journal";
import { parseAttestation } from "../engine/attestation";
import type { Desired } from "../engine/plan";
import { observe } from "../engine/observe";
import { previewCeremony } from "../engine/preview";
import { keyPartFileRefs, openKeyParts } from "../files/key-parts";
import { openSigners } from "../files/signature-keys";
import { printable } from "../format/printable";
import { interruptedRotationNotice, renderProgress } from "../format/progress";
import { isVp, sameVp, shortVp, type Vp } from "../model/vp";
import { dueAdvice, dueSentence, parseKeyAge, rotationPolicy, rotationSchedule, type KeyAge, type RotationPolicy } from "../engine/rotation-policy";
import { dateNow } from "../engine/clock";
import type { ProviderConfig } from "./config";
import { checkInputs, type CheckResult } from "./check";
import { containsUnknown, type CheckedInputs } from "./inputs";
import { PROVIDER_WORDS } from "./shell-words";
import { shapeOutputs, type EvidenceOutput, type GeneratedFor, type LastStep, type MasterKeyOutputs } from "./outputs";
import { count } from "../format/words";

export interface LifecycleContext {
  readonly config: ProviderConfig;
  /** Where progress lines go: the provider's stdout, which `pulumi up` shows. */
  readonly log: (line: string) => void;
  /** The time now: the key's age and the rotation policy are judged by it (injected by tests). */
  readonly now?: () => Date;
}

const nowOf = (ctx: LifecycleContext) => dateNow(ctx.now);

/** The policy a resource's inputs or outputs carry. */
const policyOf = (props: Props): RotationPolicy | undefined => rotationPolicy(typeof props.rotationPeriodDays === "number" ? props.rotationPeriodDays : undefined);

type Props = Record<string, unknown>;

export interface DiffResult {
  readonly changes: boolean;
  readonly replaces: string[];
  readonly deleteBeforeReplace: boolean;
}

/** The error shape the dynamic provider host turns into Pulumi partial state (research/pulumi.md §1.3). */
export interface PartialStateError extends Error {
  id: string;
  properties: Props;
  reasons: string[];
}

function partialStateError(message: string, id: string, outputs: MasterKeyOutputs, providerCode: unknown): PartialStateError {
  const properties: Props = { ...(JSON.parse(JSON.stringify(outputs)) as Props), __provider: providerCode };
  return Object.assign(new Error(message), { id, properties, reasons: [message] });
}

/** The unit ids stored outputs name: the first observation can query them without listing first. */
function unitIdsOf(props: Props): string[] {
  return Array.isArray(props.units) ? props.units.map((u) => (u as { id?: unknown })?.id).filter((id): id is string => typeof id === "string") : [];
}

function refusalText(refusal: Refusal): string {
  return printableLines([
    `refused (${refusal.code}): ${refusal.message}`,
    ...(refusal.evidence.length > 0 ? ["evidence:", ...refusal.evidence.map((e) => `  ${e}`)] : []),
    "manual steps:",
    ...refusal.manualSteps.map((s) => `  ${s}`),
  ]);
}

/** Lines shown to people: names from the service (administrators) with control characters escaped. */
function printableLines(lines: readonly string[]): string {
  return lines.map(printable).join("\n");
}

/**
 * The journal stored in state. A malformed one is set aside with a note, not an error: a journal can only make the
 * engine more careful or carry a proof, so without it the engine takes the safe side (and refresh and up still run).
 */
function storedJournal(ctx: LifecycleContext, raw: unknown): Journal | undefined {
  try {
    return parseJournal(raw);
  } catch (error) {
    if (!(error instanceof JournalFormatError)) throw error;
    ctx.log(`the rotation journal in the stack state was set aside: ${error.message}`);
    return undefined;
  }
}

/** Where the declared key comes from. */
const sourceOf = (inputs: Props): MasterKeyOutputs["keySource"] => (inputs.recoveryUnitKey === undefined ? "keyParts" : "recoveryUnit");

/** The keepers a generated key is declared for, in one spelling (sorted keys), so a reordering is no change. */
function generatedFor(inputs: Props): GeneratedFor {
  const keepers = ((inputs.recoveryUnitKey as { keepers?: Record<string, string> } | undefined)?.keepers ?? {}) as Record<string, string>;
  return { keepers: Object.fromEntries(Object.keys(keepers).sort().map((k) => [k, keepers[k]])) };
}

/** The keepers the stored key was generated (or adopted) for, if it was declared as a generated key. */
function storedGeneratedFor(olds: Props): GeneratedFor | null {
  const stored = olds.generatedFor as { keepers?: unknown } | null | undefined;
  return stored && typeof stored.keepers === "object" && stored.keepers !== null ? generatedFor({ recoveryUnitKey: { keepers: stored.keepers } }) : null;
}

const KEEPERS_CHANGED = "its keepers changed";

/**
 * Why a new key is to be generated in a recovery unit, or undefined: its keepers changed since the current key was
 * generated (or adopted) for them, or the rotation policy made a rotation due. Adopting a key (a first create, or a
 * switch from key parts) generates nothing.
 */
function generationReason(news: Props, olds: Props, now: Date): string | undefined {
  if (news.recoveryUnitKey === undefined) return undefined;
  const stored = storedGeneratedFor(olds);
  if (stored && JSON.stringify(stored) !== JSON.stringify(generatedFor(news))) return KEEPERS_CHANGED;
  if (rotationSchedule(parseKeyAge(olds.keyAge), policyOf(news), now).state === "due") return "the rotation policy made a rotation due";
  return undefined;
}

/** The key a generation replaces: the current one as the state records it (the old key until a rotation completes). */
function keyToReplace(news: Props, olds: Props, now: Date): Vp | undefined {
  if (generationReason(news, olds, now) === undefined) return undefined;
  const age = parseKeyAge(olds.keyAge);
  return age?.verificationPattern ?? (isVp(olds.verificationPattern) ? olds.verificationPattern : undefined);
}

/** The declared key as the engine takes it, for a backend that takes key part values or opens the files itself. */
function declaredKeyOf(inputs: CheckedInputs, keyParts: Backend["capabilities"]["keyParts"], olds: Props, now: Date): DeclaredKey {
  if (inputs.recoveryUnitKey !== undefined) {
    const expected = inputs.expectedVerificationPattern;
    return { kind: "generated", replacing: keyToReplace(inputs as unknown as Props, olds, now), ...(expected ? { expectedVp: expected } : {}) };
  }
  if (keyParts === "material" && inputs.desiredVerificationPattern !== null) return { kind: "vp", vp: inputs.desiredVerificationPattern };
  return { kind: "files", ids: inputs.keyPartIds, ...(inputs.expectedVerificationPattern ? { expectedVp: inputs.expectedVerificationPattern } : {}) };
}

/** What the inputs declare, as the engine takes it; `olds` (the stored outputs) say whether a generated key is due. */
function desiredOf(inputs: CheckedInputs, keyParts: Backend["capabilities"]["keyParts"], signerSkis: readonly string[], olds: Props, now: Date): Desired {
  const attestation = inputs.attestRewrapComplete === undefined ? undefined : parseAttestation(inputs.attestRewrapComplete);
  // check() opened the signature keys in input order, so the i-th SKI is the i-th signatureKeys entry.
  const signerSources = Object.fromEntries(signerSkis.map((ski, i) => [ski, `signatureKeys[${i}] (${inputs.signatureKeys[i].file})`]));
  return { key: declaredKeyOf(inputs, keyParts, olds, now), signerSkis, signerSources, words: PROVIDER_WORDS, ...(attestation ? { rewrapAttestation: attestation } : {}) };
}

const sameIds = (a: unknown, b: readonly string[]) => Array.isArray(a) && a.length === b.length && a.every((id, i) => id === b[i]);

/**
 * check for the engine — validation (`checkInputs`), and for a resource not yet in the state the planned ceremony:
 * Pulumi calls `diff` only for resources it already has, so the first rotation's preview is printed from here.
 */
export async function checkMasterKey(ctx: LifecycleContext, olds: Props, news: Props): Promise<CheckResult> {
  const result = checkInputs(news, keyPartsTakenBy(ctx.config));
  const creating = Object.keys(olds).length === 0;
  if (creating && result.failures.length === 0 && !containsUnknown(result.inputs)) await printCeremony(ctx, result.inputs as unknown as CheckedInputs, {});
  return result;
}

/** diff — what `up` would change and, on refresh, whether the instance drifted (DESIGN §6). Prints the ceremony. */
export async function diffMasterKey(ctx: LifecycleContext, olds: Props, news: Props): Promise<DiffResult> {
  const replaces = olds.instanceId !== news.instanceId ? ["instanceId"] : [];
  // Key part files the backend opens have no VP until a load tells it: the one learned for these very files, if any.
  const learned = sameIds(olds.keyPartIds, Array.isArray(news.keyPartIds) ? news.keyPartIds.map(String) : []) ? olds.desiredVerificationPattern : undefined;
  const desired = news.desiredVerificationPattern ?? learned;
  const observed = olds.verificationPattern;
  const now = nowOf(ctx);
  const due = dueSentence(rotationSchedule(parseKeyAge(olds.keyAge), policyOf(news), now), policyOf(news), now, dueAdvice(sourceOf(news), PROVIDER_WORDS));
  const generation = generationReason(news, olds, now);
  // A generated key has no VP to compare: it is the stored one until its keepers change or a rotation falls due.
  const keyDiffers = news.recoveryUnitKey === undefined ? !(isVp(desired) && isVp(observed) && sameVp(desired, observed)) : generation !== undefined;
  const changes =
    replaces.length > 0 ||
    containsUnknown(news) ||
    olds.__provider !== news.__provider ||
    olds.phase !== "Active" ||
    (olds.rotationPeriodDays ?? null) !== (news.rotationPeriodDays ?? null) ||
    (olds.keySource ?? "keyParts") !== sourceOf(news) ||
    due !== undefined ||
    keyDiffers;
  if (due !== undefined) ctx.log(due);
  else if (generation !== undefined) ctx.log(`a new master key will be generated in a recovery unit: ${generation}`);
  if (changes && replaces.length === 0 && !containsUnknown(news)) await printCeremony(ctx, news as unknown as CheckedInputs, olds);
  return { changes, replaces, deleteBeforeReplace: false };
}

/** Prints the steps `up` would take, so a reviewer sees the ceremony in `pulumi preview`. Never fails the diff. */
async function printCeremony(ctx: LifecycleContext, inputs: CheckedInputs, olds: Props): Promise<void> {
  try {
    await withBackend(ctx.config, inputs.instanceId, (backend) => printCeremonyOf(ctx, backend, inputs, olds), { onWait: (notice) => ctx.log(notice) });
  } catch (error) {
    ctx.log(`planned ceremony unavailable: ${(error as Error).message}`);
  }
}

async function printCeremonyOf(ctx: LifecycleContext, backend: Backend, inputs: CheckedInputs, olds: Props): Promise<void> {
  const observation = await observe(backend, unitIdsOf(olds));
  const journal = storedJournal(ctx, olds.rotation);
  const binding = journalBinding(backend);
  const desired = desiredOf(inputs, backend.capabilities.keyParts, inputs.signerSkis, olds, nowOf(ctx));
  const preview = previewCeremony({ observation, journal, binding, desired, capabilities: backend.capabilities });
  const threshold = Math.max(0, ...observation.units.map((u) => u.thresholds.signature));
  const target = knownVp(knowDeclaredKey(desired.key, journal, binding));
  ctx.log(
    `planned ceremony for ${inputs.instanceId} → ${target ? shortVp(target) : desired.key.kind === "generated" ? "a key generated in a recovery unit" : "the key the key part files make (learned when they are loaded)"} (signature threshold ${threshold}, ${count(inputs.signerSkis.length, "signature key")} provided):`,
  );
  preview.steps.forEach((step, i) => ctx.log(`  ${i + 1}. [${step.phase}] ${step.action.kind}${step.action.units.length ? ` on ${step.action.units.join(", ")}` : ""}: ${step.reason}`));
  if (preview.end.kind === "refuse") ctx.log(`  then: ${refusalText(preview.end)}`);
  else if (preview.end.kind === "done") ctx.log(`  then: done (${count(preview.steps.length, "step")})`);
  else if (preview.end.kind === "keyLearnedAtLoad") ctx.log("  then: the steps that follow depend on the key the load reports (commit, rewrap, set immediate), or done if it is the current key");
  else if (preview.end.kind === "keyGenerated") ctx.log("  then: the rotation goes on to the key the generation reports (commit, rewrap, set immediate)");
}

interface Prior {
  /** The stored outputs (none for a create): whether a generated key is due, and what it was generated for. */
  readonly olds: Props;
  readonly journal: Journal | undefined;
  readonly lastRotatedAt: string | null;
  readonly keyAge: KeyAge | undefined;
  readonly knownUnits: readonly string[];
}

/**
 * The key parts in the form the backend takes: decrypted here (the values, zeroed by `close`), or the files with their
 * SHA-256s for a backend that opens them itself.
 */
function keyPartsFor(backend: Backend, inputs: CheckedInputs): { keyParts: Material["keyParts"]; close(): void } {
  const refs = inputs.keyParts ?? [];
  if (backend.capabilities.keyParts === "opaque") return { keyParts: { kind: "files", files: keyPartFileRefs(refs) }, close: () => undefined };
  // A key generated in a recovery unit has no parts to open.
  if (refs.length === 0) return { keyParts: { kind: "material", parts: [] }, close: () => undefined };
  const opened = openKeyParts(refs);
  return { keyParts: { kind: "material", parts: opened.parts }, close: () => opened.close() };
}

/** converge — runs the engine to convergence; create and update differ only in what they start from. */
function converge(ctx: LifecycleContext, inputs: CheckedInputs, prior: Prior, alwaysPartial: boolean): Promise<MasterKeyOutputs> {
  const transcripts: { listener?: (transcript: Transcript) => void } = {};
  return withBackend(ctx.config, inputs.instanceId, (backend) => convergeWith(ctx, backend, inputs, prior, alwaysPartial, transcripts), { onTranscript: (t) => transcripts.listener?.(t), onWait: (notice) => ctx.log(`hpcs ${inputs.instanceId}: ${notice}`) });
}

function storedEvidence(props: Props): EvidenceOutput | null {
  const stored = props.evidence as Partial<EvidenceOutput> | null | undefined;
  return stored && typeof stored.id === "string" && typeof stored.hash === "string" ? { id: stored.id, hash: stored.hash } : null;
}

/** This run's evidence record, in its ceremony's file; a file that does not verify stops the run before anything changes. */
function startEvidence(ctx: LifecycleContext, backend: Backend, desired: Desired, inputs: CheckedInputs, signers: Signers, journal: Journal | undefined, transcripts: { listener?: (transcript: Transcript) => void }) {
  const { recorder, newRotationId } = startEvidenceRecord({
    root: resolve(ctx.config.evidenceDir),
    run: { shell: "pulumi", command: `pulumi up (MasterKey ${inputs.instanceId})`, backend, tool: toolIdentity(), desired, keyPartSha256s: inputs.keyPartIds },
    journal,
    binding: journalBinding(backend),
    ...(inputs.signEvidence ? { signWith: signers.keys[0] } : {}),
  });
  transcripts.listener = (t) => recorder.transcript(t);
  const finish = (end: Parameters<EvidenceRecorder["finish"]>[0]): EvidenceOutput => {
    recorder.finish(end);
    if (recorder.failure) ctx.log(`hpcs ${inputs.instanceId}: warning: the evidence record ${recorder.file} stopped early: ${recorder.failure.message}`);
    return recorder.latest;
  };
  return { recorder, newRotationId, finish };
}

async function convergeWith(ctx: LifecycleContext, backend: Backend, inputs: CheckedInputs, prior: Prior, alwaysPartial: boolean, transcripts: { listener?: (transcript: Transcript) => void }): Promise<MasterKeyOutputs> {
  const keyParts = keyPartsFor(backend, inputs);
  try {
    const signers = openSigners(inputs.signatureKeys);
    const desired = desiredOf(inputs, backend.capabilities.keyParts, signers.keys.map((k) => k.ski), prior.olds, nowOf(ctx));
    const binding = journalBinding(backend);
    const evidence = startEvidence(ctx, backend, desired, inputs, signers, prior.journal, transcripts);
    const source = sourceOf(inputs as unknown as Props);
    const wanted = desired.key.kind === "generated" && desired.key.replacing !== undefined;
    // A converged key is made for these keepers when none was wanted (adopted), or when our generation made it.
    const madeFor = (journal: Journal | undefined, converged: Vp) => !wanted || (journal?.generated?.madeVp !== undefined && journal.generated.madeVp !== null && sameVp(journal.generated.madeVp, converged));
    const context = (journal: Journal | undefined, lastStep: LastStep, record: EvidenceOutput, converged?: Vp) => ({
      evidence: record,
      instanceId: inputs.instanceId,
      backend: backend.description,
      // A generated key, once converged, is the current one: generated (or adopted) for these keepers.
      desiredVp: knownVp(knowDeclaredKey(desired.key, journal, binding)) ?? (source === "recoveryUnit" ? (converged ?? null) : null),
      keyPartFiles: (inputs.keyParts ?? []).map((p) => p.file),
      keyPartIds: inputs.keyPartIds,
      journal,
      previousLastRotatedAt: prior.lastRotatedAt,
      previousKeyAge: prior.keyAge,
      rotationPeriodDays: inputs.rotationPeriodDays,
      keySource: source,
      // What the current key was generated for changes only when a run converges on a key made for it: a failed run
      // keeps the old keepers, so the next run still wants the new key, and so does a run that found the key changed
      // outside it (by hand, or by a run whose record was lost) and generated nothing.
      generatedFor: source === "recoveryUnit" && converged !== undefined && madeFor(journal, converged) ? generatedFor(inputs as unknown as Props) : storedGeneratedFor(prior.olds),
      binding,
      now: nowOf(ctx),
      lastStep,
    });
    const finishingFirst = interruptedRotationNotice(knownVp(knowDeclaredKey(desired.key, prior.journal, binding)) ?? null);
    const executor = new Executor({
      backend,
      desired,
      material: { keyParts: keyParts.keyParts, signers },
      journal: prior.journal,
      newRotationId: evidence.newRotationId,
      onProgress: (event) => {
        evidence.recorder.progress(event);
        const notice = finishingFirst(event);
        if (notice) ctx.log(`hpcs ${inputs.instanceId}: ${notice}`);
        const line = renderProgress(event);
        if (line) ctx.log(`hpcs ${inputs.instanceId}: ${line}`);
      },
      deadlineMs: inputs.deadlines?.runSeconds === undefined ? undefined : inputs.deadlines.runSeconds * 1000,
      stepTimeoutMs: inputs.deadlines?.stepSeconds === undefined ? undefined : inputs.deadlines.stepSeconds * 1000,
      owner: `pulumi (pid ${process.pid})`,
      knownUnits: prior.knownUnits,
    });
    try {
      const result = await executor.run();
      if (result.outcome === "done") {
        const record = evidence.finish({ outcome: "done", ...(result.phase.currentVp ? { vp: result.phase.currentVp } : {}) });
        const outputs = shapeOutputs(result.observation, result.phase, context(result.journal, { outcome: "ok", reason: "Converged", message: `every unit is on ${result.phase.currentVp}` }, record, result.phase.currentVp));
        // A converged instance's only drift is a due rotation, which key custodians act on: said, never a failed run.
        outputs.driftReasons.forEach((reason) => ctx.log(`hpcs ${inputs.instanceId}: ${reason}`));
        const current = result.phase.currentVp as Vp;
        if (wanted && !madeFor(result.journal, current)) {
          ctx.log(
            `hpcs ${inputs.instanceId}: the current master key ${shortVp(current)} is not the key the stack state recorded; it was changed outside this run (by hand, or by a run whose record was lost), so nothing was generated now. ${
              generationReason(inputs as unknown as Props, prior.olds, nowOf(ctx)) === KEEPERS_CHANGED
                ? `The next pulumi up generates a key for the new keepers, replacing ${shortVp(current)}`
                : `Its age counts from now (first seen)`
            }`,
          );
        }
        return outputs;
      }
      const refusal = result.refusal as Refusal;
      const message = refusalText(refusal);
      const record = evidence.finish({ outcome: "refused", message: refusal.message });
      // A refusal that took no step changed nothing: a plain error keeps the stored state as it was.
      if (result.steps === 0) throw new Error(`${message}\nevidence: ${record.id} (hpcs-mk evidence show)`);
      const outputs = shapeOutputs(result.observation, result.phase, context(result.journal, { outcome: "refused", reason: refusal.code, message: refusal.message }, record));
      throw partialStateError(message, inputs.instanceId, outputs, inputs.__provider);
    } catch (error) {
      if (!(error instanceof ExecutionError)) {
        evidence.finish({ outcome: "failed", message: (error as Error).message });
        throw error;
      }
      const record = evidence.finish({ outcome: "failed", message: error.message });
      const outputs = await observeOutputs(backend, error, (journal) => context(journal, { outcome: "failed", reason: error.cause instanceof Error ? error.cause.name : "Error", message: error.message }, record));
      const changed = (error.journal?.steps.length ?? 0) > (prior.journal?.steps.length ?? 0);
      if (!outputs || (!changed && !alwaysPartial)) throw new Error(`${error.message}\nnothing was changed; fix the cause and run pulumi up again`, { cause: error });
      throw partialStateError(`${error.message}\nthe rotation journal is saved in the stack state: run pulumi up again to resume`, inputs.instanceId, outputs, inputs.__provider);
    }
  } finally {
    keyParts.close();
  }
}

/** The outputs after a failure: re-observed when possible, else from the last observation the executor made. */
async function observeOutputs(backend: Backend, error: ExecutionError, context: (journal: Journal | undefined) => Parameters<typeof shapeOutputs>[2]): Promise<MasterKeyOutputs | undefined> {
  const observation = await observe(backend, error.lastObservation?.units.map((u) => u.id)).catch(() => error.lastObservation);
  if (!observation) return undefined;
  return shapeOutputs(observation, classify(observation), context(error.journal));
}

export async function createMasterKey(ctx: LifecycleContext, inputs: Props): Promise<{ id: string; outs: MasterKeyOutputs }> {
  const checked = inputs as unknown as CheckedInputs;
  const outs = await converge(ctx, checked, { olds: {}, journal: undefined, lastRotatedAt: null, keyAge: undefined, knownUnits: [] }, false);
  return { id: checked.instanceId, outs };
}

export async function updateMasterKey(ctx: LifecycleContext, olds: Props, news: Props): Promise<{ outs: MasterKeyOutputs }> {
  const prior = {
    olds,
    journal: storedJournal(ctx, olds.rotation),
    lastRotatedAt: typeof olds.lastRotatedAt === "string" ? olds.lastRotatedAt : null,
    keyAge: parseKeyAge(olds.keyAge),
    knownUnits: unitIdsOf(olds),
  };
  return { outs: await converge(ctx, news as unknown as CheckedInputs, prior, true) };
}

/** read — refresh: observes every unit, recomputes phase and VP. A vanished instance reads as deleted. */
export async function readMasterKey(ctx: LifecycleContext, id: string, props: Props): Promise<{ id?: string; props?: Props }> {
  const instanceId = typeof props.instanceId === "string" ? props.instanceId : id;
  try {
    return await withBackend(ctx.config, instanceId, (backend) => refreshWith(ctx, backend, id, instanceId, props), { onWait: (notice) => ctx.log(notice) });
  } catch (error) {
    if (error instanceof UnknownInstanceError) return {};
    throw error;
  }
}

async function refreshWith(ctx: LifecycleContext, backend: Backend, id: string, instanceId: string, props: Props): Promise<{ id?: string; props?: Props }> {
  const observation = await observe(backend, unitIdsOf(props));
  const phase = classify(observation);
  // A rotation seen finished is closed here too: an open journal could otherwise outlive it and, much later, look
  // like the journal of a rotation that repeats it.
  const stored = storedJournal(ctx, props.rotation);
  const now = nowOf(ctx);
  const binding = journalBinding(backend);
  const journal = phase.name === "Active" && phase.currentVp !== undefined ? completeJournal(stored, binding, phase.currentVp, now.toISOString()) : stored;
  const outputs = shapeOutputs(observation, phase, {
    instanceId,
    backend: backend.description,
    desiredVp: isVp(props.desiredVerificationPattern) ? props.desiredVerificationPattern : null,
    keyPartFiles: Array.isArray(props.keyPartFiles) ? props.keyPartFiles.map(String) : [],
    keyPartIds: Array.isArray(props.keyPartIds) ? props.keyPartIds.map(String) : [],
    journal,
    previousLastRotatedAt: typeof props.lastRotatedAt === "string" ? props.lastRotatedAt : null,
    previousKeyAge: parseKeyAge(props.keyAge),
    rotationPeriodDays: policyOf(props)?.periodDays,
    keySource: props.keySource === "recoveryUnit" ? "recoveryUnit" : "keyParts",
    generatedFor: storedGeneratedFor(props),
    binding,
    now,
    lastStep: (props.lastStep as LastStep | undefined) ?? { outcome: "ok", reason: "Refreshed", message: "" },
    // A refresh changes nothing, so it records no ceremony: the last run's record stays the one named.
    evidence: storedEvidence(props),
  });
  return { id, props: JSON.parse(JSON.stringify(outputs)) as Props };
}

/** delete — forgets the resource. A master key cannot be "deleted": registers and key storage are left alone. */
export async function deleteMasterKey(ctx: LifecycleContext, id: string): Promise<void> {
  ctx.log(`hpcs ${id}: removed from the stack only; the crypto units' master key registers and key storage were not touched (zeroizing is a manual TKE ceremony: ibmcloud tke cryptounit-zeroize)`);
}
