/**
 * Structured logging: one interface, a JSON-lines implementation for daemons and a silent one for
 * tests. Components take a Logger in their options and call `child` with their own bindings, so
 * every line says where it came from (`log.info('checkpoint committed', { jobId, index })`).
 * Never pass secrets (keys, signatures of private material) as fields.
 */

export type LogFields = Readonly<Record<string, unknown>>;
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger whose lines all carry `bindings` as well. */
  child(bindings: LogFields): Logger;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface JsonLoggerOptions {
  /** Lowest level written; defaults to 'info'. */
  readonly level?: LogLevel;
  /** Where lines go; defaults to process.stderr. */
  readonly write?: (line: string) => void;
  /** Milliseconds since the epoch; injected so tests and replays control time. */
  readonly now?: () => number;
  readonly bindings?: LogFields;
}

/** JSON.stringify replacer: bigints as decimal strings, errors as {name, message, code}, bytes by length. */
function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: value.message, ...(code === undefined ? {} : { code }) };
  }
  if (value instanceof Uint8Array) return `<${value.byteLength} bytes>`;
  return value;
}

/** One JSON object per line: {"t":…,"level":"info","msg":"…",…bindings,…fields}. */
export function createJsonLogger(options: JsonLoggerOptions = {}): Logger {
  const min = LEVELS[options.level ?? 'info'];
  const write =
    options.write ??
    ((line: string) => {
      process.stderr.write(line);
    });
  const now = options.now ?? Date.now;
  const bindings = options.bindings ?? {};
  const emit = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (LEVELS[level] < min) return;
    let line: string;
    try {
      line = JSON.stringify({ t: now(), level, msg, ...bindings, ...fields }, replacer);
    } catch {
      line = JSON.stringify({ t: now(), level, msg, ...bindings, fields: '<unserialisable>' });
    }
    write(`${line}\n`);
  };
  return {
    debug: (msg, fields) => {
      emit('debug', msg, fields);
    },
    info: (msg, fields) => {
      emit('info', msg, fields);
    },
    warn: (msg, fields) => {
      emit('warn', msg, fields);
    },
    error: (msg, fields) => {
      emit('error', msg, fields);
    },
    child: (more) => createJsonLogger({ ...options, bindings: { ...bindings, ...more } }),
  };
}

/** Discards everything. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
