/**
 * IBM's texts for the EP11 errors a crypto unit returns, keyed `3-<return code>-<reason code>` or `3-<return code>--`
 * as IBM's SDK looks them up (`ep11cmds/tkeHTPErrors.go` at e023c2e: the exact reason first, then the code alone).
 * Only the codes a master key ceremony meets are listed; an unlisted code is reported by its numbers.
 */
const TEXTS: Readonly<Record<string, string>> = {
  "3-3--": "The domain specified for the command is invalid.",
  "3-32--": "Invalid data was provided for the command.  The format or value of the data is incorrect.",
  "3-32-32": "Administrator not found.  The administrator does not exist on the target domain or crypto module, or the supplied Subject Key Identifier (SKI) has incorrect length.",
  "3-33--": "Command arguments were not provided, or were provided when none were expected.",
  "3-80-52": "Operation not allowed.  The permissions for this domain prohibit loading random master key values.",
  "3-80-131": "Operation not allowed.  The permissions for this domain prohibit exporting master master keys.",
  "3-84--": "The requested function is not supported on the host crypto module.",
  "3-96--": "A requested key, certificate, or audit log record was not found.",
  "3-101-48":
    "Commit failed.  The supplied verification pattern of the new master key does not match the verification pattern of the key in the register.  This error will occur if the master keys being committed in a domain group are not all the same.",
  "3-102--": "A key needed by the operation is missing.  Concurrent Patch Apply during configuration migration can cause this condition.  To recover, restart the Apply Configuration Data task.",
  "3-163--": "Invalid transaction counter.",
  "3-179--": "Operation not allowed in imprint mode.",
  "3-192--": "One or more signatures provided with the command is invalid.",
  "3-193--": "A signature was malformed.",
  "3-208--": "Not enough signatures were provided on the command.",
  "3-257--": "An unauthorized administrator signed the command.",
};

/** IBM's text for an EP11 return (and reason) code, or "" when IBM's table has none. */
export function ep11Text(returnCode: number, reasonCode?: number): string {
  return (reasonCode !== undefined ? TEXTS[`3-${returnCode}-${reasonCode}`] : undefined) ?? TEXTS[`3-${returnCode}--`] ?? "";
}
