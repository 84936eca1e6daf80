// requireFromString — compiles a serialized provider the way @pulumi/pulumi's dynamic provider host does
// (the require-from-string package): an anonymous module whose `require` resolves from the working directory,
// which Pulumi sets to the project. Shared by the serialized-provider test and the bench.
const Module = require("node:module");

module.exports = function requireFromString(code) {
  const m = new Module("", null);
  m.filename = "";
  m.paths = Module._nodeModulePaths(process.cwd());
  m._compile(code, "");
  return m.exports;
};
