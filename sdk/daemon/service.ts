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

/** A service by name, made by its factory when its turn to start comes. */
export interface ServiceEntry {
  readonly name: string;
  /** Builds the service; it may use what the services before it started (Helia rides on a started libp2p). */
  readonly create: () => Service | Promise<Service>;
}

export interface RunningService {
  readonly name: string;
  readonly service: Service;
}

/**
 * Creates and starts the services in order, each pushed onto `running` once started (so a caller's
 * stop sees what runs even while a start is in flight). If one fails to build or start, stops those
 * already started (reverse order), empties `running` and rethrows.
 */
export async function startServices(entries: readonly ServiceEntry[], log: Logger = silentLogger, running: RunningService[] = []): Promise<RunningService[]> {
  for (const entry of entries) {
    try {
      const service = await entry.create();
      await service.start();
      running.push({ name: entry.name, service });
    } catch (err) {
      log.error('service failed to start', { service: entry.name, error: err });
      await stopServices(running.splice(0), log);
      throw err;
    }
  }
  return running;
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
