import { hasUnprintable, printable } from "../../src/format/printable";

describe("text from files shown on a terminal", () => {
  test.each([
    { name: "an escape sequence that would clear the screen", text: "part \u001b[2J one", shown: "part \\u{1b}[2J one" },
    { name: "a NUL and a carriage return that would hide what came before", text: "a\u0000b\rc", shown: "a\\u{0}b\\u{d}c" },
    { name: "a C1 control (8-bit CSI)", text: "x\u009b31my", shown: "x\\u{9b}31my" },
    { name: "a right-to-left override (Trojan Source)", text: "admin\u202Enimda", shown: "admin\\u{202e}nimda" },
    { name: "an isolate and an Arabic letter mark", text: "\u2066a\u2069\u061c", shown: "\\u{2066}a\\u{2069}\\u{61c}" },
  ])("escapes $name", ({ text, shown }) => {
    expect(hasUnprintable(text)).toBe(true);
    expect(printable(text)).toBe(shown);
  });

  test("leaves ordinary text, accents and other scripts alone", () => {
    const text = "clé de chiffrement — 鍵 — ключ";
    expect(hasUnprintable(text)).toBe(false);
    expect(printable(text)).toBe(text);
  });
});
