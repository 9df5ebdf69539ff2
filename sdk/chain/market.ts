/**
 * Typed reads of the market shared by every role: a job's record, its events (decoded, ordered,
 * fetched in bounded block ranges), and a watcher that yields them as an async iterator.
 */
import { CID } from 'multiformats/cid';
import type { Address, DecodeEventLogReturnType, Hex, PublicClient } from 'viem';
import { bytesToHex, decodeEventLog, hexToBytes, numberToHex, pad } from 'viem';
import { jobMarketAbi } from '../abi/index.ts';
import { ChainError } from '../errors.ts';
import { marketAddress, type ChainClient } from './client.ts';
import { jobStatusName, type JobStatusName } from './revert.ts';
import { sleep, withRetry, type RetryOptions } from './retry.ts';

export const JOB_EVENT_NAMES = [
  'JobPosted',
  'JobCancelled',
  'JobClaimed',
  'CheckpointCommitted',
  'JobSubmitted',
  'JobFinalized',
  'JobExpired',
  'JobSlashed',
  'DisputeOpened',
  'DisputeClosed',
  'TrainingDeadlineExtended',
] as const;
export type JobEventName = (typeof JOB_EVENT_NAMES)[number];

/** A decoded market event of one job, with where it happened. */
export type JobEvent = {
  [N in JobEventName]: {
    readonly name: N;
    readonly args: DecodeEventLogReturnType<typeof jobMarketAbi, N>['args'];
    readonly blockNumber: bigint;
    readonly transactionHash: Hex;
    readonly logIndex: number;
  };
}[JobEventName];

/** Events after which nothing more happens to a job (Slashed is final even with other disputes open). */
export const TERMINAL_EVENTS: ReadonlySet<JobEventName> = new Set(['JobCancelled', 'JobFinalized', 'JobExpired', 'JobSlashed']);

/** A job as stored, with names for its status. */
export interface JobRecord {
  readonly jobId: bigint;
  readonly status: JobStatusName;
  readonly submitter: Address;
  /** Zero address while Open. */
  readonly solver: Address;
  readonly specHash: Hex;
  readonly token: Address;
  readonly payment: bigint;
  readonly solverStake: bigint;
  /** Index of the final checkpoint (N/k); checkpoints 0..checkpointCount exist when done. */
  readonly checkpointCount: number;
  readonly openDisputes: number;
  /** Unix seconds; 0 when not set yet. */
  readonly claimDeadline: number;
  readonly trainingDuration: number;
  readonly trainingDeadline: number;
  readonly challengeWindow: number;
  readonly challengeDeadline: number;
}

/**
 * The CID string of the bytes a CheckpointCommitted event carries (binary CID), or undefined when
 * they are no CID: the solver chose them, so a reader treats that as content withheld, not as an error.
 */
export function cidFromBytes(bytes: Hex): string | undefined {
  try {
    return CID.decode(hexToBytes(bytes)).toString();
  } catch {
    return undefined;
  }
}

/** The binary form of a CID string, as commitCheckpoint and submitFinal take it. */
export function cidToBytes(cid: string): Hex {
  return bytesToHex(CID.parse(cid).bytes);
}

/**
 * Reads a job's stored record; throws ChainError JOB_NOT_FOUND for an unknown id.
 *
 * @example
 * ```ts
 * const job = await readJob(client, 3n, { signal: AbortSignal.timeout(10_000) });
 * console.log(job.status, job.checkpointCount);
 * ```
 */
export async function readJob(
  client: ChainClient,
  jobId: bigint,
  options: { signal?: AbortSignal | undefined; blockNumber?: bigint | undefined } = {},
): Promise<JobRecord> {
  const job = await withRetry(
    () =>
      client.publicClient.readContract({
        address: marketAddress(client),
        abi: jobMarketAbi,
        functionName: 'getJob',
        args: [jobId],
        ...(options.blockNumber === undefined ? {} : { blockNumber: options.blockNumber }),
      }),
    { ...client.retry, signal: options.signal, action: 'getJob' },
  );
  if (job.status === 0)
    throw new ChainError('JOB_NOT_FOUND', `job ${jobId} does not exist on chain ${client.chainId}`, { details: { jobId: jobId.toString() } });
  return {
    jobId,
    status: jobStatusName(job.status) as JobStatusName,
    submitter: job.submitter,
    solver: job.solver,
    specHash: job.specHash,
    token: job.token,
    payment: job.payment,
    solverStake: job.solverStake,
    checkpointCount: job.checkpointCount,
    openDisputes: job.openDisputes,
    claimDeadline: job.claimDeadline,
    trainingDuration: job.trainingDuration,
    trainingDeadline: job.trainingDeadline,
    challengeWindow: job.challengeWindow,
    challengeDeadline: job.challengeDeadline,
  };
}

export interface GetJobEventsParameters {
  readonly jobId: bigint;
  /** Defaults to the deployment block. */
  readonly fromBlock?: bigint | undefined;
  /** Defaults to the latest block. */
  readonly toBlock?: bigint | undefined;
  /** Largest block range per eth_getLogs call (default 10,000; many providers cap it). */
  readonly maxBlockRange?: bigint | undefined;
  readonly signal?: AbortSignal | undefined;
}

const JOB_EVENTS = new Set<string>(JOB_EVENT_NAMES);

interface RpcLog {
  readonly topics: readonly Hex[];
  readonly data: Hex;
  readonly blockNumber: Hex;
  readonly transactionHash: Hex;
  readonly logIndex: Hex;
  readonly removed?: boolean;
}

/**
 * Every market event of one job in a block range, decoded and in chain order.
 *
 * @example
 * ```ts
 * for (const e of await getJobEvents(client, { jobId: 3n })) console.log(e.blockNumber, e.name);
 * ```
 */
export async function getJobEvents(client: ChainClient, params: GetJobEventsParameters): Promise<JobEvent[]> {
  return jobEventsFrom(marketSource(client), params);
}

/** Where a job's events and checkpoint chain are read from: a public client and the market. */
export interface MarketSource {
  readonly publicClient: PublicClient;
  readonly market: Address;
  /** First block with market events (the deployment block); defaults to 0. */
  readonly fromBlock?: bigint | undefined;
  readonly retry?: RetryOptions | undefined;
}

/** A chain client's market as a MarketSource. */
export function marketSource(client: ChainClient): MarketSource {
  return { publicClient: client.publicClient, market: marketAddress(client), fromBlock: BigInt(client.deployment.deployedAt), retry: client.retry };
}

/** getJobEvents for any MarketSource (the game clients of the dispute SDK have no ChainClient). */
export async function jobEventsFrom(source: MarketSource, params: GetJobEventsParameters): Promise<JobEvent[]> {
  const { publicClient, retry } = source;
  const from = params.fromBlock ?? source.fromBlock ?? 0n;
  const to =
    params.toBlock ?? (await withRetry(() => publicClient.getBlockNumber({ cacheTime: 0 }), { ...retry, signal: params.signal, action: 'getBlockNumber' }));
  const step = params.maxBlockRange ?? 10_000n;
  const topic = pad(numberToHex(params.jobId), { size: 32 });
  const out: JobEvent[] = [];
  for (let start = from; start <= to; start += step) {
    const end = start + step - 1n < to ? start + step - 1n : to;
    const logs = await withRetry<RpcLog[]>(
      () =>
        publicClient.request({
          method: 'eth_getLogs',
          params: [{ address: source.market, fromBlock: numberToHex(start), toBlock: numberToHex(end), topics: [null, topic] }],
        }),
      { ...retry, signal: params.signal, action: 'eth_getLogs' },
    );
    for (const log of logs) {
      if (log.removed === true) continue;
      let decoded;
      try {
        decoded = decodeEventLog({ abi: jobMarketAbi, topics: log.topics as [Hex, ...Hex[]], data: log.data });
      } catch {
        continue; // not one of ours
      }
      if (!JOB_EVENTS.has(decoded.eventName)) continue;
      if ((decoded.args as { jobId?: unknown }).jobId !== params.jobId) continue;
      out.push({
        name: decoded.eventName,
        args: decoded.args,
        blockNumber: BigInt(log.blockNumber),
        transactionHash: log.transactionHash,
        logIndex: Number(log.logIndex),
      } as JobEvent);
    }
  }
  return out;
}

export interface WatchJobEventsParameters {
  readonly jobId: bigint;
  /** First block to report from; defaults to the deployment block (the whole history, then live). */
  readonly fromBlock?: bigint | undefined;
  /** Only report events this many blocks deep (default 1: as soon as mined). */
  readonly confirmations?: number | undefined;
  /** Stop after a terminal event (Cancelled, Finalized, Expired, Slashed); default true. */
  readonly untilSettled?: boolean | undefined;
  readonly pollingIntervalMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Yields a job's market events, past then live, by polling eth_getLogs (works on any HTTP RPC,
 * survives node restarts). Ends after a terminal event unless `untilSettled` is false, or when
 * the signal aborts (then it rejects with the signal's reason).
 *
 * @example
 * ```ts
 * for await (const event of watchJobEvents(client, { jobId: 3n, signal })) console.log(event.name);
 * ```
 */
export async function* watchJobEvents(client: ChainClient, params: WatchJobEventsParameters): AsyncGenerator<JobEvent, void, undefined> {
  let cursor = params.fromBlock ?? BigInt(client.deployment.deployedAt);
  const depth = BigInt(Math.max(1, params.confirmations ?? 1) - 1);
  const poll = params.pollingIntervalMs ?? client.pollingIntervalMs;
  for (;;) {
    params.signal?.throwIfAborted();
    const head =
      (await withRetry(() => client.publicClient.getBlockNumber({ cacheTime: 0 }), { ...client.retry, signal: params.signal, action: 'getBlockNumber' })) -
      depth;
    if (head >= cursor) {
      const events = await getJobEvents(client, { jobId: params.jobId, fromBlock: cursor, toBlock: head, signal: params.signal });
      cursor = head + 1n;
      for (const event of events) {
        yield event;
        if ((params.untilSettled ?? true) && TERMINAL_EVENTS.has(event.name)) return;
      }
    }
    await sleep(poll, params.signal);
  }
}
