import { InputError } from "../../src/model/errors";
import { combineKeyParts, masterKeyVp } from "../../src/model/key-parts";
import { verificationPattern } from "../../src/model/vp";

const part = (byte: number) => new Uint8Array(32).fill(byte);

describe("combining key parts", () => {
  test("the master key is the XOR of two parts", () => {
    expect(Buffer.from(combineKeyParts([part(0x0f), part(0xf0)]))).toEqual(Buffer.alloc(32, 0xff));
  });

  test("the master key is the XOR of three parts", () => {
    expect(Buffer.from(combineKeyParts([part(0x01), part(0x02), part(0x04)]))).toEqual(Buffer.alloc(32, 0x07));
  });

  test("the order of the parts does not matter", () => {
    const a = new Uint8Array(32).map((_, i) => i);
    const b = new Uint8Array(32).map((_, i) => 255 - i * 3);
    expect(combineKeyParts([a, b])).toEqual(combineKeyParts([b, a]));
  });

  test("the parts are left unchanged", () => {
    const a = part(0x11);
    combineKeyParts([a, part(0x22)]);
    expect(a).toEqual(part(0x11));
  });

  test.each([
    { name: "one part", parts: [part(1)], field: "keyParts" },
    { name: "four parts", parts: [part(1), part(2), part(3), part(4)], field: "keyParts" },
    { name: "a short part", parts: [part(1), new Uint8Array(31)], field: "keyParts[1]" },
    { name: "a long part", parts: [new Uint8Array(33), part(1)], field: "keyParts[0]" },
  ])("$name is refused with an InputError naming $field", ({ parts, field }) => {
    expect(() => combineKeyParts(parts)).toThrow(InputError);
    try {
      combineKeyParts(parts);
    } catch (e) {
      expect((e as InputError).field).toBe(field);
    }
  });

  test("masterKeyVp is the VP of the combined key", () => {
    expect(masterKeyVp([part(0x0f), part(0xf0)])).toBe(verificationPattern(part(0xff)));
  });
});
