/**
 * The TKE CLI backend: the engine's port over IBM's `ibmcloud tke` plug-in (DESIGN §5). Internals (the conversation,
 * the parsers, the prompt table) are not exported: tests of them import the modules directly.
 */
export { openTkeCli, TkeCliBackend, type TkeCliOptions } from "./backend";
export { spawnPty } from "./pty";
export type { Transcript } from "./conversation";
export { TkeCommandError, TkePromptError, TkeSetupError } from "./outcome";
export { TkeOutputError } from "./parse";
