import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseCompare, parseContext, parseKeyParts, parsePluginVersion, parseSigkeys, parseUnitListing, outputLines, TkeOutputError } from "../../src/backends/tke-cli/parse";
import { EMPTY_VP } from "../../src/model/vp";

/** Every parser on every layout of tests/fixtures/tke-cli (see its README): the same facts from each. */
const LAYOUTS = ["2021", "2022", "2025-terminal"];
const fixture = (layout: string, name: string) => readFileSync(join(__dirname, "../fixtures/tke-cli", layout, `${name}.txt`), "utf8");

const A = "4dd3b774-ddce-4b20-bb12-fd01d84fb92f";
const B = "8a1f0c42-9d2e-4e3b-a5b6-1c2d3e4f5a6b";
const VP1 = "7a6ba030d18a0bc1c80abd5931bff8e310154b88430968ee534ad01413dda886";
const VP2 = "ce7b7d2198de8f46195667e725b593fccfbc10e9c211d9bf80b358c2513ac18c";
const SKI1 = "754adadbd731a5344c2e606b51993c1d3f0e9b7a2c4d6e8f0a1b2c3d4e5f6a7b";
const SKI2 = "0a1b2c3d4e5f60718293a4b5c6d7e8f90123456789abcdef0123456789abcdef";

describe.each(LAYOUTS)("the TKE CLI's output in the %s layout", (layout) => {
  test("cryptounits: every instance of the resource group, each unit with its number, selection, type and location", () => {
    const listing = parseUnitListing(fixture(layout, "cryptounits"));
    expect(listing.map((i) => i.instanceId)).toEqual([A, B]);
    expect(listing[0].units).toEqual([
      { num: 1, selected: true, type: "operational", location: "[us-south].[AZ2-CS5].[02].[06]" },
      { num: 2, selected: true, type: "operational", location: "[us-south].[AZ3-CS9].[01].[15]" },
      { num: 3, selected: false, type: "recovery", location: "[us-south].[AZ3-CS9].[01].[14]" },
      { num: 4, selected: false, type: "recovery", location: "[us-east].[AZ1-CS1].[01].[07]" },
    ]);
    expect(listing[1].units.map((u) => u.num)).toEqual([5, 6]);
    expect(parseContext(outputLines(fixture(layout, "cryptounits")))).toEqual({
      apiEndpoint: "https://cloud.ibm.com",
      region: "us-south",
      account: "Cloud-Native Squad (0f0adc9ace07413f96e2214f4bc0c40b)",
      resourceGroup: "appdev-cloud-native",
    });
  });

  test("cryptounit-compare: thresholds, administrators (names with spaces), both registers with their patterns joined", () => {
    const units = parseCompare(fixture(layout, "cryptounit-compare")).get(A);
    expect(units).toEqual([
      { num: 1, thresholds: { signature: 2, revocation: 1 }, admins: [{ name: "john smith", ski: SKI1 }, { name: "jane doe", ski: SKI2 }], new: { status: "Full Committed", vp: VP2 }, current: { status: "Valid", vp: VP1 } },
      { num: 2, thresholds: { signature: 2, revocation: 1 }, admins: [{ name: "john smith", ski: SKI1 }, { name: "jane doe", ski: SKI2 }], new: { status: "Full Uncommitted", vp: VP2 }, current: { status: "Valid", vp: VP1 } },
    ]);
  });

  test("cryptounit-compare in imprint mode: no administrators, Empty registers read as the empty pattern", () => {
    expect(parseCompare(fixture(layout, "cryptounit-compare-imprint")).get(A)).toEqual([
      { num: 1, thresholds: { signature: 0, revocation: 0 }, admins: [], new: { status: "Empty", vp: EMPTY_VP }, current: { status: "Empty", vp: EMPTY_VP } },
      { num: 2, thresholds: { signature: 0, revocation: 0 }, admins: [], new: { status: "Empty", vp: EMPTY_VP }, current: { status: "Empty", vp: EMPTY_VP } },
    ]);
  });

  test("the register tables a command prints after OK (cryptounit-mk-setimm): no thresholds, both registers", () => {
    const units = parseCompare(fixture(layout, "cryptounit-mk-setimm")).get(A);
    expect(units?.map((u) => [u.num, u.new?.status, u.current?.vp, u.thresholds])).toEqual([
      [1, "Empty", VP1, undefined],
      [2, "Empty", VP1, undefined],
    ]);
  });

  test("mks and sigkeys: KEYNUMs with their descriptions, part patterns and SKI prefixes", () => {
    expect(parseKeyParts(fixture(layout, "mks"))).toEqual([
      { keynum: 1, description: "First key", vp: "34c73048e81a08b69243dae23e8943bb8874261d58bca67c4d308071ff2b6462" },
      { keynum: 2, description: "second key", vp: VP2 },
    ]);
    expect(parseSigkeys(fixture(layout, "sigkeys"))).toEqual([
      { keynum: 1, description: "john smith", skiPrefix: SKI1.slice(0, 30) },
      { keynum: 2, description: "jane doe", skiPrefix: SKI2.slice(0, 30) },
    ]);
    expect(parsePluginVersion(fixture(layout, "plugin-show"))).toBe("1.2.3");
  });
});

describe("what the parsers refuse rather than guess", () => {
  const listing = fixture("2021", "cryptounits");

  test.each([
    { name: "an instance listed twice", text: listing.replace(`SERVICE INSTANCE: ${B}`, `SERVICE INSTANCE: ${A}`), message: /listed twice/ },
    { name: "a crypto unit number listed twice", text: listing.replace(/^5 {17}/m, "1                 "), message: /CRYPTO UNIT NUM is listed twice/ },
    { name: "a row that is not a unit", text: listing.replace("[us-south].[AZ2-CS5].[02].[06]", "somewhere"), message: /crypto unit row was not understood/ },
    { name: "a table with no instance above it", text: listing.replace(`SERVICE INSTANCE: ${A}\n`, ""), message: /no SERVICE INSTANCE line above it/ },
  ])("cryptounits: $name", ({ text, message }) => {
    expect(() => parseUnitListing(text)).toThrow(TkeOutputError);
    expect(() => parseUnitListing(text)).toThrow(message);
  });

  test("a register row whose pattern is cut off", () => {
    const compare = fixture("2021", "cryptounit-compare").replace(/^ {27}10154b88430968ee534ad01413dda886 {3}\n(?=\n)/m, "");
    expect(() => parseCompare(compare)).toThrow(/cut off|not understood/);
  });

  test("an unknown register status", () => {
    expect(() => parseCompare(fixture("2021", "cryptounit-compare").replace("Full Committed", "Half Committed"))).toThrow(/row of NEW MASTER KEY REGISTER was not understood/);
  });
});
