/** Terminal emphasis. Colour only on a terminal and only when NO_COLOR is unset (https://no-color.org). */
export interface Style {
  ok(text: string): string;
  bad(text: string): string;
  warn(text: string): string;
  bold(text: string): string;
  dim(text: string): string;
}

const sgr = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
const plainText = (text: string) => text;

export const plain: Style = { ok: plainText, bad: plainText, warn: plainText, bold: plainText, dim: plainText };
const coloured: Style = { ok: sgr(32, 39), bad: sgr(31, 39), warn: sgr(33, 39), bold: sgr(1, 22), dim: sgr(2, 22) };

export function styleFor(stream: { readonly isTTY?: boolean }, env: NodeJS.ProcessEnv): Style {
  return stream.isTTY === true && !env.NO_COLOR ? coloured : plain;
}
