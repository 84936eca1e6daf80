/**
 * What the driver knows of IBM's TKE CLI plug-in's conversation, pinned per plug-in version: the exact texts of the
 * prompts it answers and of the outcomes it recognises (research/real-backends.md §2; research/tke-domain.md §2.4–2.5).
 * The driver answers a prompt only when its last lines are one of these, verbatim; anything else stops the command
 * (SIGHUP) and is reported, never answered, above all never with `y`. `documented` texts are quoted from IBM's docs or
 * real transcripts; `inferred` ones have no public source yet (the `cryptounit-mk-rotate` and `auto-mk-rotate`
 * conversations, which share the pre-check question here, the `cryptounit-rm` prompt): on a plug-in that prints something else they stop the command, and the transcript shows
 * what to pin here. Kept apart from the emulator's own texts on purpose: each is written from the research alone.
 */

export type PromptId =
  | "addUnits"
  | "removeUnits"
  | "selectSigkeys"
  | "sigkeyKeynumPassword"
  | "signerPassword"
  | "loadKeynums"
  | "keyFilePassword"
  | "setimmConfirm"
  | "rotatePrecheckConfirm"
  | "keyPartValue"
  | "keyPartDescription"
  | "keyPartPassword"
  | "reenterPassword";

export interface PromptText {
  readonly id: PromptId;
  /** The prompt's last lines before `> `, as regular expressions matched against whole lines (first line first). */
  readonly lines: readonly RegExp[];
  /** A yes/no question; answered `y` only when every line matched. */
  readonly confirmation: boolean;
  readonly source: "documented" | "inferred";
}

const exact = (text: string) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);

/** The SKI prefix a signer prompt shows: the first 30 hex digits and `...` (research §2.4). */
export const SIGNER_LINE = /^(.*) \(([0-9a-f]{30})\.\.\.\)$/;

export const PROMPTS: readonly PromptText[] = [
  { id: "addUnits", lines: [exact("Enter a list of CRYPTO UNIT NUM to add, separated by spaces:")], confirmation: false, source: "documented" },
  { id: "removeUnits", lines: [exact("Enter a list of CRYPTO UNIT NUM to remove, separated by spaces:")], confirmation: false, source: "inferred" },
  { id: "selectSigkeys", lines: [exact("Enter the KEYNUM values to select as current signature keys, separated by spaces:")], confirmation: false, source: "documented" },
  { id: "sigkeyKeynumPassword", lines: [/^Enter the password for KEYNUM (\d+):$/], confirmation: false, source: "documented" },
  { id: "signerPassword", lines: [exact("Enter the password for the signature key identified by:"), SIGNER_LINE], confirmation: false, source: "documented" },
  { id: "loadKeynums", lines: [exact("Enter the KEYNUM values of the master key parts you wish to load."), exact("2 or 3 values must be specified, separated by spaces.")], confirmation: false, source: "documented" },
  { id: "keyFilePassword", lines: [/^Enter the password for key file (\d)$/], confirmation: false, source: "documented" },
  {
    id: "setimmConfirm",
    lines: [
      exact("Warning!  Any key storage associated with the targeted service instance must be prepared to accept the new master key value before running this command.  Otherwise, key storage may become unusable."),
      exact("Do you want to continue?"),
      exact("Answer [y/N]:"),
    ],
    confirmation: true,
    source: "documented",
  },
  { id: "rotatePrecheckConfirm", lines: [exact("Do you want to proceed with the pre-check?"), exact("Answer [y/N]:")], confirmation: true, source: "inferred" },
  { id: "keyPartValue", lines: [exact("Enter the key part value:")], confirmation: false, source: "documented" },
  { id: "keyPartDescription", lines: [exact("Enter a description for the key part:")], confirmation: false, source: "documented" },
  { id: "keyPartPassword", lines: [exact("Enter a password to protect the key part:")], confirmation: false, source: "documented" },
  { id: "reenterPassword", lines: [exact("Re-enter the password to confirm:")], confirmation: false, source: "documented" },
];

/** Lines of the output the driver acts on as they arrive, before the command ends. */
export const OUTCOMES = {
  ok: exact("OK"),
  failed: exact("FAILED"),
  /** cryptounit-mk-rotate: key storage is entirely under the new key; promotion follows (research §4.2, §4.4). */
  marker: /^(KMS|MKS) CRK rewrap successful, waiting on cryptounit-mk-setimm\.?$/,
  /** auto-mk-rotate: every new register holds the generated key, committed; the rewrap to it follows (research §4.3, §4.4). */
  delaying: /^Delaying 30 seconds to allow server to discover new master key values\.*$/,
  /** Rewrap progress, as the rotate commands print it (inferred). */
  rewrapProgress: /^(\d+) of (\d+) keys\b/,
  ep11: exact("Error reported by EP11 crypto module."),
  returnCode: /^Return code: (\d+)$/,
  reasonCode: /^Reason code: (\d+)$/,
  errorMessage: /^Error message: (.*)$/,
  unauthorized: /^Your access token is invalid, expired, or does not have the necessary permissions to access this instance\./,
  sameKey: /^The new master key value is the same as the current master key value\./,
  notLoggedIn: /^Not logged in\./,
  notRegistered: /is not a registered command/,
  invalidPassword: /^Invalid password/,
} as const;

/** The plug-in versions this table was written for; any other is refused until someone pins its texts. */
export const VALIDATED_VERSIONS = /^1\.\d+\.\d+$/;

/** The prompt whose lines end the given output lines, or undefined when none of the table's does (never answered). */
export function recognise(lines: readonly string[]): { prompt: PromptText; match: RegExpExecArray[] } | undefined {
  for (const prompt of PROMPTS) {
    const tail = lines.slice(lines.length - prompt.lines.length);
    if (tail.length !== prompt.lines.length) continue;
    const match = prompt.lines.map((pattern, i) => pattern.exec(tail[i]));
    if (match.every((m): m is RegExpExecArray => m !== null)) return { prompt, match };
  }
  return undefined;
}
