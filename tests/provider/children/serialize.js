// Serializes the MasterKey provider exactly as a Pulumi program does: builds a MasterKey under @pulumi/pulumi's
// mocks and captures the `__provider` text the engine would store. Runs in a plain node process with cwd = a
// project where the packed package is installed. Prints the text as JSON on stdout.
const pulumi = require(process.env.PULUMI_SDK);

let captured;
pulumi.runtime.setMocks(
  {
    newResource: (args) => {
      captured = args.inputs.__provider;
      return { id: "mock", state: args.inputs };
    },
    call: () => ({}),
  },
  "project",
  "stack",
  false,
);

const { MasterKey } = require("pulumi-hpcs-masterkey");
const inputs = JSON.parse(process.env.MASTERKEY_INPUTS);
const mk = new MasterKey("mk", inputs);
mk.urn.apply(() => {
  setTimeout(() => process.stdout.write(JSON.stringify({ provider: captured })), 50);
});
