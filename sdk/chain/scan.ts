/**
 * The one log-scanning cursor of every daemon: reads logs forward from a persisted block cursor, in
 * ranges of at most `maxRange` blocks (providers cap eth_getLogs), and advances the cursor after each
 * range is handled. A crash mid-range repeats that range, so handlers must be idempotent (they
 * insert-or-ignore by id).
 */
import type { PublicClient } from 'viem';
import type { Store } from '../daemon/store.ts';

/** Where a scan stands: the next block to read (undefined: never scanned). */
export interface BlockCursor {
  get(): bigint | undefined;
  set(next: bigint): void;
}

/** A cursor kept in the store's key-value table. */
export const storeCursor = (store: Store, key: string): BlockCursor => ({
  get: () => {
    const v = store.getValue<string>(key);
    return v === undefined ? undefined : BigInt(v);
  },
  set: (next) => {
    store.setValue(key, next.toString());
  },
});

export interface ScanOptions<T> {
  readonly publicClient: PublicClient;
  readonly cursor: BlockCursor;
  /** The first block when the cursor was never set (the deployment's block). */
  readonly start: bigint;
  /** Largest block range per read (default 5,000). */
  readonly maxRange?: bigint | undefined;
  /** Reads the logs of blocks from..to, inclusive. */
  readonly read: (from: bigint, to: bigint) => Promise<readonly T[]>;
  /** Handles one range's logs, in order; the cursor moves past the range once it returns. */
  readonly handle: (logs: readonly T[]) => Promise<void> | void;
  readonly signal?: AbortSignal | undefined;
}

/** Scans from the cursor up to the current head. */
export async function scanLogs<T>(o: ScanOptions<T>): Promise<void> {
  const head = await o.publicClient.getBlockNumber({ cacheTime: 0 });
  const range = o.maxRange ?? 5_000n;
  for (let from = o.cursor.get() ?? o.start; from <= head; from = o.cursor.get() ?? head + 1n) {
    o.signal?.throwIfAborted();
    const to = head - from >= range ? from + range - 1n : head;
    await o.handle(await o.read(from, to));
    o.cursor.set(to + 1n);
  }
}
