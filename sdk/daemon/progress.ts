/**
 * A live progress line for long operations. On a terminal it redraws one line on stderr
 * (`\r` + clear-line), at most every `redrawMs`; log lines printed meanwhile go above it
 * (`wrapWrite` clears the line, writes, redraws). When stderr is not a terminal (a service, a
 * pipe, a test) it falls back to a structured log line every `intervalMs`, so logs stay
 * line-oriented and parseable.
 *
 * ```ts
 * const progress = createProgressLine({ logger: log });
 * progress.update('job 3 training', { step: 40, steps: 400, stepsPerSecond: 51.2 });
 * progress.done('job 3 trained');
 * ```
 */
import { silentLogger, type LogFields, type Logger } from '../log.ts';

export interface ProgressStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean | undefined;
  readonly columns?: number | undefined;
}

export interface ProgressLineOptions {
  /** Where the line is drawn; default process.stderr. */
  readonly stream?: ProgressStream | undefined;
  /** Force TTY (or non-TTY) behaviour; default the stream's isTTY. */
  readonly tty?: boolean | undefined;
  /** Where non-TTY progress goes as log lines. */
  readonly logger?: Logger | undefined;
  /** Non-TTY: a log line at most this often per label (default 10 s). */
  readonly intervalMs?: number | undefined;
  /** TTY: redraw at most this often (default 100 ms). */
  readonly redrawMs?: number | undefined;
  /** Milliseconds clock, injected for tests. */
  readonly now?: (() => number) | undefined;
}

export interface ProgressLine {
  /** Shows `label` with `fields` (numbers formatted; `step`/`steps` shown as a bar). */
  update(label: string, fields?: LogFields): void;
  /** Clears the line (TTY) and logs a final line with `label`. */
  done(label?: string, fields?: LogFields): void;
  /** Clears the line, runs `write` (e.g. a log line), redraws: keeps logs and the line apart on a TTY. */
  wrapWrite(write: () => void): void;
  readonly tty: boolean;
}

function fmt(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return value;
  const json: unknown = JSON.stringify(value);
  return typeof json === 'string' ? json : String(value);
}

/** `label [#####-----] 40/400 (10%) stepsPerSecond=51.2 …`, cut to `width`. */
export function formatProgress(label: string, fields: LogFields = {}, width = 120): string {
  const { step, steps, ...rest } = fields as { step?: unknown; steps?: unknown } & Record<string, unknown>;
  const parts = [label];
  if (typeof step === 'number' && typeof steps === 'number' && steps > 0) {
    const frac = Math.min(1, Math.max(0, step / steps));
    const cells = 20;
    const filled = Math.round(frac * cells);
    parts.push(`[${'#'.repeat(filled)}${'-'.repeat(cells - filled)}] ${step}/${steps} (${Math.floor(frac * 100)}%)`);
  }
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) parts.push(`${k}=${fmt(v)}`);
  const line = parts.join(' ');
  return line.length > width ? `${line.slice(0, Math.max(0, width - 1))}…` : line;
}

export function createProgressLine(options: ProgressLineOptions = {}): ProgressLine {
  const stream: ProgressStream = options.stream ?? process.stderr;
  const tty = options.tty ?? stream.isTTY === true;
  const log = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const intervalMs = options.intervalMs ?? 10_000;
  const redrawMs = options.redrawMs ?? 100;
  let shown = '';
  let lastDraw = -Infinity;
  const lastLog = new Map<string, number>();

  const clear = (): void => {
    if (tty && shown !== '') stream.write('\r\x1b[2K');
  };
  const draw = (): void => {
    if (tty && shown !== '') stream.write(`\r\x1b[2K${shown}`);
  };

  return {
    tty,
    update(label, fields = {}) {
      const t = now();
      if (tty) {
        shown = formatProgress(label, fields, Math.max(20, (stream.columns ?? 120) - 1));
        if (t - lastDraw >= redrawMs) {
          lastDraw = t;
          draw();
        }
        return;
      }
      const prev = lastLog.get(label);
      if (prev === undefined || t - prev >= intervalMs) {
        lastLog.set(label, t);
        log.info(label, fields);
      }
    },
    done(label, fields = {}) {
      clear();
      shown = '';
      lastDraw = -Infinity;
      if (label !== undefined) {
        lastLog.delete(label);
        log.info(label, fields);
      }
    },
    wrapWrite(write) {
      clear();
      write();
      draw();
    },
  };
}
