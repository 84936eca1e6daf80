import { GLOBAL_FLAGS, kebab, type CommandSpec, type Flags } from "./argv";

/** Help texts, built from the command table: the same words `--help` shows and docs/cli.md explains. Pure. */

export const BIN = "hpcs-mk";

const TAGLINE = "declarative, crash-safe master key rotation for IBM Cloud Hyper Protect Crypto Services, with an embedded simulator";

const FOOTER = [
  "Environment: HPCS_BACKEND (simulator), HPCS_SIMULATOR_DIR (default .hpcs-sim), NO_COLOR (no colour).",
  "Exit codes: 0 ok, 1 refused or failed, 2 usage error.",
];

function column(rows: readonly (readonly [string, string])[], indent = "  "): string[] {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `${indent}${left.padEnd(width)}  ${right}`);
}

function flagRows(flags: Flags): [string, string][] {
  return Object.entries(flags).map(([key, f]) => {
    const left = `--${kebab(key)}${f.kind === "boolean" ? "" : ` ${f.value}`}`;
    const notes = [f.kind === "string" && f.required ? "required" : undefined, f.kind === "strings" ? "repeatable" : undefined].filter(Boolean);
    return [left, `${notes.length ? `(${notes.join(", ")}) ` : ""}${f.help}`];
  });
}

function synopsis(spec: CommandSpec): string {
  const required = Object.entries(spec.flags)
    .filter(([, f]) => f.kind === "string" && f.required)
    .map(([key, f]) => `--${kebab(key)} ${"value" in f ? f.value : ""}`);
  const positional = spec.positionals ? ` ${spec.positionals.value}${spec.positionals.min > 0 ? "..." : " ..."}` : "";
  return `${BIN} ${spec.name}${required.length ? ` ${required.join(" ")}` : ""} [flags]${positional}`;
}

export function topLevelHelp(commands: readonly CommandSpec[]): string {
  return [
    `${BIN} — ${TAGLINE}`,
    "",
    `Usage: ${BIN} <command> [flags]`,
    "",
    "Commands:",
    ...column(commands.map((c) => [c.name, `${c.summary} (TKE: ${c.tke})`])),
    "",
    "Global flags:",
    ...column(flagRows(GLOBAL_FLAGS)),
    "",
    ...FOOTER,
    `Run "${BIN} <command> --help" for a command's flags and examples.`,
  ].join("\n");
}

export function groupHelp(commands: readonly CommandSpec[], group: string): string {
  const members = commands.filter((c) => c.name.startsWith(`${group} `));
  return [
    `Usage: ${BIN} ${group} <${members.map((c) => c.name.split(" ")[1]).join("|")}> [flags]`,
    "",
    ...column(members.map((c) => [c.name, `${c.summary} (TKE: ${c.tke})`])),
    "",
    `Run "${BIN} ${group} <subcommand> --help" for its flags and examples.`,
  ].join("\n");
}

export function commandHelp(spec: CommandSpec): string {
  return [
    `${BIN} ${spec.name} — ${spec.summary}`,
    `TKE equivalent: ${spec.tke}`,
    "",
    `Usage: ${synopsis(spec)}`,
    ...(spec.details?.length ? ["", ...spec.details] : []),
    "",
    "Flags:",
    ...column([...flagRows(spec.flags), ...(spec.positionals ? ([[spec.positionals.value, spec.positionals.help]] as [string, string][]) : [])]),
    "",
    "Global flags:",
    ...column(flagRows(GLOBAL_FLAGS)),
    "",
    "Examples:",
    ...spec.examples.map((e) => `  $ ${e}`),
    "",
    ...FOOTER,
  ].join("\n");
}

/** The help for a topic: a command, a group, or (undefined) the top level. */
export function helpFor(commands: readonly CommandSpec[], topic: string | undefined): string {
  const spec = commands.find((c) => c.name === topic);
  if (spec) return commandHelp(spec);
  return topic ? groupHelp(commands, topic) : topLevelHelp(commands);
}

/** What follows a usage error: the command's synopsis, the group's subcommands, or the whole command list. */
export function usageHint(commands: readonly CommandSpec[], topic: string | undefined): string {
  const spec = commands.find((c) => c.name === topic);
  if (spec) return `Usage: ${synopsis(spec)}\nRun "${BIN} ${spec.name} --help" for its flags and examples.`;
  return helpFor(commands, topic);
}
