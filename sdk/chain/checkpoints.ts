/**
 * A job's checkpoint chain (docs/PROTOCOL.md §6.2): the market stores only a head,
 * head_i = keccak256(abi.encode(head_{i-1}, uint32 i, stateRoot_i)) from EMPTY_CHECKPOINT_CHAIN,
 * and a count. The roots are read from the CheckpointCommitted logs and checked against the head;
 * a dispute proves two adjacent roots with the chain's suffix.
 */
import type { Hex } from 'viem';
import { encodeAbiParameters, keccak256, stringToBytes } from 'viem';
import { jobMarketAbi } from '../abi/index.ts';
import { ChainError } from '../errors.ts';
import { cidFromBytes, jobEventsFrom, type JobEvent, type MarketSource } from './market.ts';
import { withRetry } from './retry.ts';

/** Head of a job's chain before checkpoint 0 (LibCheckpoints.EMPTY). */
export const EMPTY_CHECKPOINT_CHAIN: Hex = keccak256(stringToBytes('veritrain.checkpoints.v1'));

const LINK = [{ type: 'bytes32' }, { type: 'uint32' }, { type: 'bytes32' }] as const;

/** The head after appending checkpoint `index` with `stateRoot` to a chain at `head`. */
export function linkCheckpoint(head: Hex, index: number, stateRoot: Hex): Hex {
  return keccak256(encodeAbiParameters(LINK, [head, index, stateRoot]));
}

/** One committed checkpoint as its log states it. */
export interface CommittedCheckpoint {
  readonly index: number;
  readonly stateRoot: Hex;
  /** Where its content is; undefined when the solver committed bytes that are no CID (content withheld). */
  readonly cid: string | undefined;
  readonly blockNumber: bigint;
  readonly transactionHash: Hex;
}

/** A job's committed checkpoints (index i at position i), checked against the chain's head. */
export interface CheckpointChain {
  readonly head: Hex;
  readonly checkpoints: readonly CommittedCheckpoint[];
  /** The block the head and the logs were read at. */
  readonly blockNumber: bigint;
}

/** The argument `challenge` and `intervalRoots` take for interval `interval`. */
export interface CheckpointProof {
  readonly prefix: Hex;
  readonly roots: readonly Hex[];
}

/**
 * Reads a job's checkpoints from its logs and checks them against the head the market stores,
 * both at one block. Throws ChainError CHAIN_MISMATCH when the logs do not add up to the head
 * (a node serving incomplete logs).
 *
 * @example
 * ```ts
 * const { checkpoints } = await readCheckpointChain(marketSource(client), 3n);
 * console.log(checkpoints.at(-1)?.stateRoot);
 * ```
 */
export async function readCheckpointChain(source: MarketSource, jobId: bigint, options: { signal?: AbortSignal | undefined } = {}): Promise<CheckpointChain> {
  const { publicClient, retry } = source;
  const { signal } = options;
  const blockNumber = await withRetry(() => publicClient.getBlockNumber({ cacheTime: 0 }), { ...retry, signal, action: 'getBlockNumber' });
  const [head, committed] = await withRetry(
    () =>
      publicClient.readContract({
        address: source.market,
        abi: jobMarketAbi,
        functionName: 'checkpointChain',
        args: [jobId],
        blockNumber,
      }),
    { ...retry, signal, action: 'checkpointChain' },
  );
  const checkpoints = committed > 0 ? checkpointsOf(await jobEventsFrom(source, { jobId, toBlock: blockNumber, signal })) : [];
  const ordered = checkpoints.length === committed && checkpoints.every((c, i) => c.index === i);
  const folded = checkpoints.reduce((h, c) => linkCheckpoint(h, c.index, c.stateRoot), EMPTY_CHECKPOINT_CHAIN);
  if (!ordered || (committed > 0 && folded !== head)) {
    throw new ChainError(
      'CHAIN_MISMATCH',
      `the logs of job ${jobId} hold ${checkpoints.length} checkpoints that do not add up to the ${committed} the market committed at block ${blockNumber}`,
      {
        details: { jobId: jobId.toString(), committed, logged: checkpoints.length },
      },
    );
  }
  return { head, checkpoints, blockNumber };
}

/** Checkpoint commits among a job's events, by index. */
export function checkpointsOf(events: readonly JobEvent[]): CommittedCheckpoint[] {
  const out: CommittedCheckpoint[] = [];
  for (const e of events) {
    if (e.name !== 'CheckpointCommitted') continue;
    out.push({
      index: e.args.index,
      stateRoot: e.args.stateRoot,
      cid: cidFromBytes(e.args.cid),
      blockNumber: e.blockNumber,
      transactionHash: e.transactionHash,
    });
  }
  return out.sort((a, b) => a.index - b.index);
}

/** The proof of interval `interval` (checkpoints `interval` and `interval + 1`): the head before it and every root from it on. */
export function checkpointProof(chain: CheckpointChain, interval: number): CheckpointProof {
  const roots = chain.checkpoints.map((c) => c.stateRoot);
  if (!Number.isInteger(interval) || interval < 0 || interval + 1 >= roots.length) {
    throw new RangeError(`interval ${interval} is not committed: the chain holds ${roots.length} checkpoints`);
  }
  let prefix = EMPTY_CHECKPOINT_CHAIN;
  for (let i = 0; i < interval; i++) prefix = linkCheckpoint(prefix, i, roots[i] as Hex);
  return { prefix, roots: roots.slice(interval) };
}

/**
 * Sends something that carries the proof of interval `interval` (a challenge), proving it again
 * whenever the solver committed another checkpoint before it was mined (JobCheckpointProofInvalid).
 * There is no fixed number of attempts: each stale proof is explained by a commit, and a job's chain
 * grows at most checkpointCount + 1 times, so a solver that front-runs every challenge with a commit
 * runs out of checkpoints (and then its chain is fixed). A stale error with no new commit is thrown.
 */
export async function withCheckpointProof<T>(
  source: MarketSource,
  jobId: bigint,
  interval: number,
  send: (proof: CheckpointProof) => Promise<T>,
  options: { signal?: AbortSignal | undefined; onStale?: (() => void) | undefined } = {},
): Promise<T> {
  for (;;) {
    const chain = await readCheckpointChain(source, jobId, { signal: options.signal });
    try {
      return await send(checkpointProof(chain, interval));
    } catch (err) {
      if (!(err instanceof ChainError && err.errorName === 'JobCheckpointProofInvalid')) throw err;
      const now = await readCheckpointChain(source, jobId, { signal: options.signal });
      if (now.checkpoints.length === chain.checkpoints.length) throw err;
      options.onStale?.();
    }
  }
}
