import { Executor } from "../src/engine/executor";
import { observe } from "../src/engine/observe";
import { openSigners } from "../src/files/signature-keys";
import { createTkeFixture } from "../tests/helpers/tke-fixture";
import type { Shape } from "./rotation";
import { CLI_WORDS } from "../src/cli/shell-words";

/**
 * A rotation and a refresh through the TKE CLI backend, against the ibmcloud emulator's processes over a real
 * pseudo-terminal: how many `ibmcloud` processes each takes, and how long. Each process is a Node.js start here and a
 * network round trip on IBM Cloud, so the count is what decides a real run's time.
 *
 * The bound for a rotation is IBM's documented manual ceremony (research/tke-domain.md §4.1–4.2: login, cryptounits,
 * cryptounit-add, sigkey-sel, mks, cryptounit-mk-load, -commit, -rotate) plus one confirming read after each of the
 * three register commands. A read is two processes (a fresh `cryptounits` and `cryptounit-compare`), because a CRYPTO
 * UNIT NUM is valid only for the listing it comes from (research/real-backends.md §2). Two things no person types are
 * added, each named: the plug-in version check (`plugin show tke`), and one `mks` per key part file after the first,
 * since only the listing right after a file is added tells which KEYNUM it got. A refresh may take at most two
 * processes beyond the login and the version check: the listing with the selection, and `cryptounit-compare`.
 */
export const MANUAL_CEREMONY = ["login", "cryptounits", "cryptounit-add", "sigkey-sel", "mks", "cryptounit-mk-load", "cryptounit-mk-commit", "cryptounit-mk-rotate"] as const;
export const REGISTER_COMMANDS = 3;
export const READ_PROCESSES = 2;
export const SETUP = ["login", "plugin"] as const;

export function rotationBound(keyPartFiles: number): number {
  return MANUAL_CEREMONY.length + REGISTER_COMMANDS * READ_PROCESSES + 1 + (keyPartFiles - 1);
}

export interface TkeCliFigures {
  readonly rotationMs: number;
  readonly rotationProcesses: number;
  /** The processes of one rotation, by `tke` command (login and plugin show under their own names). */
  readonly byCommand: Readonly<Record<string, number>>;
  readonly refreshMs: number;
  readonly refreshProcesses: number;
  /** The refresh's processes beyond the login and the version check. */
  readonly refreshReads: number;
  readonly keyPartFiles: number;
  /** Median wall time of one `ibmcloud` process of the emulator, start to exit. */
  readonly processMs: number;
}

export async function measureTkeCli(shape: Shape): Promise<TkeCliFigures> {
  const fixture = await createTkeFixture({ shape: shape.units, anyShape: true, admins: 2, records: 200 });
  try {
    const signers = openSigners(fixture.sim.admins.map((a) => ({ file: a.file, password: a.password })));
    const rotationStart = performance.now();
    const backend = await fixture.open();
    try {
      const result = await new Executor({
        backend,
        desired: { key: { kind: "files", ids: fixture.ibmKeyParts.ids }, words: CLI_WORDS, signerSkis: signers.keys.map((k) => k.ski) },
        material: { keyParts: fixture.ibmKeyParts.files, signers },
        journal: undefined,
        persist: () => undefined,
        newRotationId: () => "bench-tke-cli",
      }).run();
      if (result.outcome !== "done") throw new Error(`the TKE CLI rotation on ${shape.description} ended ${result.outcome}`);
    } finally {
      await backend.close?.();
    }
    const rotationMs = performance.now() - rotationStart;
    const rotation = [...fixture.transcripts];
    const byCommand: Record<string, number> = {};
    for (const t of rotation) {
      const name = t.command.replace(/^ibmcloud (tke )?/, "").split(" ")[0];
      byCommand[name] = (byCommand[name] ?? 0) + 1;
    }

    const refreshStart = performance.now();
    const reader = await fixture.open();
    try {
      await observe(reader);
    } finally {
      await reader.close?.();
    }
    const refreshMs = performance.now() - refreshStart;
    const refresh = fixture.transcripts.slice(rotation.length);
    const setup = (t: { command: string }) => SETUP.some((name) => t.command.startsWith(`ibmcloud ${name}`));
    const durations = fixture.transcripts.map((t) => Date.parse(t.endedAt) - Date.parse(t.startedAt)).sort((a, b) => a - b);
    return {
      rotationMs,
      rotationProcesses: rotation.length,
      byCommand,
      refreshMs,
      refreshProcesses: refresh.length,
      refreshReads: refresh.filter((t) => !setup(t)).length,
      keyPartFiles: fixture.ibmKeyParts.files.files.length,
      processMs: durations[Math.floor(durations.length / 2)],
    };
  } finally {
    fixture.cleanup();
  }
}
