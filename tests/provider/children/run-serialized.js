// Loads a serialized provider the way the dynamic provider host does (require-from-string, cwd = the project) in a
// fresh process that never saw the provider's source, then drives configure, check, create, read, update.
const requireFromString = require("../../helpers/require-from-string");
const { provider: text } = JSON.parse(require("node:fs").readFileSync(process.env.PROVIDER_FILE, "utf8"));

async function main() {
  const provider = requireFromString(text).handler();
  const config = { "hpcs:simulatorDir": process.env.SIM_DIR };
  await provider.configure({ config: { get: (key) => config[key] } });
  const inputs = { ...JSON.parse(process.env.MASTERKEY_INPUTS), __provider: text };
  const checked = await provider.check({}, inputs);
  if (checked.failures.length) throw new Error(JSON.stringify(checked.failures));
  const created = await provider.create(checked.inputs);
  const read = await provider.read(created.id, { ...created.outs, __provider: text });
  const next = await provider.check(inputs, { ...JSON.parse(process.env.MASTERKEY_NEXT_INPUTS), __provider: text });
  const diff = await provider.diff(created.id, { ...read.props, __provider: text }, next.inputs);
  const updated = await provider.update(created.id, { ...read.props, __provider: text }, next.inputs);
  process.stdout.write("\n" + JSON.stringify({ created, read, diff, updated }));
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
