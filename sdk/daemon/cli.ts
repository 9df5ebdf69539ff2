/**
 * The command-line shell of a daemon: subcommands (also nested ones, such as `key create`), each
 * with its own options parsed by node:util's parseArgs and a `--help` that lists them; one way to
 * print errors (VeritrainError's message and code, details with `--verbose`, never a stack trace
 * unless asked); and consistent exit codes:
 *
 * | code | meaning |
 * |---|---|
 * | 0 | success |
 * | 1 | the operation failed (chain, storage, p2p, …) |
 * | 2 | usage: unknown command or option, missing argument |
 * | 3 | configuration or key: bad config file or variable, keystore, password |
 * | 130 | interrupted (SIGINT) |
 *
 * ```ts
 * await runCli({ program: 'veritrain-solver', summary: 'Veritrain solver node', commands: [runCommand, statusCommand], argv: process.argv.slice(2) });
 * ```
 */
import { parseArgs } from 'node:util';
import { VeritrainError, type VeritrainErrorCode } from '../errors.ts';

export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, CONFIG: 3, INTERRUPTED: 130 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string | undefined;
  readonly description: string;
  /** Shown in help; the command applies it (config defaults live in the config schema). */
  readonly default?: string | boolean | undefined;
  readonly multiple?: boolean | undefined;
  /** Placeholder in help, e.g. `<file>`. */
  readonly value?: string | undefined;
}

export interface CommandIo {
  /** Results for people or programs (stdout). */
  out(line: string): void;
  /** Diagnostics (stderr). */
  err(line: string): void;
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborts on SIGINT/SIGTERM; long-running commands stop cleanly on it. */
  readonly signal: AbortSignal;
}

export interface CommandContext extends CommandIo {
  readonly values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
  readonly positionals: readonly string[];
}

export interface Command {
  /** Words after the program name, e.g. `run` or `key create`. */
  readonly name: string;
  readonly summary: string;
  /** Positional arguments for the usage line, e.g. `<amount>`. */
  readonly args?: string | undefined;
  /** More text for `--help`. */
  readonly description?: string | undefined;
  readonly options?: Readonly<Record<string, OptionSpec>> | undefined;
  /** Exact number of positionals, or [min, max]. Default 0. */
  readonly positionals?: number | readonly [number, number] | undefined;
  /** Returns an exit code (default 0). */
  run(ctx: CommandContext): Promise<number | undefined>;
}

export interface RunCliOptions {
  readonly program: string;
  readonly summary: string;
  readonly commands: readonly Command[];
  readonly argv: readonly string[];
  /** Options every command takes (e.g. `--config`); merged into each command's. */
  readonly globalOptions?: Readonly<Record<string, OptionSpec>> | undefined;
  /** Text after the command list (environment variables, examples). */
  readonly epilog?: string | undefined;
  readonly stdout?: (NodeJS.WritableStream & { isTTY?: boolean }) | undefined;
  readonly stderr?: (NodeJS.WritableStream & { isTTY?: boolean; columns?: number }) | undefined;
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Default: aborted on SIGINT or SIGTERM. */
  readonly signal?: AbortSignal | undefined;
}

/** A usage mistake (exit 2). */
export class UsageError extends Error {
  override name = 'UsageError';
}

const BUILTIN: Readonly<Record<string, OptionSpec>> = {
  help: { type: 'boolean', short: 'h', description: 'show this help' },
  verbose: { type: 'boolean', description: 'print error details and causes' },
};

const CONFIG_CODES: ReadonlySet<VeritrainErrorCode> = new Set(['CONFIG_INVALID', 'KEYSTORE_INVALID', 'SIGNER_INVALID']);

/** The exit code for an error thrown by a command. */
export function exitCodeOf(err: unknown, signal?: AbortSignal): ExitCode {
  if (err instanceof UsageError) return EXIT.USAGE;
  if (signal?.aborted === true) return EXIT.INTERRUPTED;
  if (err instanceof VeritrainError && CONFIG_CODES.has(err.code)) return EXIT.CONFIG;
  return EXIT.FAILED;
}

const s = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'bigint' ? v.toString() : jsonOr(v));
const jsonOr = (v: unknown): string => {
  const j: unknown = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  return typeof j === 'string' ? j : String(v);
};

/** `error: <message> [CODE]`, then details and the cause chain when verbose. */
export function formatError(err: unknown, verbose: boolean): string[] {
  const lines: string[] = [];
  if (err instanceof VeritrainError) {
    lines.push(`error: ${err.message} [${err.code}]`);
    if (verbose) {
      for (const [k, v] of Object.entries(err.details)) lines.push(`  ${k}: ${s(v)}`);
    }
  } else if (err instanceof UsageError) {
    lines.push(`error: ${err.message}`);
  } else if (err instanceof Error) {
    lines.push(`error: ${err.message}`);
  } else {
    lines.push(`error: ${s(err)}`);
  }
  if (verbose) {
    const seen = new Set<unknown>([err]);
    for (let cause = (err as { cause?: unknown }).cause; cause !== undefined && !seen.has(cause); cause = (cause as { cause?: unknown }).cause) {
      seen.add(cause);
      lines.push(`  caused by: ${cause instanceof Error ? `${cause.name}: ${cause.message.split('\n')[0] ?? ''}` : s(cause)}`);
    }
    if (!(err instanceof VeritrainError) && !(err instanceof UsageError) && err instanceof Error && err.stack !== undefined) lines.push(err.stack);
  } else if (!(err instanceof UsageError)) {
    lines.push('  (run with --verbose for details)');
  }
  return lines;
}

function optionHelp(options: Readonly<Record<string, OptionSpec>>): string[] {
  const rows = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short === undefined ? '    ' : `-${o.short}, `}--${name}${o.type === 'string' ? ` ${o.value ?? '<value>'}` : ''}`;
    const def = o.default === undefined ? '' : ` (default: ${String(o.default)})`;
    return [flag, `${o.description}${def}`] as const;
  });
  const width = Math.max(0, ...rows.map(([f]) => f.length));
  return rows.map(([f, d]) => `  ${f.padEnd(width)}  ${d}`);
}

export function commandHelp(program: string, command: Command, globalOptions: Readonly<Record<string, OptionSpec>> = {}): string {
  const lines = [`usage: ${program} ${command.name}${Object.keys(command.options ?? {}).length + Object.keys(globalOptions).length > 0 ? ' [options]' : ''}${command.args === undefined ? '' : ` ${command.args}`}`, '', command.summary];
  if (command.description !== undefined) lines.push('', command.description);
  lines.push('', 'options:', ...optionHelp({ ...command.options, ...globalOptions, ...BUILTIN }));
  return `${lines.join('\n')}\n`;
}

export function programHelp(options: Pick<RunCliOptions, 'program' | 'summary' | 'commands' | 'epilog'>): string {
  const width = Math.max(0, ...options.commands.map((c) => c.name.length + (c.args === undefined ? 0 : c.args.length + 1)));
  const lines = [
    `usage: ${options.program} <command> [options]`,
    '',
    options.summary,
    '',
    'commands:',
    ...options.commands.map((c) => `  ${`${c.name}${c.args === undefined ? '' : ` ${c.args}`}`.padEnd(width)}  ${c.summary}`),
    '',
    `Run \`${options.program} <command> --help\` for a command's options.`,
  ];
  if (options.epilog !== undefined) lines.push('', options.epilog);
  return `${lines.join('\n')}\n`;
}

function defaultSignal(): AbortSignal {
  const controller = new AbortController();
  const onSignal = (name: string) => (): void => {
    if (controller.signal.aborted) {
      // A second Ctrl-C: the user means it.
      process.exit(EXIT.INTERRUPTED);
    }
    controller.abort(new DOMException(`interrupted by ${name}`, 'AbortError'));
  };
  process.once('SIGINT', onSignal('SIGINT'));
  process.once('SIGTERM', onSignal('SIGTERM'));
  return controller.signal;
}

/** Finds the longest command name matching the leading words of argv. */
function findCommand(commands: readonly Command[], argv: readonly string[]): { command: Command; rest: string[] } | undefined {
  let best: { command: Command; rest: string[] } | undefined;
  for (const command of commands) {
    const words = command.name.split(' ');
    if (words.every((w, i) => argv[i] === w) && (best === undefined || words.length > best.command.name.split(' ').length)) {
      best = { command, rest: argv.slice(words.length) };
    }
  }
  return best;
}

/**
 * Parses argv, runs the command and returns its exit code (the caller sets process.exitCode).
 * Never throws.
 */
export async function runCli(options: RunCliOptions): Promise<number> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const out = (line: string): void => { stdout.write(`${line}\n`); };
  const err = (line: string): void => { stderr.write(`${line}\n`); };
  const argv = [...options.argv];
  const verbose = argv.includes('--verbose');

  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    const target = argv[0] === 'help' ? findCommand(options.commands, argv.slice(1)) : undefined;
    (argv.length === 0 ? err : out)(target === undefined ? programHelp(options).trimEnd() : commandHelp(options.program, target.command, options.globalOptions).trimEnd());
    return argv.length === 0 ? EXIT.USAGE : EXIT.OK;
  }
  const found = findCommand(options.commands, argv);
  if (found === undefined) {
    const prefix = options.commands.filter((c) => c.name.startsWith(`${argv[0] ?? ''} `));
    if (prefix.length > 0) err(`error: \`${argv[0] ?? ''}\` needs a subcommand: ${prefix.map((c) => c.name).join(', ')}`);
    else err(`error: unknown command \`${argv[0] ?? ''}\`; run \`${options.program} --help\``);
    return EXIT.USAGE;
  }
  const { command, rest } = found;
  const specs = { ...command.options, ...options.globalOptions, ...BUILTIN };
  let parsed: { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: rest,
      options: Object.fromEntries(Object.entries(specs).map(([name, o]) => [name, { type: o.type, ...(o.short === undefined ? {} : { short: o.short }), ...(o.multiple === true ? { multiple: true } : {}) }])),
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    err(`error: ${e instanceof Error ? e.message : String(e)}`);
    err(`run \`${options.program} ${command.name} --help\` for its options`);
    return EXIT.USAGE;
  }
  if (parsed.values.help === true) {
    out(commandHelp(options.program, command, options.globalOptions).trimEnd());
    return EXIT.OK;
  }
  const [min, max] = typeof command.positionals === 'number' ? [command.positionals, command.positionals] : command.positionals ?? [0, 0];
  if (parsed.positionals.length < min || parsed.positionals.length > max) {
    err(`error: \`${command.name}\` takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? '' : 's'}${command.args === undefined ? '' : ` (${command.args})`}, got ${parsed.positionals.length}`);
    return EXIT.USAGE;
  }
  const signal = options.signal ?? defaultSignal();
  try {
    const code: number | undefined = await command.run({ values: parsed.values, positionals: parsed.positionals, out, err, stdout, stderr, env: options.env ?? process.env, signal });
    return code ?? EXIT.OK;
  } catch (e) {
    const code = exitCodeOf(e, signal);
    if (code === EXIT.INTERRUPTED) {
      err('interrupted');
      return code;
    }
    for (const line of formatError(e, verbose)) err(line);
    return code;
  }
}

/** A string option's value, or undefined. */
export function stringOption(ctx: Pick<CommandContext, 'values'>, name: string): string | undefined {
  const v = ctx.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A required string option; throws UsageError naming it. */
export function requireOption(ctx: Pick<CommandContext, 'values'>, name: string): string {
  const v = stringOption(ctx, name);
  if (v === undefined || v === '') throw new UsageError(`--${name} is required`);
  return v;
}
