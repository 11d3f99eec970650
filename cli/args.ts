// Command-line parsing. Policy: one table of global flags shared by every command and
// one table per command (cli/commands/*), merged and handed to node:util parseArgs in
// strict mode, so a misspelt flag is a usage error (exit 2) naming it, never silently
// ignored. Global flags may appear anywhere before the first operand of `kiln run`
// (everything after the script belongs to the script, as with spark-submit), and
// `kiln explain` parses the command it explains with that command's own table.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.js';

/** Option table in parseArgs form. */
export type OptionTable = NonNullable<ParseArgsConfig['options']>;

/** Parsed option values. */
export type OptionValues = Record<string, string | boolean | undefined>;

/** Flags every command accepts (engine settings, output and reporting). */
export const GLOBAL_OPTIONS = {
  workers: { type: 'string', short: 'w' },
  master: { type: 'string' },
  partitions: { type: 'string', short: 'p' },
  memory: { type: 'string' },
  'worker-memory': { type: 'string' },
  'split-size': { type: 'string' },
  io: { type: 'string' },
  'max-record-bytes': { type: 'string' },
  output: { type: 'string', short: 'o' },
  overwrite: { type: 'boolean' },
  format: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  progress: { type: 'string' },
  metrics: { type: 'string' },
  'event-log': { type: 'string' },
  ui: { type: 'boolean' },
  'ui-wait': { type: 'boolean' },
  'ui-port': { type: 'string' },
  'ui-host': { type: 'string' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const satisfies OptionTable;

/** What a command declares about its command line (its implementation is loaded lazily). */
export interface CommandSpec {
  readonly name: string;
  /** One-line usage after "kiln ". */
  readonly usage: string;
  /** One-line description for `kiln --help`. */
  readonly summary: string;
  /** Help text for the command's own flags. */
  readonly flagHelp: readonly string[];
  readonly options: OptionTable;
  /** Operands needed at least (e.g. 1 for FILES..., 2 for PATTERN FILES...). */
  readonly minOperands: number;
  /**
   * How the command reads standard input (cli/stdin.ts): 'default' — the operand `-`,
   * or no file operand at all when stdin is not a terminal (sort, grep, wc); 'operand'
   * — only an explicit `-` (join's LEFT or RIGHT). Left out: never.
   */
  readonly stdin?: 'default' | 'operand';
}

/** A parsed command line. */
export interface Invocation {
  readonly command: CommandSpec;
  readonly operands: readonly string[];
  /** Global and command flags together. */
  readonly flags: OptionValues;
  /** For `kiln explain`: the command being explained. */
  readonly explained?: Invocation;
}

/** What the command line asks for before any command runs. */
export type ParseResult =
  | { readonly kind: 'help'; readonly command?: CommandSpec }
  | { readonly kind: 'version' }
  | { readonly kind: 'run'; readonly invocation: Invocation };

/**
 * Parses `argv` (without node and the script path) against the command specs.
 * Throws UsageError for an unknown command or flag, a missing operand or a bad value.
 * A command reading standard input by default, given no file operand while stdin is
 * not a terminal (`stdinIsTerminal`), gets the operand `-`, as coreutils do.
 */
export function parseCommandLine(argv: readonly string[], commands: readonly CommandSpec[], stdinIsTerminal = process.stdin.isTTY === true): ParseResult {
  const index = firstOperandIndex(argv, GLOBAL_OPTIONS);
  if (index < 0) {
    const flags = parseOnly(argv, GLOBAL_OPTIONS, 'kiln');
    if (flags.version) return { kind: 'version' };
    if (flags.help || argv.length === 0) return { kind: 'help' };
    throw new UsageError('no command given — run `kiln --help` for the list of commands');
  }
  const name = argv[index]!;
  const command = commands.find((c) => c.name === name);
  if (!command) throw new UsageError(`unknown command "${name}" — commands: ${commands.map((c) => c.name).join(', ')}`);
  // A "--" just before the command only ended the global flags.
  const before = argv.slice(0, argv[index - 1] === '--' ? index - 1 : index);
  const after = argv.slice(index + 1);
  if (command.name === 'explain') return parseExplain(before, after, commands, command, stdinIsTerminal);
  return parseCommand(command, before, after, stdinIsTerminal);
}

function parseCommand(command: CommandSpec, before: readonly string[], after: readonly string[], stdinIsTerminal: boolean): ParseResult {
  const table = { ...GLOBAL_OPTIONS, ...command.options };
  let rest = after;
  let passThrough: string[] = [];
  if (command.name === 'run') {
    // Everything after the script is the script's own command line.
    const at = firstOperandIndex(after, table);
    if (at >= 0) {
      rest = after.slice(0, at + 1);
      passThrough = after.slice(at + 1);
    }
  }
  const { values, positionals } = parse([...before, ...rest], table, command.name);
  if (values.help) return { kind: 'help', command };
  if (values.version) return { kind: 'version' };
  const operands = [...positionals, ...passThrough];
  if (command.stdin === 'default' && !stdinIsTerminal && positionals.length === command.minOperands - 1) operands.push('-');
  if (operands.length < command.minOperands) throw new UsageError(`${command.name}: missing operand — usage: kiln ${command.usage}`);
  return { kind: 'run', invocation: { command, operands, flags: values } };
}

function parseExplain(before: readonly string[], after: readonly string[], commands: readonly CommandSpec[], explain: CommandSpec, stdinIsTerminal: boolean): ParseResult {
  const at = firstOperandIndex(after, GLOBAL_OPTIONS);
  if (at < 0) {
    const flags = parseOnly([...before, ...after], GLOBAL_OPTIONS, 'explain');
    if (flags.help) return { kind: 'help', command: explain };
    throw new UsageError(`explain: missing command — usage: kiln ${explain.usage}`);
  }
  const inner = commands.find((c) => c.name === after[at]);
  if (!inner || inner.name === 'explain' || inner.name === 'run') {
    throw new UsageError(`explain: cannot explain "${after[at]}" — explain one of: ${commands.filter((c) => c.name !== 'explain' && c.name !== 'run').map((c) => c.name).join(', ')}`);
  }
  const parsed = parseCommand(inner, [...before, ...after.slice(0, at)], after.slice(at + 1), stdinIsTerminal);
  if (parsed.kind !== 'run') return parsed.kind === 'help' ? { kind: 'help', command: explain } : parsed;
  return { kind: 'run', invocation: { command: explain, operands: [], flags: parsed.invocation.flags, explained: parsed.invocation } };
}

function parse(args: string[], options: OptionTable, where: string): { values: OptionValues; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args, options, strict: true, allowPositionals: true });
    return { values: values as OptionValues, positionals };
  } catch (e) {
    // parseArgs words its errors well; drop its advice about "--" which rarely applies.
    const message = (e as Error).message.split('\n')[0]!.replace(/\. To specify a positional argument.*$/, '');
    throw new UsageError(`${where}: ${message} — run \`kiln ${where === 'kiln' ? '' : `${where} `}--help\``);
  }
}

function parseOnly(args: readonly string[], options: OptionTable, where: string): OptionValues {
  return parse([...args], options, where).values;
}

/**
 * Index of the first operand (non-flag) in `args` given which flags take a value,
 * or -1. A lone "--" ends the flags: the next argument is the operand.
 */
function firstOperandIndex(args: readonly string[], options: OptionTable): number {
  const takesValue = new Set<string>();
  for (const [name, o] of Object.entries(options)) {
    if (o.type !== 'string') continue;
    takesValue.add(`--${name}`);
    if (o.short) takesValue.add(`-${o.short}`);
  }
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return i + 1 < args.length ? i + 1 : -1;
    if (a === '-' || !a.startsWith('-')) return i;
    if (!a.includes('=') && takesValue.has(a)) i++;
  }
  return -1;
}

/** A positive integer flag value, or a usage error naming the flag. */
export function positiveInt(value: string | boolean | undefined, flag: string): number | undefined {
  if (value === undefined || typeof value === 'boolean') return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`--${flag} must be a positive integer, got "${value}"`);
  }
  return Number(value);
}

/** A flag value that must be an integer >= 0 (--workers: 0 runs inline), or undefined when absent. */
export function nonNegativeInt(value: string | boolean | undefined, flag: string): number | undefined {
  if (value === undefined || typeof value === 'boolean') return undefined;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`--${flag} must be a whole number (0 runs the job inline, in kiln's own thread), got "${value}"`);
  }
  return Number(value);
}

/** A flag value that must be one of `choices`. */
export function choice<C extends string>(value: string | boolean | undefined, flag: string, choices: readonly C[], fallback: C): C {
  if (value === undefined || typeof value === 'boolean') return fallback;
  if (!(choices as readonly string[]).includes(value)) throw new UsageError(`--${flag} must be one of ${choices.join(', ')}, got "${value}"`);
  return value as C;
}
