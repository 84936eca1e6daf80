import { parseArgs } from "node:util";

/**
 * The argv parser behind `hpcs-mk`: command words first, then one `util.parseArgs` pass over the global and the
 * command's flags. Pure: no I/O, no process state; `main.ts` supplies the command table and acts on the result.
 */

export type FlagSpec =
  | { readonly kind: "boolean"; readonly help: string }
  | { readonly kind: "string"; readonly value: string; readonly help: string; readonly required?: boolean }
  /** Repeatable: each occurrence adds one value, in order. */
  | { readonly kind: "strings"; readonly value: string; readonly help: string }
  | { readonly kind: "int"; readonly value: string; readonly help: string; readonly min?: number; readonly max?: number; readonly choices?: readonly number[] };

export type Flags = Readonly<Record<string, FlagSpec>>;

type ValueOf<F extends FlagSpec> = F extends { kind: "boolean" }
  ? boolean
  : F extends { kind: "strings" }
    ? string[]
    : F extends { kind: "int" }
      ? number | undefined
      : F extends { required: true }
        ? string
        : string | undefined;

/** The options object a flag table yields: one property per flag, named as the table's key (`keyPart` for `--key-part`). */
export type OptionsOf<F extends Flags> = { -readonly [K in keyof F]: ValueOf<F[K]> };

/** Flags every command accepts. */
export interface GlobalOptions {
  /** The simulator directory; default from HPCS_SIMULATOR_DIR, else `.hpcs-sim`. */
  readonly simDir: string | undefined;
  /** Print exactly one JSON document on stdout. */
  readonly json: boolean;
}

export const GLOBAL_FLAGS = {
  simDir: { kind: "string", value: "DIR", help: "the simulator directory (default: $HPCS_SIMULATOR_DIR, else .hpcs-sim)" },
  json: { kind: "boolean", help: "print one JSON document { schemaVersion: 1, ... } on stdout; progress stays on stderr" },
  help: { kind: "boolean", help: "show this help" },
  version: { kind: "boolean", help: "print the version" },
} as const satisfies Flags;

export interface CommandSpec {
  /** One or two words: `status`, `keypart create`. */
  readonly name: string;
  readonly summary: string;
  /** The TKE CLI command(s) this one stands for, named in `--help`. */
  readonly tke: string;
  readonly details?: readonly string[];
  readonly flags: Flags;
  /** Positional arguments, collected under `key` (e.g. `files`); a command without them rejects any. */
  readonly positionals?: { readonly key: string; readonly value: string; readonly min: number; readonly help: string };
  readonly examples: readonly string[];
  /** Checks between flags that the table cannot express; returns the usage message, or undefined when fine. */
  validate?(options: Readonly<Record<string, unknown>>): string | undefined;
}

export type ParseResult =
  | { readonly kind: "run"; readonly command: string; readonly options: Record<string, unknown> }
  /** `topic` is a command name, a group (`sim`), or undefined for the top level. */
  | { readonly kind: "help"; readonly topic?: string }
  | { readonly kind: "version" }
  | { readonly kind: "usage"; readonly message: string; readonly topic?: string };

export const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

const usage = (message: string, topic?: string): ParseResult => ({ kind: "usage", message, topic });

/** Command words and where they stand in argv; flags of the global table may come before them. */
function findCommandWords(argv: readonly string[]): { words: string[]; indexes: number[] } {
  const words: string[] = [];
  const indexes: number[] = [];
  const valueFlags = Object.entries(GLOBAL_FLAGS)
    .filter(([, spec]) => spec.kind !== "boolean")
    .map(([key]) => `--${kebab(key)}`);
  for (let i = 0; i < argv.length && words.length < (words[0] === "help" ? 3 : 2); i++) {
    const token = argv[i];
    if (token === "--") break;
    if (token.startsWith("-")) {
      if (valueFlags.includes(token)) i++;
      // Stop at the first command flag: what follows it may be its value, not a subcommand.
      else if (!isGlobalBoolean(token)) break;
      continue;
    }
    words.push(token);
    indexes.push(i);
  }
  return { words, indexes };
}

function isGlobalBoolean(token: string): boolean {
  return token === "-h" || Object.entries(GLOBAL_FLAGS).some(([key, spec]) => spec.kind === "boolean" && token === `--${kebab(key)}`);
}

const groupsOf = (commands: readonly CommandSpec[]) => new Set(commands.filter((c) => c.name.includes(" ")).map((c) => c.name.split(" ")[0]));

/** Resolves the command words to a command name or group, leaving out a second word that is not a subcommand. */
function resolveCommand(commands: readonly CommandSpec[], words: readonly string[]): { name?: string; group?: string; used: number; unknown?: string } {
  const [first, second] = words;
  if (first === undefined) return { used: 0 };
  if (groupsOf(commands).has(first)) {
    if (second === undefined) return { group: first, used: 1 };
    const name = `${first} ${second}`;
    return commands.some((c) => c.name === name) ? { name, used: 2 } : { group: first, used: 2, unknown: name };
  }
  return commands.some((c) => c.name === first) ? { name: first, used: 1 } : { used: 1, unknown: first };
}

/** Turns `util.parseArgs` errors into our wording; never echoes a long hex token (it may be a key part value). */
function parseError(error: unknown, flags: Flags): string {
  const e = error as { code?: string; message?: string };
  const quoted = /'([^']*)'/.exec(e.message ?? "")?.[1] ?? "";
  const flagName = quoted.split(" ")[0];
  const spec = flags[Object.keys(flags).find((k) => `--${kebab(k)}` === flagName) ?? ""];
  switch (e.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown flag ${flagName}`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      if (spec?.kind === "boolean") return `${flagName} takes no value`;
      return `${flagName} needs a value${spec && "value" in spec ? ` (${flagName} ${spec.value})` : ""}; a value starting with "-" is written ${flagName}=VALUE`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument ${showToken(quoted)}`;
    default:
      return e.message ?? String(error);
  }
}

/** A long hex string may be a secret typed in the wrong place: say what it looks like instead of echoing it. */
export function showToken(token: string): string {
  return /^[0-9a-fA-F]{16,}$/.test(token) ? "(a long hex string, not shown)" : `"${token}"`;
}

function convertInt(flag: string, spec: Extract<FlagSpec, { kind: "int" }>, text: string): number | string {
  if (!/^\d+$/.test(text)) return `${flag} expects a whole number, not ${showToken(text)}`;
  const n = Number(text);
  if (spec.choices && !spec.choices.includes(n)) return `${flag} must be ${spec.choices.join(" or ")}, not ${n}`;
  if (spec.min !== undefined && n < spec.min) return `${flag} must be at least ${spec.min}, not ${n}`;
  if (spec.max !== undefined && n > spec.max) return `${flag} must be at most ${spec.max}, not ${n}`;
  return n;
}

/** The typed options object for one command, or the usage message. */
function buildOptions(spec: CommandSpec, args: readonly string[]): Record<string, unknown> | string {
  const flags: Flags = { ...GLOBAL_FLAGS, ...spec.flags };
  const options = Object.fromEntries(
    Object.entries(flags).map(([key, f]) => [kebab(key), { type: f.kind === "boolean" ? ("boolean" as const) : ("string" as const), multiple: f.kind === "strings" }]),
  );
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options; tokens: true; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...args], options, strict: true, allowPositionals: spec.positionals !== undefined, tokens: true });
  } catch (error) {
    return parseError(error, flags);
  }
  const out: Record<string, unknown> = {};
  for (const [key, f] of Object.entries(flags)) {
    if (key === "help" || key === "version") continue;
    const flag = `--${kebab(key)}`;
    const raw = parsed.values[kebab(key)];
    const count = parsed.tokens.filter((t) => t.kind === "option" && t.name === kebab(key)).length;
    if (count > 1 && f.kind !== "strings") return `${flag} was given ${count} times; give it once`;
    if (f.kind === "boolean") out[key] = raw === true;
    else if (f.kind === "strings") out[key] = (raw as string[] | undefined) ?? [];
    else if (raw === undefined) {
      if (f.kind === "string" && f.required) return `${spec.name} needs ${flag} ${f.value}`;
      out[key] = undefined;
    } else if (f.kind === "int") {
      const n = convertInt(flag, f, raw as string);
      if (typeof n === "string") return n;
      out[key] = n;
    } else {
      if (raw === "") return `${flag} must not be empty`;
      out[key] = raw;
    }
  }
  if (spec.positionals) {
    if (parsed.positionals.length < spec.positionals.min) return `${spec.name} needs at least ${spec.positionals.min} ${spec.positionals.value}`;
    out[spec.positionals.key] = parsed.positionals;
  }
  return spec.validate?.(out) ?? out;
}

/** parseCommandLine — argv (without `node` and the script) to what to do. Pure. */
export function parseCommandLine(commands: readonly CommandSpec[], argv: readonly string[]): ParseResult {
  const beforeDashes = argv.includes("--") ? argv.slice(0, argv.indexOf("--")) : argv;
  const wantsHelp = beforeDashes.includes("--help") || beforeDashes.includes("-h");
  const { words, indexes } = findCommandWords(argv);
  if (words[0] === "help") {
    const topic = resolveCommand(commands, words.slice(1));
    return topic.unknown ? usage(`unknown command "${topic.unknown}"`, topic.group) : { kind: "help", topic: topic.name ?? topic.group };
  }
  const resolved = resolveCommand(commands, words);
  if (resolved.unknown) return usage(`unknown command "${resolved.unknown}"`, resolved.group);
  if (resolved.name === undefined) {
    if (wantsHelp) return { kind: "help", topic: resolved.group };
    if (resolved.group === undefined && beforeDashes.includes("--version")) return { kind: "version" };
    return resolved.group ? usage(`${resolved.group} needs a subcommand`, resolved.group) : usage("no command given");
  }
  if (wantsHelp) return { kind: "help", topic: resolved.name };
  const spec = commands.find((c) => c.name === resolved.name) as CommandSpec;
  const rest = argv.filter((_, i) => !indexes.slice(0, resolved.used).includes(i));
  const options = buildOptions(spec, rest);
  if (typeof options === "string") return usage(options, spec.name);
  return { kind: "run", command: spec.name, options };
}
