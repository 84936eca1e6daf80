import { createHash } from "node:crypto";
import { EMPTY_VP, isVp, parseVp, sameVp, shortVp, verificationPattern } from "../../src/model/vp";

describe("verification patterns", () => {
  test("a VP is SHA-256 of 0x01 followed by the key, with the last four bytes zeroed", () => {
    const key = Buffer.alloc(32, 0xab);
    const digest = createHash("sha256").update(Buffer.concat([Buffer.from([0x01]), key])).digest();
    digest.fill(0, 28);
    expect(verificationPattern(key)).toBe(digest.toString("hex"));
    expect(verificationPattern(key).endsWith("00000000")).toBe(true);
  });

  test.each([
    { name: "32 zero bytes", key: new Uint8Array(32), vp: "1a7dfdeaffeedac489287e85be5e9c049a2ff6470f55cf30260f553900000000" },
    { name: "bytes 0..31", key: new Uint8Array(32).map((_, i) => i), vp: "491176b0f443c65a7c7d72df47d6cbc0d04e111fb5a619f60d3e776700000000" },
  ])("the key of $name has the VP computed independently with openssl", ({ key, vp }) => {
    expect(verificationPattern(key)).toBe(vp);
  });

  test("the VP does not depend on the caller's buffer and leaves it untouched", () => {
    const key = new Uint8Array(32).fill(7);
    const vp = verificationPattern(key);
    expect(key.every((b) => b === 7)).toBe(true);
    expect(verificationPattern(new Uint8Array(32).fill(7))).toBe(vp);
  });

  test("different keys have different VPs", () => {
    expect(verificationPattern(new Uint8Array(32).fill(1))).not.toBe(verificationPattern(new Uint8Array(32).fill(2)));
  });

  test.each([
    { name: "equal", a: "ab".repeat(32), b: "ab".repeat(32), same: true, reason: "identical patterns match" },
    { name: "old firmware tail", a: "ab".repeat(28) + "00000000", b: "ab".repeat(28) + "cff42cff", same: true, reason: "only the first 28 bytes are compared" },
    { name: "differ in byte 27", a: "ab".repeat(32), b: "ab".repeat(27) + "ac" + "ab".repeat(4), same: false, reason: "a difference inside the first 28 bytes is a different key" },
  ])("$name: $reason", ({ a, b, same }) => {
    expect(sameVp(a, b)).toBe(same);
  });

  test("an Empty register's VP is 64 zeros, which no key's VP is (not even the all-zero key's)", () => {
    expect(EMPTY_VP).toBe("0".repeat(64));
    expect(sameVp(verificationPattern(new Uint8Array(32)), EMPTY_VP)).toBe(false);
  });

  test.each([
    { input: "AB".repeat(32), want: "ab".repeat(32), reason: "upper case is normalised" },
    { input: `${"ab".repeat(16)}\n${"cd".repeat(16)}`, want: "ab".repeat(16) + "cd".repeat(16), reason: "TKE prints a VP on two lines" },
    { input: "ab".repeat(31), want: undefined, reason: "31 bytes is not a VP" },
    { input: "zz".repeat(32), want: undefined, reason: "non-hex is not a VP" },
  ])("parseVp: $reason", ({ input, want }) => {
    expect(parseVp(input)).toBe(want);
  });

  test("isVp accepts only 64 lower-case hex characters", () => {
    expect(isVp("ab".repeat(32))).toBe(true);
    expect(isVp("AB".repeat(32))).toBe(false);
    expect(isVp(42)).toBe(false);
  });

  test("shortVp shows a prefix for logs", () => {
    expect(shortVp("0123456789abcdef".repeat(4))).toBe("0123456789ab…");
  });
});
