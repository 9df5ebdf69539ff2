/**
 * Retries with exponential backoff on transient RPC failures (network errors, timeouts, rate
 * limits, overloaded nodes), never on reverts or on the caller's cancellation.
 */
import { ChainError } from '../errors.ts';
import { isRevert } from './revert.ts';

export interface RetryOptions {
  /** Tries in all, the first included (default 5). */
  readonly attempts?: number | undefined;
  /** Delay before the second try (default 250 ms); doubles each time up to maxDelayMs. */
  readonly baseDelayMs?: number | undefined;
  /** Ceiling of one delay (default 8 s). */
  readonly maxDelayMs?: number | undefined;
  /** Uniform [0, 1) source for jitter; injected so tests control it (default Math.random). */
  readonly random?: (() => number) | undefined;
}

export const DEFAULT_RETRY: Required<{ [K in keyof RetryOptions]: NonNullable<RetryOptions[K]> }> = {
  attempts: 5,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  random: Math.random,
};

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const TRANSIENT_NAMES = new Set([
  'HttpRequestError',
  'TimeoutError',
  'SocketClosedError',
  'WebSocketRequestError',
  'LimitExceededRpcError',
  'ResourceUnavailableRpcError',
  'InternalRpcError',
  'UnknownRpcError',
]);
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
]);

/** Whether `err` is worth retrying: a network or node-side hiccup, not a revert or a bad request. */
export function isTransient(err: unknown): boolean {
  if (isRevert(err)) return false;
  // Already retried to the end (by the chain client's transport): one policy, not retries of retries.
  if (err instanceof ChainError && err.code === 'CHAIN_RPC_FAILED') return false;
  const seen = new Set<unknown>();
  let cur: unknown = err;
  while (typeof cur === 'object' && cur !== null && !seen.has(cur)) {
    seen.add(cur);
    const e = cur as { name?: unknown; code?: unknown; status?: unknown; message?: unknown };
    if (e.name === 'AbortError') return false;
    if (e.name === 'HttpRequestError' && typeof e.status === 'number' && e.status >= 400 && e.status < 500 && e.status !== 429 && e.status !== 408)
      return false;
    if (typeof e.name === 'string' && TRANSIENT_NAMES.has(e.name)) return true;
    if (typeof e.code === 'string' && TRANSIENT_CODES.has(e.code)) return true;
    if (e.code === -32005 || e.code === 429) return true;
    if (typeof e.message === 'string' && /fetch failed|socket hang up|network error|rate limit|too many requests|header not found/i.test(e.message))
      return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Runs `fn` until it succeeds, retrying transient failures with exponential backoff and jitter.
 * After the last try, a transient failure becomes ChainError CHAIN_RPC_FAILED; anything else is
 * rethrown as is.
 *
 * @example
 * ```ts
 * const block = await withRetry((signal) => publicClient.getBlockNumber(), { signal });
 * ```
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions & { signal?: AbortSignal | undefined; action?: string | undefined } = {},
): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? DEFAULT_RETRY.attempts);
  const base = options.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs;
  const max = options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  const random = options.random ?? DEFAULT_RETRY.random;
  for (let attempt = 1; ; attempt++) {
    options.signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (err) {
      options.signal?.throwIfAborted();
      if (!isTransient(err)) throw err;
      if (attempt >= attempts) {
        throw new ChainError(
          'CHAIN_RPC_FAILED',
          `${options.action ?? 'RPC call'} failed after ${attempts} tries: ${err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err)}`,
          { cause: err, details: { attempts } },
        );
      }
      const delay = Math.min(max, base * 2 ** (attempt - 1)) * (0.5 + random() / 2);
      await sleep(delay, options.signal);
    }
  }
}
