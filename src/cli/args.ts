// Options of one command, parsed with node:util's parseArgs in its lenient mode and then checked
// here, so that every mistake gets one short line naming the option and what the command takes
// (parseArgs' own strict messages are long, and name no alternatives).
import { parseArgs } from 'node:util';
import { CliError } from './errors.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Placeholder shown in messages for a string option, e.g. `N` in `--last N`. */
  placeholder?: string;
}

export interface CommandArgsSpec {
  /** The command name, prefixed to every message. */
  command: string;
  /** `--help`/`-h` is added to every command. */
  options: Record<string, OptionSpec>;
  /** Names of the positional arguments in order (for messages); more are refused. */
  positionals?: readonly string[];
}

export type ParsedValues<O extends Record<string, OptionSpec>> = {
  [K in keyof O]?: O[K]['type'] extends 'string' ? string : boolean;
};

export interface ParsedArgs<O extends Record<string, OptionSpec>> {
  /** `--help` or `-h` was given: the caller prints the command's help and ignores the rest. */
  help: boolean;
  values: ParsedValues<O>;
  positionals: string[];
}

/** A wrong invocation (unknown option, missing value, extra argument): one line, exit 1. */
export class UsageError extends CliError {}

const HELP: OptionSpec = { type: 'boolean', short: 'h' };

export function parseCommandArgs<O extends Record<string, OptionSpec>>(spec: CommandArgsSpec & { options: O }, args: string[]): ParsedArgs<O> {
  const options: Record<string, OptionSpec> = { ...spec.options, help: HELP };
  const { tokens } = parseArgs({
    args,
    options: Object.fromEntries(Object.entries(options).map(([name, o]) => [name, { type: o.type, ...(o.short ? { short: o.short } : {}) }])),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  // Help wins over any other mistake on the line: someone asking for it gets it.
  if (tokens.some((t) => t.kind === 'option' && t.name === 'help')) return { help: true, values: {}, positionals: [] };

  const values: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  const fail = (problem: string, listArgs = true) => {
    throw new UsageError(`${spec.command}: ${problem}${listArgs ? ` (${describeArgs(spec)})` : ''}`);
  };
  for (const t of tokens) {
    if (t.kind === 'positional') {
      positionals.push(t.value);
      if (positionals.length > (spec.positionals?.length ?? 0)) fail(`unexpected argument ${JSON.stringify(t.value)}`);
      continue;
    }
    if (t.kind !== 'option') continue; // the `--` terminator
    const o = options[t.name];
    if (o === undefined) fail(`unknown option ${JSON.stringify(t.rawName)}`);
    if (o.type === 'boolean') {
      if (t.inlineValue) fail(`${t.rawName} takes no value`);
      values[t.name] = true;
    } else if (t.value === undefined) {
      fail(`${t.rawName} needs a value`);
    } else if (!t.inlineValue && t.value.startsWith('-')) {
      // `--email --username u` would otherwise take "--username" as the email.
      fail(`${t.rawName} needs a value; for a value that starts with "-", write ${t.rawName}=VALUE`, false);
    } else {
      values[t.name] = t.value;
    }
  }
  return { help: false, values: values as ParsedValues<O>, positionals };
}

/** `takes FILE, --dry-run, --batch-size N, --help`: what a message lists as the alternatives. */
function describeArgs(spec: CommandArgsSpec): string {
  const parts = [
    ...(spec.positionals ?? []),
    ...Object.entries(spec.options).map(([name, o]) => (o.type === 'string' ? `--${name} ${o.placeholder ?? 'VALUE'}` : `--${name}`)),
    '--help',
  ];
  return `${spec.command} takes ${parts.join(', ')}`;
}
