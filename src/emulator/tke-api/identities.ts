import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import type { TrustAnchor } from "../../protocol/ibm-roots";
import { encodeOa2Certificate, oaSki } from "../../protocol/oa-certificate";

/**
 * The emulated crypto modules' outbound-authentication identities: a test root (standing for IBM's CEX7P root), one
 * intermediate, and one OA key per crypto module, each module's certificate chain in the OA2 format. Kept beside the
 * simulated instances (`tke-api/identities.json`), so every emulator process on the same directory signs with the
 * same keys; the test root is written to `tke-api/test-roots.json`, the file a client names explicitly to trust it.
 * Test keys only: nothing here is a secret of anyone's.
 */
const stored = z.object({
  root: z.string(),
  intermediate: z.string(),
  modules: z.record(z.string(), z.string()),
});

export interface ModuleIdentity {
  /** 8 ASCII characters, as GET /hsms reports `serial_number` and the module ID starts. */
  readonly serial: string;
  readonly ski: string;
  /** [leaf, intermediate]: the device certificates at index 0 and 1. */
  readonly chain: readonly Uint8Array[];
  /** ECDSA P-521 over SHA-512, DER SEQ{r, s}: the module's OA signature. */
  sign(data: Uint8Array): Uint8Array;
  /** The module's certificate signed by a root nobody trusts: the emulator's fault `unknownRoot`. */
  untrustedChain(): Uint8Array[];
}

const pointOf = (key: KeyObject) => new Uint8Array(createPublicKey(key).export({ format: "der", type: "spki" }).subarray(-133));
const newKey = () => generateKeyPairSync("ec", { namedCurve: "secp521r1" }).privateKey.export({ format: "der", type: "pkcs8" }).toString("base64");
const load = (pkcs8: string) => createPrivateKey({ key: Buffer.from(pkcs8, "base64"), format: "der", type: "pkcs8" });
const p1363 = (key: KeyObject) => (data: Uint8Array) => new Uint8Array(sign("sha512", data, { key, dsaEncoding: "ieee-p1363" }));

export class OaIdentities {
  private readonly file: string;
  private readonly cache = new Map<string, ModuleIdentity>();

  constructor(private readonly simDir: string) {
    this.file = join(simDir, "tke-api", "identities.json");
  }

  /** The test root, as a client's explicit test configuration names it. */
  anchor(): TrustAnchor {
    const point = pointOf(load(this.read().root));
    return { name: "hpcs-mk emulator test root", format: "OA2", ski: oaSki(point), x: Buffer.from(point.subarray(1, 67)).toString("hex"), y: Buffer.from(point.subarray(67)).toString("hex") };
  }

  /** Writes the test root where a test configuration points (`hpcs:tkeApiTestRootsFile`); returns the file. */
  writeAnchorFile(): string {
    const file = join(this.simDir, "tke-api", "test-roots.json");
    writeFileSync(file, `${JSON.stringify([this.anchor()], null, 2)}\n`);
    return file;
  }

  /** The identity of the crypto module at `moduleKey` (`[zone].[host].[module]`), created the first time. */
  module(moduleKey: string): ModuleIdentity {
    const known = this.cache.get(moduleKey);
    if (known) return known;
    let state = this.read();
    if (!state.modules[moduleKey]) {
      state = { ...state, modules: { ...state.modules, [moduleKey]: newKey() } };
      writeFileSync(this.file, JSON.stringify(state));
    }
    const key = load(state.modules[moduleKey]);
    const intermediate = load(state.intermediate);
    const root = load(state.root);
    const leaf = encodeOa2Certificate({ point: pointOf(key), signerSki: oaSki(pointOf(intermediate)), sign: p1363(intermediate) });
    const middle = encodeOa2Certificate({ point: pointOf(intermediate), signerSki: oaSki(pointOf(root)), sign: p1363(root) });
    const identity: ModuleIdentity = {
      serial: `93${createHash("sha256").update(moduleKey).digest("hex").slice(0, 6).toUpperCase()}`,
      ski: oaSki(pointOf(key)),
      chain: [leaf, middle],
      sign: (data) => new Uint8Array(sign("sha512", data, key)),
      untrustedChain: () => {
        const stranger = load(newKey());
        return [encodeOa2Certificate({ point: pointOf(key), signerSki: oaSki(pointOf(stranger)), sign: p1363(stranger) })];
      },
    };
    this.cache.set(moduleKey, identity);
    return identity;
  }

  private read(): z.infer<typeof stored> {
    if (existsSync(this.file)) return stored.parse(JSON.parse(readFileSync(this.file, "utf8")));
    mkdirSync(join(this.simDir, "tke-api"), { recursive: true });
    const fresh = { root: newKey(), intermediate: newKey(), modules: {} };
    writeFileSync(this.file, JSON.stringify(fresh));
    return fresh;
  }
}
