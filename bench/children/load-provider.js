// Loads a serialized provider the way the dynamic provider host's getProvider does (require-from-string with
// cwd = the project, then `handler()`, then `configure`), in a fresh process that never saw the provider's source.
// Prints {"deserializeMs", "loadMs"} as JSON: deserialize = compile + handler(); load = that + configure, which
// requires the package's runtime module.
const requireFromString = require("../../tests/helpers/require-from-string");
const { readFileSync } = require("node:fs");

const { provider: text } = JSON.parse(readFileSync(process.env.PROVIDER_FILE, "utf8"));


async function main() {
  const started = performance.now();
  const provider = requireFromString(text).handler();
  const deserialized = performance.now();
  await provider.configure({ config: { get: () => undefined } });
  const loaded = performance.now();
  process.stdout.write(JSON.stringify({ deserializeMs: deserialized - started, loadMs: loaded - started }));
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
