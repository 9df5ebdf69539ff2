import type { Address, Hex } from 'viem';
import { jobMarketAbi } from '../abi/index.ts';
import { marketAddress, requireWallet, type ChainClient } from '../chain/client.ts';
import { checkpointsOf, type CommittedCheckpoint } from '../chain/checkpoints.ts';
import { cidFromBytes, getJobEvents, readJob, watchJobEvents, type JobEvent, type JobRecord } from '../chain/market.ts';
import { withRetry } from '../chain/retry.ts';

import { cidOfSpecHash } from '../spec/job-spec.ts';
import type { OnProgress } from './progress.ts';

export interface JobInfo extends JobRecord {
  readonly specCid: string;
  /** Committed checkpoints in index order (the final one, index checkpointCount, included once submitted). */
  readonly checkpoints: readonly CommittedCheckpoint[];
  readonly disputes: { readonly opened: number; readonly closed: number; readonly open: number };
  /** Time-derived states, as the contract's views see them now. */
  readonly finalizable: boolean;
  readonly expirable: boolean;
  readonly disputable: boolean;
  readonly events: readonly JobEvent[];
}

export interface GetJobParameters {
  readonly jobId: bigint;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Reads a job: its stored record, checkpoints and disputes from its events, and the time-derived
 * views. Throws ChainError JOB_NOT_FOUND for an unknown id.
 *
 * @example
 * ```ts
 * const job = await getJob(client, { jobId: 1n, signal: AbortSignal.timeout(30_000) });
 * console.log(job.status, job.checkpoints.length, job.finalizable);
 * ```
 */
export async function getJob(client: ChainClient, params: GetJobParameters): Promise<JobInfo> {
  const { jobId, signal } = params;
  const blockNumber = await withRetry(() => client.publicClient.getBlockNumber({ cacheTime: 0 }), { ...client.retry, signal, action: 'getBlockNumber' });
  const record = await readJob(client, jobId, { signal, blockNumber });
  const view = (functionName: 'isFinalizable' | 'isExpirable' | 'isDisputable') =>
    withRetry(() => client.publicClient.readContract({ address: marketAddress(client), abi: jobMarketAbi, functionName, args: [jobId], blockNumber }), {
      ...client.retry,
      signal,
      action: functionName,
    });
  const [events, finalizable, expirable, disputable] = await Promise.all([
    getJobEvents(client, { jobId, toBlock: blockNumber, signal }),
    view('isFinalizable'),
    view('isExpirable'),
    view('isDisputable'),
  ]);
  const opened = events.filter((e) => e.name === 'DisputeOpened').length;
  const closed = events.filter((e) => e.name === 'DisputeClosed').length;
  return {
    ...record,
    specCid: cidOfSpecHash(record.specHash),
    checkpoints: checkpointsOf(events),
    disputes: { opened, closed, open: record.openDisputes },
    finalizable,
    expirable,
    disputable,
    events,
  };
}

export interface WatchJobParameters {
  readonly jobId: bigint;
  /** Report from this block on (default: the job's whole history, then live). */
  readonly fromBlock?: bigint | undefined;
  /** Report events this many blocks deep (default 1). */
  readonly confirmations?: number | undefined;
  /** End after Cancelled, Finalized, Expired or Slashed (default true). */
  readonly untilSettled?: boolean | undefined;
  readonly pollingIntervalMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

/**
 * A job's events, decoded, as an async iterator: the history first, then live as they are mined.
 * Stops after the job settles (or when the signal aborts, rejecting with its reason).
 *
 * @example
 * ```ts
 * for await (const event of watchJob(client, { jobId: 1n, signal: AbortSignal.timeout(3_600_000) })) {
 *   console.log(describeJobEvent(event));
 * }
 * ```
 */
export function watchJob(client: ChainClient, params: WatchJobParameters): AsyncIterable<JobEvent> {
  return watchJobEvents(client, params);
}

const when = (t: number | bigint): string => new Date(Number(t) * 1000).toISOString();

/** One line saying what an event means, for logs and CLIs. */
export function describeJobEvent(event: JobEvent): string {
  switch (event.name) {
    case 'JobPosted':
      return `job ${event.args.jobId} posted by ${event.args.submitter}: payment ${event.args.payment}, stake ${event.args.solverStake}, ${event.args.checkpointCount} intervals, claim by ${when(event.args.claimDeadline)}`;
    case 'JobCancelled':
      return `job ${event.args.jobId} cancelled; payment credited back to the submitter`;
    case 'JobClaimed':
      return `job ${event.args.jobId} claimed by ${event.args.solver}; training deadline ${when(event.args.trainingDeadline)}`;
    case 'CheckpointCommitted':
      return `job ${event.args.jobId} checkpoint ${event.args.index} committed: root ${event.args.stateRoot}, cid ${cidFromBytes(event.args.cid) ?? '(not a CID)'}`;
    case 'JobSubmitted':
      return `job ${event.args.jobId} submitted; challenge window until ${when(event.args.challengeDeadline)}`;
    case 'JobFinalized':
      return `job ${event.args.jobId} finalized; solver ${event.args.solver} paid`;
    case 'JobExpired':
      return `job ${event.args.jobId} expired: solver ${event.args.solver} missed its deadline, stake ${event.args.stake} slashed, payment refunded`;
    case 'JobSlashed':
      return `job ${event.args.jobId} slashed: challenger ${event.args.challenger} proved fraud by ${event.args.solver}; payment refunded`;
    case 'DisputeOpened':
      return `job ${event.args.jobId} dispute opened (${event.args.openDisputes} open)`;
    case 'DisputeClosed':
      return `job ${event.args.jobId} dispute closed, ${DISPUTE_OUTCOMES[event.args.outcome] ?? 'unknown outcome'} (${event.args.openDisputes} open)`;
    case 'TrainingDeadlineExtended':
      return `job ${event.args.jobId} training deadline extended to ${when(event.args.trainingDeadline)} (disputes were open)`;
  }
}

/** IJobMarket.DisputeOutcome, as the market's DisputeClosed event carries it. */
const DISPUTE_OUTCOMES = ['solver won', 'challenger won', 'abandoned (the job was settled by another dispute)'] as const;

export interface CancelJobParameters {
  readonly jobId: bigint;
  /** Also withdraw the refunded credit to the wallet (default true). */
  readonly withdraw?: boolean | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: OnProgress | undefined;
}

export interface CancelJobReturnType {
  readonly txHash: Hex;
  readonly withdrawTxHash: Hex | undefined;
  /** Tokens paid out by the withdrawal (the whole credit of the token; 0 without one). */
  readonly withdrawn: bigint;
  readonly token: Address;
}

/**
 * Cancels an Open job (only its submitter, only before a solver claims it) and, by default,
 * withdraws the refund. Reverts come back decoded, e.g. ChainError with errorName
 * 'JobUnexpectedStatus': "job 3 is Claimed, expected Open".
 *
 * @example
 * ```ts
 * const { withdrawn } = await cancelJob(client, { jobId: 1n, signal: AbortSignal.timeout(120_000) });
 * ```
 */
export async function cancelJob(client: ChainClient, params: CancelJobParameters): Promise<CancelJobReturnType> {
  const wallet = requireWallet(client, 'cancelJob');
  const { signal, onProgress } = params;
  const job = await readJob(wallet, params.jobId, { signal });
  onProgress?.({ phase: 'cancel' });
  const cancelled = await wallet.sender.writeContract({
    address: marketAddress(wallet),
    abi: jobMarketAbi,
    functionName: 'cancelJob',
    args: [params.jobId],
    signal,
    onBroadcast: (hash) => {
      onProgress?.({ phase: 'cancel', ref: hash });
    },
  });
  let withdrawTxHash: Hex | undefined;
  let withdrawn = 0n;
  if (params.withdraw ?? true) {
    const result = await withdrawCredit(wallet, { token: job.token, signal, onProgress });
    withdrawTxHash = result.txHash;
    withdrawn = result.amount;
  }
  return { txHash: cancelled.hash, withdrawTxHash, withdrawn, token: job.token };
}

export interface WithdrawCreditParameters {
  readonly token: Address;
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: OnProgress | undefined;
}

/**
 * Withdraws the caller's whole market credit of `token` (refunds, payments, slash shares). Sends
 * nothing when the credit is zero.
 *
 * @example
 * ```ts
 * const { amount } = await withdrawCredit(client, { token: client.deployment.paymentTokens[0]! });
 * ```
 */
export async function withdrawCredit(client: ChainClient, params: WithdrawCreditParameters): Promise<{ txHash: Hex | undefined; amount: bigint }> {
  const wallet = requireWallet(client, 'withdraw');
  const credit = await withRetry(
    () =>
      wallet.publicClient.readContract({
        address: marketAddress(wallet),
        abi: jobMarketAbi,
        functionName: 'creditOf',
        args: [wallet.signer.address, params.token],
      }),
    { ...wallet.retry, signal: params.signal, action: 'creditOf' },
  );
  if (credit === 0n) return { txHash: undefined, amount: 0n };
  params.onProgress?.({ phase: 'withdraw' });
  const sent = await wallet.sender.writeContract({
    address: marketAddress(wallet),
    abi: jobMarketAbi,
    functionName: 'withdraw',
    args: [params.token],
    signal: params.signal,
    onBroadcast: (hash) => {
      params.onProgress?.({ phase: 'withdraw', ref: hash });
    },
  });
  return { txHash: sent.hash, amount: credit };
}
