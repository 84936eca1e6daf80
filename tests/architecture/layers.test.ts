import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/**
 * The layers of DESIGN §2, checked on the import statements: the engine owns its port and imports no backend, shell or
 * file access; backends implement the port and import no shell and not the composition root; only the composition
 * root opens a backend from configuration, and the shells go through it.
 */
const SRC = join(__dirname, "../../src");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? sources(path) : entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** The top-level part of src/ a file or import belongs to: `engine`, `backends`, `provider`, … */
const layerOf = (file: string) => relative(SRC, file).split("/")[0].replace(/\.ts$/, "");

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  // `… from "x"`, a side-effect `import "x"`, `import("x")` and `require("x")`.
  const specifiers = [...text.matchAll(/(?:from\s+|import\s+|import\(\s*|require\(\s*)"(\.[^"]+)"/g)].map((m) => m[1]);
  return specifiers.map((specifier) => resolve(dirname(file), specifier));
}

/**
 * What each layer must not import, as paths under src/. Backends may use the file layer's atomic writes and bounded
 * reads for their own state, but never read the user's key part or signature key files: shells open those.
 */
const ENGINE_BEYOND_PORT = readdirSync(join(SRC, "engine"))
  .filter((name) => name !== "port")
  .map((name) => `engine/${name.replace(/\.ts$/, "")}`);

const FORBIDDEN: Readonly<Record<string, readonly string[]>> = {
  // IBM's wire formats, pure: encoders, decoders and signature checks, used by the TKE API backend and its emulator.
  protocol: ["model", "engine", "backends", "compose", "provider", "cli", "files", "emulator", "resource", "runtime"],
  model: ["engine", "backends", "compose", "provider", "cli", "files", "resource", "runtime"],
  engine: ["backends", "compose", "provider", "cli", "files", "resource", "runtime"],
  // A backend knows the engine only by its port.
  backends: ["compose", "provider", "cli", "emulator", "files/key-parts", "files/signature-keys", "resource", "runtime", ...ENGINE_BEYOND_PORT],
  files: ["backends", "compose", "provider", "cli", "emulator"],
  compose: ["provider", "cli", "emulator"],
  // The ibmcloud emulator stands for IBM's CLI over the simulator: it shares no code with the driver it tests.
  emulator: ["backends/tke-cli", "backends/tke-api", "compose", "provider", "cli", "files", "resource", "runtime", ...ENGINE_BEYOND_PORT],
};

describe("the layers of DESIGN §2", () => {
  test("no file imports from a layer it must not depend on", () => {
    const violations = sources(SRC).flatMap((file) => {
      const forbidden = FORBIDDEN[layerOf(file)] ?? [];
      return importsOf(file)
        .filter((target) => forbidden.some((path) => relative(SRC, target) === `${path}.ts` || relative(SRC, target).startsWith(`${path}/`) || layerOf(target) === path))
        .map((target) => `${relative(SRC, file)} imports ${relative(SRC, target)}`);
    });
    expect(violations).toEqual([]);
  });

  test("classify and plan stay pure: no Node module, no clock, no randomness", () => {
    const impure = ["classify.ts", "plan.ts", "rewrap-evidence.ts", "project.ts"].filter((name) => /from\s+"node:|Date\.now|Math\.random|process\./.test(readFileSync(join(SRC, "engine", name), "utf8")));
    expect(impure).toEqual([]);
  });

  test("only the composition root opens a backend from configuration; the shells open backends through it", () => {
    // The emulator runs the simulator as the service behind IBM's CLI: it is not a shell of the engine.
    const opening = sources(SRC).filter((file) => /open(Simulator|TkeCli|TkeApi)\(/.test(readFileSync(file, "utf8")) && !["backends", "compose", "emulator"].includes(layerOf(file)));
    expect(opening.map((f) => relative(SRC, f))).toEqual([]);
  });
});
