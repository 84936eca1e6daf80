import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KeyPartMaterial, KeyParts, Signers, UnitRef } from "../../src/engine/port/backend";
import {
  checkKeyStorageReadable,
  createSimulatedInstance,
  editSimulatedInstance,
  openSimulator,
  SimulatedCrash,
  type CreateSimulatedInstanceOptions,
  type KeyStorageReport,
  type SimulatorBackend,
  type SimulatorOptions,
  type UnitState,
} from "../../src/backends/simulator";
import { keyPartFileRefs, openKeyPartFiles, type KeyPartRef } from "../../src/files/key-parts";
import { masterKeyVp } from "../../src/model/key-parts";
import { filesUnder } from "./files-under";
import { sealKeyPart } from "../../src/model/key-part-file";
import { createSignatureKeyFile, openSignatureKey, type SignatureKey } from "../../src/model/signature-key-file";
import type { Vp } from "../../src/model/vp";

/**
 * A simulated instance in a fresh temporary directory, with administrators (real `N.sigkey` files), key part sets
 * (real key part files, sealed with the cheapest allowed scrypt cost) and a backend opener whose crashes throw
 * `SimulatedCrash` instead of killing the test process. Reusable by any test that needs a simulator.
 */

/** The cheapest scrypt cost key part files accept: keeps tests fast. */
export const TEST_SCRYPT = { N: 2 ** 14, r: 8, p: 1 } as const;

export interface KeyPartSet {
  /** Key part files and passwords, as users declare them. */
  readonly refs: readonly KeyPartRef[];
  /** The decrypted values. */
  readonly values: readonly KeyPartMaterial[];
  /** The parts as a backend that takes their values (keyParts: material) loads them. */
  readonly material: KeyParts;
  /** The parts as a backend that opens the files itself (keyParts: opaque) loads them: paths, SHA-256s, passwords. */
  readonly files: KeyParts;
  /** The SHA-256 of each file: the declared key of an opaque backend. */
  readonly ids: readonly string[];
  /** The VP of the master key these parts make. */
  readonly vp: Vp;
}

export interface AdminFixture {
  readonly name: string;
  readonly file: string;
  readonly password: string;
  readonly key: SignatureKey;
}

export interface SimFixtureOptions {
  readonly shape?: CreateSimulatedInstanceOptions["shape"];
  /** Administrators installed in every unit. Default 2. */
  readonly admins?: number;
  /** Default: signature = revocation = min(2, admins); 0/0 (imprint mode) when `imprint`. */
  readonly thresholds?: { signature: number; revocation: number };
  readonly imprint?: boolean;
  /** Whether the instance starts with keyParts[0] as its current master key. Default true (false in imprint mode). */
  readonly initialized?: boolean;
  /** Key storage records. Default 10 (0 when uninitialized). */
  readonly records?: number;
  readonly chunkSize?: number;
  /** Key part sets to prepare; set 0 is the initial key. Default 3. */
  readonly keyPartSets?: number;
  /** Parts per set: 2 or 3. Default 2. */
  readonly partsPerKey?: number;
  /** Fresh key part files for this fixture instead of the per-process shared ones (for tests that edit them). */
  readonly freshKeyParts?: boolean;
  /** Whether all units start selected. Default true. */
  readonly selected?: boolean;
  readonly region?: string;
  /** Accept shapes HPCS does not provision (one operational unit), for the crash-point sweep. */
  readonly anyShape?: boolean;
}

export interface SimFixture {
  /** The temporary directory holding everything. */
  readonly root: string;
  /** The simulator directory inside `root`. */
  readonly dir: string;
  readonly instanceId: string;
  readonly units: readonly UnitRef[];
  readonly unitIds: readonly string[];
  readonly admins: readonly AdminFixture[];
  /** Every administrator's key. */
  readonly signers: Signers;
  readonly keyParts: readonly KeyPartSet[];
  /** A backend for the instance; crashes throw SimulatedCrash unless `onCrash` is given. */
  open(options?: Partial<Omit<SimulatorOptions, "dir" | "instanceId">>): Promise<SimulatorBackend>;
  /** DESIGN §4 invariant 1 on the instance. */
  check(): Promise<KeyStorageReport>;
  /** Writes `text` to a file in `root` and returns its path. */
  writeFile(name: string, text: string): string;
  /** A hash of every file of the instance: equal fingerprints mean nothing changed. */
  fingerprint(): string;
  /** Edits unit `index` of the persisted state directly (for states no command sequence produces). */
  editUnit(index: number, edit: (unit: UnitState) => UnitState): Promise<void>;
  cleanup(): void;
}

export function throwingCrash(point: string): never {
  throw new SimulatedCrash(point);
}

export function makeKeyPartSet(root: string, label: string, parts: number): KeyPartSet {
  const refs: KeyPartRef[] = [];
  const material: KeyPartMaterial[] = [];
  for (let i = 0; i < parts; i++) {
    const value = new Uint8Array(randomBytes(32));
    const password = `kp-${label}-${i}-${randomBytes(4).toString("hex")}`;
    const file = join(root, `${label}-part${i + 1}.json`);
    writeFileSync(file, JSON.stringify(sealKeyPart(value, password, { description: `${label} part ${i + 1}`, cost: TEST_SCRYPT })));
    refs.push({ file, password });
    material.push({ file, value });
  }
  const files = keyPartFileRefs(refs);
  return { refs, values: material, material: { kind: "material", parts: material }, files: { kind: "files", files }, ids: files.map((f) => f.sha256), vp: masterKeyVp(material.map((m) => m.value)) };
}

export function makeAdmin(root: string, index: number): AdminFixture {
  const password = `admin-${index}-${randomBytes(4).toString("hex")}`;
  const file = join(root, `${index}.sigkey`);
  const sealed = createSignatureKeyFile(password);
  writeFileSync(file, JSON.stringify(sealed));
  return { name: `ADMIN${index}`, file, password, key: openSignatureKey(sealed, password, file) };
}

const shared = new Map<number, KeyPartSet[]>();
let sharedRoot: string | undefined;

/**
 * Key part sets made once per process and reused by every fixture: sealing a part costs a scrypt run, and tests
 * only read these files. Deleted when the process exits.
 */
export function sharedKeyPartSets(count: number, partsPerKey: number): KeyPartSet[] {
  if (!sharedRoot) {
    const root = mkdtempSync(join(tmpdir(), "hpcs-keyparts-"));
    sharedRoot = root;
    process.once("exit", () => rmSync(root, { recursive: true, force: true }));
  }
  const sets = shared.get(partsPerKey) ?? [];
  while (sets.length < count) sets.push(makeKeyPartSet(sharedRoot, `shared${partsPerKey}-key${sets.length}`, partsPerKey));
  shared.set(partsPerKey, sets);
  return sets.slice(0, count);
}

/** A state file's content without the simulator's own machinery (the lease, the fencing generation). */
function instanceContent(text: string): string {
  const { lease: _lease, generation: _generation, ...content } = JSON.parse(text) as Record<string, unknown>;
  return JSON.stringify(content);
}

/**
 * sha256 over every file below `dir` (names and contents), ignoring the lock, and the lease and fencing generation in
 * the state file: equal fingerprints mean no unit, register, record or fault changed.
 */
export function fingerprint(dir: string): string {
  const hash = createHash("sha256");
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name === ".lock") continue;
      const path = join(d, e.name);
      hash.update(path);
      if (e.isDirectory()) walk(path);
      else if (e.name === "instance.json") hash.update(instanceContent(readFileSync(path, "utf8")));
      else hash.update(readFileSync(path));
    }
  };
  walk(dir);
  return hash.digest("hex");
}

export async function createSimFixture(options: SimFixtureOptions = {}): Promise<SimFixture> {
  const root = mkdtempSync(join(tmpdir(), "hpcs-sim-"));
  const dir = join(root, ".hpcs-sim");
  try {
    const imprint = options.imprint ?? false;
    const adminCount = options.admins ?? 2;
    const admins = Array.from({ length: adminCount }, (_, i) => makeAdmin(root, i + 1));
    const sets = options.keyPartSets ?? 3;
    const partsPerKey = options.partsPerKey ?? 2;
    const keyParts = options.freshKeyParts
      ? Array.from({ length: sets }, (_, i) => makeKeyPartSet(root, `key${i}`, partsPerKey))
      : sharedKeyPartSets(sets, partsPerKey);
    const initialized = options.initialized ?? !imprint;
    const both = Math.min(2, adminCount);
    const created = await createSimulatedInstance(dir, {
      shape: options.shape,
      region: options.region,
      admins: admins.map((a) => ({ name: a.name, publicKey: a.key.publicKey })),
      thresholds: imprint ? { signature: 0, revocation: 0 } : (options.thresholds ?? { signature: both, revocation: both }),
      masterKey: initialized ? { keyPartValues: keyParts[0].values.map((m) => m.value) } : undefined,
      records: initialized ? (options.records ?? 10) : 0,
      chunkSize: options.chunkSize,
      selected: options.selected ?? true,
      anyShape: options.anyShape,
    });
    return {
      root,
      dir,
      instanceId: created.instanceId,
      units: created.units,
      unitIds: created.units.map((u) => u.id),
      admins,
      signers: { keys: admins.map((a) => a.key) },
      keyParts,
      open: (more = {}) => openSimulator({ dir, instanceId: created.instanceId, onCrash: throwingCrash, openKeyPartFiles, ...more }),
      check: () => checkKeyStorageReadable(dir, created.instanceId),
      writeFile: (name, text) => {
        const file = join(root, name);
        writeFileSync(file, text);
        return file;
      },
      fingerprint: () => fingerprint(join(dir, "instances", created.instanceId)),
      editUnit: (index, edit) => editSimulatedInstance(dir, created.instanceId, (state) => ({ ...state, units: state.units.map((u, i) => (i === index ? edit(u) : u)) })),
      // Every evidence record a test wrote here is searched for the fixture's secrets before it goes.
      cleanup: () => {
        const secrets = [...keyParts.flatMap((set) => [...set.refs.map((r) => r.password), ...set.values.flatMap((m) => [Buffer.from(m.value).toString("hex"), Buffer.from(m.value).toString("base64")])]), ...admins.map((a) => a.password)];
        const records = filesUnder(join(dir, "evidence")).map((f) => readFileSync(f, "utf8"));
        rmSync(root, { recursive: true, force: true });
        const leaked = secrets.filter((secret) => records.some((text) => text.includes(secret)));
        if (leaked.length > 0) throw new Error(`${leaked.length} secret value(s) of the fixture appear in an evidence record`);
      },
    };
  } catch (e) {
    rmSync(root, { recursive: true, force: true });
    throw e;
  }
}

/** Loads and commits `set` on every unit: the instance ends in phase Committed. */
export async function loadAndCommit(backend: SimulatorBackend, fixture: SimFixture, set: KeyPartSet): Promise<void> {
  for (const unit of fixture.unitIds) await backend.loadNew({ units: [unit], keyParts: set.material, expectedVp: set.vp }, fixture.signers);
  for (const unit of fixture.unitIds) await backend.commitNew({ units: [unit], expectedVp: set.vp }, fixture.signers);
}

/** A full rotation to `set`, the way the engine runs it: load, commit, rewrap, set immediate everywhere. */
export async function rotate(backend: SimulatorBackend, fixture: SimFixture, set: KeyPartSet): Promise<void> {
  await loadAndCommit(backend, fixture, set);
  await backend.rewrap(set.vp, fixture.signers);
  for (const unit of fixture.unitIds) await backend.setImmediate({ units: [unit], expectedVp: set.vp }, fixture.signers);
}
