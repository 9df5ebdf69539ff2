/**
 * The devnet's child processes: each role (submitter, solvers, verifier) runs as its own Node
 * process through its own CLI. Every JSON line it prints (stdout or stderr) is parsed and kept;
 * `waitFor` resolves on the first line that matches, and rejects when the process exits first.
 * `stop` sends SIGTERM and, after a grace period, SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { VeritrainError } from '../../sdk/errors.ts';

/** A parsed JSON line of a child: a daemon's log line (`msg`, `level`) or a program's event (`event`). */
export interface ChildLine {
  readonly msg?: string;
  readonly level?: string;
  readonly event?: string;
  readonly [field: string]: unknown;
}

export interface RoleProcess {
  readonly role: string;
  readonly child: ChildProcess;
  /** Every JSON line so far, in order. */
  readonly lines: ChildLine[];
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  waitFor(predicate: (line: ChildLine) => boolean, timeoutMs: number, what?: string): Promise<ChildLine>;
  /** The last lines of output, raw, for error messages. */
  tail(count?: number): string;
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnRoleOptions {
  readonly role: string;
  /** A Node program (a .ts file runs natively) and its arguments. */
  readonly program: string;
  readonly args?: readonly string[] | undefined;
  /** Added to the parent's environment, from which every VERITRAIN_* variable is removed first. */
  readonly env?: Readonly<Record<string, string>> | undefined;
  readonly cwd?: string | undefined;
  readonly onLine?: ((line: ChildLine, role: string) => void) | undefined;
  /** Lines that are not JSON (a stack trace, a usage message). */
  readonly onText?: ((text: string, role: string) => void) | undefined;
  /** Every line of output is appended to this file too. */
  readonly logFile?: string | undefined;
}

/** The parent's environment without VERITRAIN_* variables, so the user's shell cannot redirect a devnet child. */
export function cleanEnv(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('VERITRAIN_')) out[k] = v;
  return { ...out, ...extra };
}

export function spawnRole(options: SpawnRoleOptions): RoleProcess {
  const { role } = options;
  const child = spawn(process.execPath, ['--no-warnings', options.program, ...(options.args ?? [])], {
    cwd: options.cwd,
    env: cleanEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: ChildLine[] = [];
  const raw: string[] = [];
  const waiters = new Set<() => void>();
  const file = options.logFile === undefined ? undefined : createWriteStream(options.logFile, { flags: 'a' });
  const onRaw = (text: string): void => {
    file?.write(`${text}\n`);
    raw.push(text);
    if (raw.length > 60) raw.shift();
    let parsed: unknown;
    try {
      parsed = text.startsWith('{') ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (typeof parsed === 'object' && parsed !== null) {
      const line = parsed as ChildLine;
      lines.push(line);
      options.onLine?.(line, role);
    } else if (text.trim() !== '') {
      options.onText?.(text, role);
    }
    for (const w of waiters) w();
  };
  createInterface({ input: child.stdout }).on('line', onRaw);
  createInterface({ input: child.stderr }).on('line', onRaw);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      file?.end();
      resolve(code);
      for (const w of waiters) w();
    });
  });
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  const tail = (count = 15): string => raw.slice(-count).join('\n');

  return {
    role,
    child,
    lines,
    exited,
    tail,
    waitFor(predicate, timeoutMs, what = 'a line') {
      return new Promise<ChildLine>((resolve, reject) => {
        let seen = 0;
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        const check = (): void => {
          for (; seen < lines.length; seen++) {
            const line = lines[seen] as ChildLine;
            if (predicate(line)) {
              done();
              resolve(line);
              return;
            }
          }
          if (!running()) {
            done();
            reject(
              new VeritrainError('PEER_FAILED', `${role} exited (code ${child.exitCode ?? child.signalCode ?? '?'}) while waiting for ${what}:\n${tail()}`),
            );
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new VeritrainError('PEER_FAILED', `${role}: timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}:\n${tail()}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async stop(graceMs = 5_000) {
      if (!running()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (running()) child.kill('SIGKILL');
      }, graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
