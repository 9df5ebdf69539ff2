/**
 * Sends each on-chain action at most once, across crashes. Every action has a key
 * (`<action>:<job>:<index>`, e.g. `commit:3:2`). Before anything is sent the intent is written;
 * the hash is written as soon as the transaction is broadcast; the outcome when it is mined.
 * On a retry (or after a restart) the journal first waits for a transaction it already sent, then
 * asks the chain whether the action's effect is already there (`done`), and only then sends.
 * A revert whose effect is in fact on the chain (a race with ourselves) counts as done.
 */
import type { Hex } from 'viem';
import { ChainError, sleep, type Logger, type TxSender, type WalletChainClient } from '../../sdk/index.ts';
import type { SolverDb } from '../db.ts';
import type { SolverMetrics } from './metrics.ts';

export interface JournalAction {
  readonly action: string;
  readonly jobId?: bigint | undefined;
  readonly index?: number | undefined;
  /** Whether the action's effect is already on the chain. */
  done(signal: AbortSignal): Promise<boolean>;
  /** Sends the transaction; must call onBroadcast with its hash. */
  send(sender: TxSender, onBroadcast: (hash: Hex) => void, signal: AbortSignal): Promise<{ hash: Hex }>;
}

export type JournalOutcome = { readonly status: 'mined'; readonly hash: Hex } | { readonly status: 'skipped' };

export interface TxJournal {
  /** Runs the action unless its effect is already on the chain. */
  once(action: JournalAction, signal: AbortSignal): Promise<JournalOutcome>;
}

export const journalKey = (action: string, jobId: bigint | undefined, index: number | undefined): string => `${action}:${jobId?.toString() ?? '-'}:${index ?? 0}`;

export function createTxJournal(components: { db: SolverDb; client: WalletChainClient; logger: Logger; metrics?: SolverMetrics | undefined }): TxJournal {
  const { db, client } = components;
  const log = components.logger.child({ component: 'tx-journal' });
  const account = client.signer.address;

  /** Waits until no transaction of ours is pending (after a crash between broadcast and recording its hash). */
  async function drainPending(signal: AbortSignal): Promise<void> {
    for (let i = 0; i < 120; i++) {
      const [pending, latest] = await Promise.all([
        client.publicClient.getTransactionCount({ address: account, blockTag: 'pending' }),
        client.publicClient.getTransactionCount({ address: account, blockTag: 'latest' }),
      ]);
      if (pending <= latest) return;
      if (i === 0) log.info('waiting for our pending transactions before reconciling', { pending, latest });
      await sleep(client.pollingIntervalMs, signal);
    }
  }

  return {
    async once(a, signal) {
      const key = journalKey(a.action, a.jobId, a.index);
      const base = { key, job_id: a.jobId?.toString() ?? null, action: a.action, idx: a.index ?? 0 };
      const row = db.tx(key);
      if (row?.status === 'mined' && row.hash !== null) return { status: 'mined', hash: row.hash };
      if (row?.status === 'skipped') return { status: 'skipped' };
      if (row?.status === 'sent' && row.hash !== null) {
        try {
          await client.sender.waitForReceipt(row.hash, { signal, action: a.action });
          db.putTx({ ...base, status: 'mined', hash: row.hash, error: null });
          log.info('transaction sent before a restart was mined', { key, hash: row.hash });
          return { status: 'mined', hash: row.hash };
        } catch (err) {
          signal.throwIfAborted();
          log.warn('transaction sent before a restart did not go through; reconciling', { key, hash: row.hash, error: err });
        }
      }
      if (row?.status === 'intent') await drainPending(signal);
      if (await a.done(signal)) {
        db.putTx({ ...base, status: 'skipped', hash: null, error: null });
        log.info('already on chain; not sending', { key });
        return { status: 'skipped' };
      }
      db.putTx({ ...base, status: 'intent', hash: null, error: null });
      try {
        const { hash } = await a.send(client.sender, (h) => { db.putTx({ ...base, status: 'sent', hash: h, error: null }); }, signal);
        db.putTx({ ...base, status: 'mined', hash, error: null });
        components.metrics?.txs.inc(1, { action: a.action, outcome: 'mined' });
        return { status: 'mined', hash };
      } catch (err) {
        signal.throwIfAborted();
        if (err instanceof ChainError && err.code === 'CHAIN_REVERTED' && (await a.done(signal).catch(() => false))) {
          db.putTx({ ...base, status: 'skipped', hash: null, error: null });
          log.info('reverted because it was already done', { key, error: err.errorName });
          return { status: 'skipped' };
        }
        components.metrics?.txs.inc(1, { action: a.action, outcome: 'failed' });
        db.putTx({ ...base, status: 'failed', hash: null, error: err instanceof Error ? err.message.slice(0, 500) : String(err) });
        throw err;
      }
    },
  };
}
