/**
 * The shape of a daemon, as libp2p has it: each service is a factory over its options and the
 * components it needs, with start()/stop(); one composition root starts them in order and stops
 * them in reverse. The clock is a component too (no Date.now() in protocol logic), and so is
 * randomness.
 */
import { sleep } from '../chain/retry.ts';
import { silentLogger, type Logger } from '../log.ts';

export interface Service {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  /** Resolves after `ms`, rejects with the signal's reason when it aborts first. */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleep(ms, signal),
};

/** Uniform [0, 1); injected so tests control it. */
export type Random = () => number;

/** Starts services in order; if one fails, stops those already started (reverse order) and rethrows. */
export async function startServices(services: readonly { name: string; service: Service }[], log: Logger = silentLogger): Promise<void> {
  const started: { name: string; service: Service }[] = [];
  for (const entry of services) {
    try {
      await entry.service.start();
      started.push(entry);
    } catch (err) {
      log.error('service failed to start', { service: entry.name, error: err });
      await stopServices(started, log);
      throw err;
    }
  }
}

/** Stops services in reverse order; logs (does not throw) failures so every one gets its stop. */
export async function stopServices(services: readonly { name: string; service: Service }[], log: Logger = silentLogger): Promise<void> {
  for (const entry of [...services].reverse()) {
    try {
      await entry.service.stop();
    } catch (err) {
      log.warn('service failed to stop cleanly', { service: entry.name, error: err });
    }
  }
}

export interface PollLoopOptions {
  readonly name: string;
  readonly intervalMs: number;
  readonly signal: AbortSignal;
  readonly clock?: Clock | undefined;
  readonly log?: Logger | undefined;
  /** Delay after a failed tick, doubled per consecutive failure up to this (default 30 s). */
  readonly maxBackoffMs?: number | undefined;
}

/**
 * Runs `tick` every `intervalMs` until the signal aborts. A failing tick is logged and retried
 * with backoff; the loop itself never rejects except with the signal's reason… which it swallows:
 * it resolves when stopped.
 */
export async function pollLoop(tick: (signal: AbortSignal) => Promise<void>, options: PollLoopOptions): Promise<void> {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? silentLogger;
  let failures = 0;
  const stopped = (): boolean => options.signal.aborted;
  while (!stopped()) {
    try {
      await tick(options.signal);
      failures = 0;
    } catch (err) {
      if (stopped()) break;
      failures++;
      log.warn(`${options.name} failed; retrying`, { error: err, failures });
    }
    const delay = failures === 0 ? options.intervalMs : Math.min(options.maxBackoffMs ?? 30_000, options.intervalMs * 2 ** Math.min(failures, 10));
    try {
      await clock.sleep(delay, options.signal);
    } catch {
      break;
    }
  }
}
