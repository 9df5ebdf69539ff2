/**
 * Sends each on-chain action at most once, across crashes: the one transaction journal of every
 * daemon role. Every action has a key (`<action>:<job>:<index>`, e.g. `commit:3:2`). Before
 * anything is sent the intent is written; the hash as soon as the transaction is broadcast; the
 * outcome when it is mined. On a retry (or after a restart) the journal first waits for a
 * transaction it already sent, then asks the chain whether the action's effect is already there
 * (`done`), and only then sends. A revert whose effect is in fact on the chain (a race with
 * ourselves) counts as done.
 *
 * The rows live in the daemon's store, in the table `TX_JOURNAL_SCHEMA` creates (a daemon lists
 * it among its migrations).
 */
import type { Address, Hex, PublicClient } from 'viem';
import { ChainError } from '../errors.ts';
import { sleep } from '../chain/retry.ts';
import type { TxSender } from '../chain/sender.ts';
import type { Logger } from '../log.ts';
import type { Store } from './store.ts';

/** The journal's table, as a migration. */
export const TX_JOURNAL_SCHEMA = `CREATE TABLE txs (
  key TEXT PRIMARY KEY,
  job_id TEXT,
  action TEXT NOT NULL,
  idx INTEGER NOT NULL,
  status TEXT NOT NULL,
  hash TEXT,
  error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);`;

export type TxStatus = 'intent' | 'sent' | 'mined' | 'skipped' | 'failed';

export interface TxRow {
  readonly key: string;
  readonly job_id: string | null;
  readonly action: string;
  readonly idx: number;
  readonly status: TxStatus;
  readonly hash: Hex | null;
  readonly error: string | null;
  readonly created_at: number;
  readonly updated_at: number;
}

export interface JournalAction {
  readonly action: string;
  readonly jobId?: bigint | undefined;
  readonly index?: number | undefined;
  /** Tells repeats of one action on one (job, index) apart, e.g. a dispute's moves (part of the key only). */
  readonly detail?: string | undefined;
  /** Whether the action's effect is already on the chain. */
  done(signal: AbortSignal): Promise<boolean>;
  /** Sends the transaction; must call onBroadcast with its hash. */
  send(sender: TxSender, onBroadcast: (hash: Hex) => void, signal: AbortSignal): Promise<{ hash: Hex }>;
}

export type JournalOutcome = { readonly status: 'mined'; readonly hash: Hex } | { readonly status: 'skipped' };

export interface TxJournal {
  /** The account whose transactions it journals. */
  readonly account: Address;
  /** Runs the action unless its effect is already on the chain. */
  once(action: JournalAction, signal: AbortSignal): Promise<JournalOutcome>;
}

export interface TxJournalOptions {
  readonly store: Store;
  readonly publicClient: PublicClient;
  /** The account's one sender (its nonce lock must see every transaction of the account). */
  readonly sender: TxSender;
  readonly logger: Logger;
  readonly now: () => number;
  /** Delay between polls while waiting for our pending transactions (default 1 s). */
  readonly pollingIntervalMs?: number | undefined;
  /** Called for every transaction sent, with its outcome (metrics). */
  readonly onOutcome?: ((action: string, outcome: 'mined' | 'failed') => void) | undefined;
}

export const journalKey = (action: string, jobId: bigint | undefined, index: number | undefined, detail?: string): string =>
  `${action}:${jobId?.toString() ?? '-'}:${index ?? 0}${detail === undefined ? '' : `:${detail}`}`;

/** The journal's rows (a job's, or all), oldest first: for status commands. */
export function journalRows(store: Store, jobId?: bigint): TxRow[] {
  return jobId === undefined
    ? store.all<TxRow>('SELECT * FROM txs ORDER BY created_at')
    : store.all<TxRow>('SELECT * FROM txs WHERE job_id = ? ORDER BY created_at', jobId.toString());
}

export function createTxJournal(o: TxJournalOptions): TxJournal {
  const { store, sender } = o;
  const log = o.logger.child({ component: 'tx-journal' });
  const pollMs = o.pollingIntervalMs ?? 1_000;
  const row = (key: string): TxRow | undefined => store.get<TxRow>('SELECT * FROM txs WHERE key = ?', key);
  const put = (r: Omit<TxRow, 'created_at' | 'updated_at'>): void => {
    const t = o.now();
    store.run(
      `INSERT INTO txs (key, job_id, action, idx, status, hash, error, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(key) DO UPDATE SET status = excluded.status, hash = COALESCE(excluded.hash, txs.hash), error = excluded.error, updated_at = excluded.updated_at`,
      r.key,
      r.job_id,
      r.action,
      r.idx,
      r.status,
      r.hash,
      r.error,
      t,
      t,
    );
  };

  /** Waits until no transaction of ours is pending (after a crash between broadcast and recording its hash). */
  async function drainPending(signal: AbortSignal): Promise<void> {
    for (let i = 0; i < 120; i++) {
      const [pending, latest] = await Promise.all([
        o.publicClient.getTransactionCount({ address: sender.address, blockTag: 'pending' }),
        o.publicClient.getTransactionCount({ address: sender.address, blockTag: 'latest' }),
      ]);
      if (pending <= latest) return;
      if (i === 0) log.info('waiting for our pending transactions before reconciling', { pending, latest });
      await sleep(pollMs, signal);
    }
  }

  return {
    account: sender.address,
    async once(a, signal) {
      const key = journalKey(a.action, a.jobId, a.index, a.detail);
      const base = { key, job_id: a.jobId?.toString() ?? null, action: a.action, idx: a.index ?? 0 };
      const prior = row(key);
      if (prior?.status === 'mined' && prior.hash !== null) return { status: 'mined', hash: prior.hash };
      if (prior?.status === 'skipped') return { status: 'skipped' };
      if (prior?.status === 'sent' && prior.hash !== null) {
        try {
          await sender.waitForReceipt(prior.hash, { signal, action: a.action });
          put({ ...base, status: 'mined', hash: prior.hash, error: null });
          log.info('transaction sent before a restart was mined', { key, hash: prior.hash });
          return { status: 'mined', hash: prior.hash };
        } catch (err) {
          signal.throwIfAborted();
          log.warn('transaction sent before a restart did not go through; reconciling', { key, hash: prior.hash, error: err });
        }
      }
      if (prior?.status === 'intent') await drainPending(signal);
      if (await a.done(signal)) {
        put({ ...base, status: 'skipped', hash: null, error: null });
        log.info('already on chain; not sending', { key });
        return { status: 'skipped' };
      }
      put({ ...base, status: 'intent', hash: null, error: null });
      try {
        const { hash } = await a.send(
          sender,
          (h) => {
            put({ ...base, status: 'sent', hash: h, error: null });
          },
          signal,
        );
        put({ ...base, status: 'mined', hash, error: null });
        o.onOutcome?.(a.action, 'mined');
        return { status: 'mined', hash };
      } catch (err) {
        signal.throwIfAborted();
        if (err instanceof ChainError && err.code === 'CHAIN_REVERTED' && (await a.done(signal).catch(() => false))) {
          put({ ...base, status: 'skipped', hash: null, error: null });
          log.info('reverted because it was already done', { key, error: err.errorName });
          return { status: 'skipped' };
        }
        o.onOutcome?.(a.action, 'failed');
        put({ ...base, status: 'failed', hash: null, error: err instanceof Error ? err.message.slice(0, 500) : String(err) });
        throw err;
      }
    },
  };
}
