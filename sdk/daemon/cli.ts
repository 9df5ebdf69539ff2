/**
 * The command-line shell of every Veritrain binary (veritrain-solver, veritrain-verifier,
 * veritrain-submit): subcommands (also nested ones, such as `key create`), each with its own
 * options parsed by node:util's parseArgs and a `--help` that lists them (`key --help` lists a
 * group's subcommands); `--version`; one help layout (usage, summary, commands or options,
 * environment, exit codes); one way to print errors (`error: <message> [CODE]`, details with
 * `--verbose`, one JSON line with `--json`, never a stack trace unless asked) and warnings
 * (`warning: …`); and consistent exit codes:
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
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
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
  /** `warning: <message>` on stderr (a deprecated variable, a risky setting). */
  readonly warn: (message: string) => void;
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
  /** Left out of the command lists (a deprecated alias); still runs, and has its `--help`. */
  readonly hidden?: boolean | undefined;
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
  /** Printed by `--version` (default: the package's version). */
  readonly version?: string | undefined;
  /** Environment variables the program reads, listed in the program's `--help`. */
  readonly environment?: readonly EnvHelp[] | undefined;
  /** Text after the environment (examples, pointers to the docs). */
  readonly epilog?: string | undefined;
  readonly stdout?: (NodeJS.WritableStream & { isTTY?: boolean }) | undefined;
  readonly stderr?: (NodeJS.WritableStream & { isTTY?: boolean; columns?: number }) | undefined;
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Default: aborted on SIGINT or SIGTERM. */
  readonly signal?: AbortSignal | undefined;
}

/** One environment variable in `--help`. */
export interface EnvHelp {
  readonly name: string;
  readonly description: string;
}

/** A usage mistake (exit 2). */
export class UsageError extends Error {
  override name = 'UsageError';
}

const BUILTIN: Readonly<Record<string, OptionSpec>> = {
  help: { type: 'boolean', short: 'h', description: 'show this help' },
  verbose: { type: 'boolean', description: 'print error details and causes' },
};

const VERSION_OPTION: Readonly<Record<string, OptionSpec>> = { version: { type: 'boolean', short: 'V', description: 'print the version' } };

/** What the exit codes mean, one line, as every program's `--help` ends. */
export const EXIT_CODES_HELP = `exit codes: ${EXIT.OK} ok, ${EXIT.FAILED} failed, ${EXIT.USAGE} usage, ${EXIT.CONFIG} configuration or key, ${EXIT.INTERRUPTED} interrupted`;

/** The version in the repository's package.json. */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The `--config <file>` option of a daemon, naming the variable that also sets it. */
export function configOption(envName: string): Readonly<Record<string, OptionSpec>> {
  return { config: { type: 'string', short: 'c', value: '<file>', description: `JSON config file (or ${envName})` } };
}

/** The config file: `--config`, else the variable, else none. */
export function configFileOf(ctx: Pick<CommandContext, 'values' | 'env'>, envName: string): string | undefined {
  return stringOption(ctx, 'config') ?? ctx.env[envName];
}

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

/** One JSON line for `--json`: `{"error":{"name","code","message","details"}}`. */
export function formatErrorJson(err: unknown): string {
  const body =
    err instanceof VeritrainError
      ? { name: err.name, code: err.code, message: err.message, details: err.details }
      : {
          name: err instanceof Error ? err.name : 'Error',
          code: err instanceof UsageError ? 'USAGE' : undefined,
          message: err instanceof Error ? err.message : s(err),
        };
  return jsonOr({ error: body });
}

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
  const lines = [
    `usage: ${program} ${command.name}${Object.keys(command.options ?? {}).length + Object.keys(globalOptions).length > 0 ? ' [options]' : ''}${command.args === undefined ? '' : ` ${command.args}`}`,
    '',
    command.summary,
  ];
  if (command.description !== undefined) lines.push('', command.description);
  lines.push('', 'options:', ...optionHelp({ ...command.options, ...globalOptions, ...BUILTIN }));
  return `${lines.join('\n')}\n`;
}

function envHelp(environment: readonly EnvHelp[]): string[] {
  const width = Math.max(0, ...environment.map((e) => e.name.length));
  return environment.map((e) => `  ${e.name.padEnd(width)}  ${e.description}`);
}

export function programHelp(options: Pick<RunCliOptions, 'program' | 'summary' | 'commands' | 'epilog' | 'environment' | 'globalOptions'>): string {
  const lines = [
    `usage: ${options.program} <command> [options]`,
    '',
    options.summary,
    '',
    'commands:',
    ...commandList(options.commands),
    '',
    'options:',
    ...optionHelp({ ...options.globalOptions, ...BUILTIN, ...VERSION_OPTION }),
    '',
    `Run \`${options.program} <command> --help\` for a command's options.`,
  ];
  if (options.environment !== undefined && options.environment.length > 0) lines.push('', 'environment:', ...envHelp(options.environment));
  lines.push('', EXIT_CODES_HELP);
  if (options.epilog !== undefined) lines.push('', options.epilog);
  return `${lines.join('\n')}\n`;
}

function commandList(all: readonly Command[]): string[] {
  const commands = all.filter((c) => c.hidden !== true);
  const width = Math.max(0, ...commands.map((c) => c.name.length + (c.args === undefined ? 0 : c.args.length + 1)));
  return commands.map((c) => `  ${`${c.name}${c.args === undefined ? '' : ` ${c.args}`}`.padEnd(width)}  ${c.summary}`);
}

/** Help of a group of subcommands (`key` for `key create`, `key import`, …). */
export function groupHelp(program: string, group: string, commands: readonly Command[]): string {
  const members = commands.filter((c) => c.name.startsWith(`${group} `));
  return `${[`usage: ${program} ${group} <command> [options]`, '', 'commands:', ...commandList(members), '', `Run \`${program} ${group} <command> --help\` for a command's options.`].join('\n')}\n`;
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
  const out = (line: string): void => {
    stdout.write(`${line}\n`);
  };
  const err = (line: string): void => {
    stderr.write(`${line}\n`);
  };
  const warn = (message: string): void => {
    err(`warning: ${message}`);
  };
  const argv = [...options.argv];
  const verbose = argv.includes('--verbose');
  const isHelp = (a: string | undefined): boolean => a === '--help' || a === '-h';

  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    out(`${options.program} ${options.version ?? packageVersion()}`);
    return EXIT.OK;
  }
  if (argv.length === 0 || isHelp(argv[0]) || argv[0] === 'help') {
    const words = argv[0] === 'help' ? argv.slice(1) : [];
    const target = words.length === 0 ? undefined : findCommand(options.commands, words);
    const group = words.length === 1 && target === undefined && options.commands.some((c) => c.name.startsWith(`${words[0] ?? ''} `)) ? words[0] : undefined;
    if (words.length > 0 && target === undefined && group === undefined) {
      err(`error: unknown command \`${words.join(' ')}\`; run \`${options.program} --help\``);
      return EXIT.USAGE;
    }
    const text =
      target !== undefined
        ? commandHelp(options.program, target.command, options.globalOptions)
        : group !== undefined
          ? groupHelp(options.program, group, options.commands)
          : programHelp(options);
    (argv.length === 0 ? err : out)(text.trimEnd());
    return argv.length === 0 ? EXIT.USAGE : EXIT.OK;
  }
  const found = findCommand(options.commands, argv);
  if (found === undefined) {
    const prefix = options.commands.filter((c) => c.name.startsWith(`${argv[0] ?? ''} `));
    if (prefix.length > 0) {
      // `key --help` lists the group; `key` alone or `key frob` is a usage mistake.
      if (isHelp(argv[1]) || isHelp(argv[argv.length - 1])) {
        out(groupHelp(options.program, argv[0] ?? '', options.commands).trimEnd());
        return EXIT.OK;
      }
      err(`error: \`${argv[0] ?? ''}\` needs a subcommand: ${prefix.map((c) => c.name).join(', ')}`);
      err(`run \`${options.program} ${argv[0] ?? ''} --help\``);
    } else {
      err(`error: unknown command \`${argv[0] ?? ''}\`; run \`${options.program} --help\``);
    }
    return EXIT.USAGE;
  }
  const { command, rest } = found;
  const specs = { ...command.options, ...options.globalOptions, ...BUILTIN };
  let parsed: { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: rest,
      options: Object.fromEntries(
        Object.entries(specs).map(([name, o]) => [
          name,
          { type: o.type, ...(o.short === undefined ? {} : { short: o.short }), ...(o.multiple === true ? { multiple: true } : {}) },
        ]),
      ),
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    err(`error: ${e instanceof Error ? e.message : String(e)}`);
    err(`run \`${options.program} ${command.name} --help\` for its options`);
    return EXIT.USAGE;
  }
  const json = parsed.values.json === true;
  if (parsed.values.help === true) {
    out(commandHelp(options.program, command, options.globalOptions).trimEnd());
    return EXIT.OK;
  }
  const [min, max] = typeof command.positionals === 'number' ? [command.positionals, command.positionals] : (command.positionals ?? [0, 0]);
  if (parsed.positionals.length < min || parsed.positionals.length > max) {
    err(
      `error: \`${command.name}\` takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? '' : 's'}${command.args === undefined ? '' : ` (${command.args})`}, got ${parsed.positionals.length}`,
    );
    err(`run \`${options.program} ${command.name} --help\` for its usage`);
    return EXIT.USAGE;
  }
  const signal = options.signal ?? defaultSignal();
  try {
    const code: number | undefined = await command.run({
      values: parsed.values,
      positionals: parsed.positionals,
      out,
      err,
      warn,
      stdout,
      stderr,
      env: options.env ?? process.env,
      signal,
    });
    return code ?? EXIT.OK;
  } catch (e) {
    const code = exitCodeOf(e, signal);
    if (code === EXIT.INTERRUPTED) {
      err('interrupted');
      return code;
    }
    if (json) err(formatErrorJson(e));
    else for (const line of formatError(e, verbose)) err(line);
    if (code === EXIT.USAGE && !json) err(`run \`${options.program} ${command.name} --help\` for its usage`);
    return code;
  }
}

/** True when the module at `importMetaUrl` is the program node was started with (not an import). */
export function isMain(importMetaUrl: string): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === fileURLToPath(importMetaUrl);
  } catch {
    return false;
  }
}

/**
 * A binary's entry point: runs the CLI on process.argv and sets the exit code. Stopped components
 * may leave handles behind (sockets in TIME_WAIT, idle workers): the process exits after
 * `exitGraceMs` whatever is left.
 */
export async function main(options: Omit<RunCliOptions, 'argv'> & { readonly exitGraceMs?: number | undefined }): Promise<void> {
  const code = await runCli({ ...options, argv: process.argv.slice(2) });
  process.exitCode = code;
  setTimeout(() => {
    process.exit(code);
  }, options.exitGraceMs ?? 2_000).unref();
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
