/**
 * A require hook that lets a plain `node` child process load the TypeScript sources: each `.ts` file is transpiled
 * to CommonJS on load (no type checking; Jest and tsc do that). Used by tests that spawn real processes:
 * `node -r ./tests/helpers/register-ts.js tests/…/child.ts`.
 *
 * Transpiled output is cached in the OS temp directory by content hash, so children after the first start without
 * loading the TypeScript compiler at all.
 */
const { createHash } = require("node:crypto");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const CACHE = path.join(os.tmpdir(), "hpcs-mk-ts-cache");
let ts;

function transpile(source, filename) {
  ts = ts || require("typescript");
  const compilerOptions = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, inlineSourceMap: true };
  return ts.transpileModule(source, { compilerOptions, fileName: filename }).outputText;
}

require.extensions[".ts"] = function loadTypeScript(module, filename) {
  const source = fs.readFileSync(filename, "utf8");
  const key = createHash("sha256").update(filename).update("\0").update(source).digest("hex");
  const cached = path.join(CACHE, `${key}.js`);
  let output;
  try {
    output = fs.readFileSync(cached, "utf8");
  } catch {
    output = transpile(source, filename);
    try {
      fs.mkdirSync(CACHE, { recursive: true });
      const temp = `${cached}.${process.pid}.tmp`;
      fs.writeFileSync(temp, output);
      fs.renameSync(temp, cached);
    } catch {
      // A cache that cannot be written only costs time.
    }
  }
  module._compile(output, filename);
};
