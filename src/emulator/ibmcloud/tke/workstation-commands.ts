import { randomBytes } from "node:crypto";
import { createSignatureKeyFile } from "../../../model/signature-key-file";
import { ask, line } from "../terminal";
import { TEXTS } from "../texts";
import { fail, type TkeContext } from "./common";
import { printKeyParts, printSigkeys } from "./views";
import { addKeyPart, addSigkey, listKeyParts, listSigkeys, openSigkey, removeKeyPart, selectedSigkeys, selectSigkeys } from "./workstation";

/** Two password prompts that must agree (`Re-enter the password to confirm:`). */
function newPassword(message: string): string {
  const password = ask(message, { hidden: true });
  const again = ask(TEXTS.reenterPassword.text, { hidden: true });
  if (password !== again) fail(TEXTS.passwordsDiffer.text);
  if (password.length === 0) fail(TEXTS.passwordsDiffer.text);
  return password;
}

export async function sigkeys(ctx: TkeContext): Promise<void> {
  const keys = listSigkeys(ctx.tkeDir);
  if (keys.length === 0) {
    line(TEXTS.noSigkeys.text);
    line();
    line(TEXTS.sigkeyAddHint.text);
    return;
  }
  printSigkeys(keys, selectedSigkeys(ctx.tkeDir));
}

export async function sigkeyAdd(ctx: TkeContext): Promise<void> {
  line();
  const name = ask(TEXTS.adminName.text);
  const password = newPassword(TEXTS.sigkeyPassword.text);
  addSigkey(ctx.tkeDir, createSignatureKeyFile(password), name.slice(0, 30));
  line("OK");
  line(TEXTS.sigkeyCreated.text);
  line(TEXTS.availableSigkeys.text);
  line();
  printSigkeys(listSigkeys(ctx.tkeDir), selectedSigkeys(ctx.tkeDir));
}

/** `sigkey-sel`: the keys, the prompt, then each chosen key's password, checked (research §2.12). */
export async function sigkeySel(ctx: TkeContext): Promise<void> {
  const keys = listSigkeys(ctx.tkeDir);
  if (keys.length === 0) fail(TEXTS.noSigkeys.text);
  printSigkeys(keys, selectedSigkeys(ctx.tkeDir));
  line();
  const chosen = ask(TEXTS.selectSigkeys.text)
    .split(/\s+/)
    .filter((v) => v.length > 0)
    .map((v) => keys.find((k) => String(k.keynum) === v) ?? fail(`'${v}' is not a valid KEYNUM.`));
  for (const key of chosen) {
    if (!openSigkey(key, ask(TEXTS.sigkeyKeynumPassword(key.keynum).text, { hidden: true }))) fail(TEXTS.invalidPassword.text);
  }
  const keynums = chosen.map((k) => k.keynum);
  selectSigkeys(ctx.tkeDir, keynums);
  line("OK");
  line(keynums.length === 1 ? TEXTS.madeCurrent(keynums[0]).text : TEXTS.madeCurrentMany(keynums).text);
}

export async function mks(ctx: TkeContext): Promise<void> {
  const parts = listKeyParts(ctx.tkeDir);
  if (parts.length === 0) {
    line(TEXTS.noKeyParts.text);
    return;
  }
  printKeyParts(parts);
}

/** `mk-add --random` or `mk-add --value` (research §2.5, §2.11). */
export async function mkAdd(ctx: TkeContext, source: "random" | "value"): Promise<void> {
  line();
  let value: Uint8Array;
  if (source === "value") {
    const hex = ask(TEXTS.keyPartValue.text, { hidden: true });
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) fail(TEXTS.badKeyPartValue.text);
    value = new Uint8Array(Buffer.from(hex, "hex"));
  } else {
    value = new Uint8Array(randomBytes(32));
  }
  try {
    const description = ask(TEXTS.keyPartDescription.text);
    const password = newPassword(TEXTS.keyPartPassword.text);
    addKeyPart(ctx.tkeDir, value, description, password);
  } finally {
    value.fill(0);
  }
  line("OK");
  line(TEXTS.keyPartCreated.text);
  line(TEXTS.availableKeyParts.text);
  line();
  printKeyParts(listKeyParts(ctx.tkeDir));
}

export async function mkRm(ctx: TkeContext): Promise<void> {
  const parts = listKeyParts(ctx.tkeDir);
  if (parts.length === 0) fail(TEXTS.noKeyParts.text);
  printKeyParts(parts);
  line();
  const answer = ask(TEXTS.keyPartRemoveKeynum.text);
  removeKeyPart(parts.find((p) => String(p.keynum) === answer) ?? fail(`'${answer}' is not a valid KEYNUM.`));
  line("OK");
  line(TEXTS.keyPartRemoved.text);
}
