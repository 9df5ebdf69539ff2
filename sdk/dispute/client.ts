/**
 * The dispute game as the SDK reads and writes it (docs/PROTOCOL.md §5): the dispute as stored,
 * the spec and graph tuples the judge checks, typed writes, and opening a dispute. Moves are
 * computed by the strategies (strategies.ts) and sent by the one dispute player (player.ts).
 */
import { parseEventLogs, type Address, type ContractFunctionArgs, type ContractFunctionName, type Hex, type PublicClient, type TransactionReceipt } from 'viem';
import { disputeGameAbi } from '../abi/index.ts';
import { withCheckpointProof, type CheckpointProof } from '../chain/checkpoints.ts';
import type { TxSender } from '../chain/sender.ts';
import { ChainError } from '../errors.ts';
import type { Graph } from '../graph/graph.ts';
import { encodeJobSpec, type JobSpec } from '../spec/job-spec.ts';
import { Stage } from './stages.ts';

export { SOLVER_STAGES, Stage, STAGE_NAMES, type StageCode } from './stages.ts';

export const NEXT_STATE = 0xffff_ffff;
/** The point's op for the trace's copy of the state before the step (DisputeGame.STATE_COPY). */
export const STATE_COPY = 0xffff_fffe;
/** The point's op for checkpoint 0 itself, judged by the init rule (DisputeGame.INITIAL_STATE). */
export const INITIAL_STATE = 0xffff_fffd;

/** Where the game is and how to read it. */
export interface GameReader {
  readonly publicClient: PublicClient;
  readonly game: Address;
}

export type Dispute = Awaited<ReturnType<typeof readDispute>>;

/**
 * A dispute as the game stores it, plus its `id` and `active`: a job's disputes are played one at a time,
 * oldest first, and only the active one accepts moves (the others' clocks stand still).
 */
export async function readDispute(reader: GameReader, disputeId: bigint) {
  const d = await reader.publicClient.readContract({ address: reader.game, abi: disputeGameAbi, functionName: 'getDispute', args: [disputeId] });
  const active = await reader.publicClient.readContract({ address: reader.game, abi: disputeGameAbi, functionName: 'activeDispute', args: [d.jobId] });
  const publishing = d.stage === Stage.AwaitStateData || d.stage === Stage.AwaitTraceData;
  const [tensor, leaf] = publishing
    ? await reader.publicClient.readContract({ address: reader.game, abi: disputeGameAbi, functionName: 'dataCursor', args: [disputeId] })
    : [0, 0];
  /** Where publication of demanded data stands: the next tensor and leaf (0, 0 outside the data stages). */
  const cursor = { tensor, leaf };
  const claiming = d.stage === Stage.AwaitClaimChoice || d.stage === Stage.AwaitClaims || d.stage === Stage.AwaitChunk;
  /** Where a long reduction's claim game stands (§5 step 4b); undefined outside its stages. */
  const reduction = claiming
    ? await reader.publicClient.readContract({ address: reader.game, abi: disputeGameAbi, functionName: 'reductionOf', args: [disputeId] })
    : undefined;
  return { ...d, id: disputeId, active: active === disputeId, cursor, reduction };
}

/** The claims of the current claim-tree node, as the solver's last ClaimsPosted event has them. */
export async function readPostedClaims(reader: GameReader, disputeId: bigint) {
  const logs = await reader.publicClient.getContractEvents({
    address: reader.game,
    abi: disputeGameAbi,
    eventName: 'ClaimsPosted',
    args: { disputeId },
    fromBlock: 0n,
    strict: true,
  });
  const last = logs[logs.length - 1];
  if (last === undefined) throw new RangeError(`dispute ${disputeId} has no posted claims`);
  return last.args.claims;
}

/** Whether the dispute is over (or never existed). */
export const isOver = (d: Pick<Dispute, 'stage'>): boolean => d.stage === Stage.None || d.stage >= Stage.SolverWon;

export const graphCommitment = (graph: Graph) => ({ opCount: graph.ops.length, stateCount: graph.state.length, opsRoot: graph.opsRoot });

type GameFunction = ContractFunctionName<typeof disputeGameAbi, 'nonpayable'>;

/** One write to the game, typed by the ABI: the function and its arguments. */
export type GameWrite = {
  [F in GameFunction]: { readonly functionName: F; readonly args: ContractFunctionArgs<typeof disputeGameAbi, 'nonpayable', F> };
}[GameFunction];

export interface ChallengeParameters {
  readonly jobId: bigint;
  readonly interval: number;
  readonly spec: JobSpec;
  readonly graph: Graph;
  /** First block of the market's logs to read the checkpoint chain from (default 0). */
  readonly fromBlock?: bigint | undefined;
}

/**
 * Opens a dispute on checkpoint interval `interval` through the account's sender; the bond must
 * be approved to the game. The interval's roots are proved from the market's logs, again whenever
 * the solver commits while the challenge is in flight. The id is the one this transaction's
 * DisputeCreated event carries (another challenge may land first).
 */
export async function challenge(
  game: GameReader & { readonly sender: TxSender },
  params: ChallengeParameters,
  options: { signal?: AbortSignal | undefined; onBroadcast?: ((hash: Hex) => void) | undefined; onStale?: (() => void) | undefined } = {},
): Promise<{ disputeId: bigint; hash: Hex; receipt: TransactionReceipt }> {
  const { publicClient } = game;
  const market = await publicClient.readContract({ address: game.game, abi: disputeGameAbi, functionName: 'market' });
  const args = (proof: CheckpointProof) => [params.jobId, params.interval, encodeJobSpec(params.spec), graphCommitment(params.graph), proof] as const;
  const { hash, receipt } = await withCheckpointProof(
    { publicClient, market, fromBlock: params.fromBlock },
    params.jobId,
    params.interval,
    (proof) =>
      game.sender.writeContract({
        address: game.game,
        abi: disputeGameAbi,
        functionName: 'challenge',
        args: args(proof),
        signal: options.signal,
        onBroadcast: options.onBroadcast,
      }),
    options,
  );
  const created = parseEventLogs({ abi: disputeGameAbi, logs: receipt.logs, eventName: 'DisputeCreated' }).find(
    (e) => e.address.toLowerCase() === game.game.toLowerCase(),
  );
  if (created === undefined) throw new ChainError('CHAIN_REVERTED', 'the challenge was mined without a DisputeCreated event', { details: { hash } });
  return { disputeId: created.args.disputeId, hash, receipt };
}

export type { Hex };
