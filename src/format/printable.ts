/**
 * Characters a terminal acts on instead of showing: C0 and C1 controls (escape sequences move the cursor, recolour
 * or retitle the screen, a NUL or a carriage return hides what came before) and the Unicode bidirectional formatting
 * characters (they reorder what a person reads, CVE-2021-42574 "Trojan Source").
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/** Whether `text` holds a character `printable` would escape. */
export function hasUnprintable(text: string): boolean {
  return new RegExp(UNPRINTABLE.source, "u").test(text);
}

/**
 * printable — text that came from a file or a service (a key part's description, an administrator's name), made
 * safe to show: each control or bidirectional formatting character becomes a visible `\u{…}` escape.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u{${c.codePointAt(0)?.toString(16)}}`);
}
