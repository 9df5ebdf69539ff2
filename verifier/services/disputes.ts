/**
 * Disputes the verifier opens and plays (docs/PROTOCOL.md §5): approve and post the bond, open the
 * dispute on the interval, prosecute it with the solver's served chain (sdk/dispute challengerMove),
 * end it when the solver's clock runs out, and collect the rewards (market credit from the slash,
 * the bond back from the game). Every dispute is recorded before its challenge is sent; after a
 * kill -9 a 'challenging' record is matched against the chain's DisputeCreated logs, so a challenge
 * is never sent twice, and open disputes are played on from the chain's state.
 *
 * Every transaction goes through the account's TxSender (one nonce sequence, gas headroom, reverts
 * decoded); a move that fails is retried with backoff until the game ends.
 */
import { erc20Abi, parseEventLogs, type Address, type PublicClient } from 'viem';
import {
  disputeGameAbi,
  graphCommitment,
  jobMarketAbi,
  marketAddress,
  marketSource,
  challengerMove,
  readDispute,
  readPublished,
  readJob,
  specTuple,
  Stage,
  STAGE_NAMES,
  type Clock,
  type Graph,
  type Hex,
  type JobSpec,
  type Logger,
  type StageCode,
  type Tensor,
  type Trajectory,
  type WalletChainClient,
  withCheckpointProof,
} from '../../sdk/index.ts';
import type { DisputeOutcome } from '../core/report.ts';
import type { VerifierDb } from './db.ts';

export interface DisputeManagerOptions {
  readonly chain: WalletChainClient;
  /** The DisputeGame's address. */
  readonly game: Address;
  readonly db: VerifierDb;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly pollMs: number;
  /** The solver's served chain of an interval, rebuilt from what the verifier kept (undefined when withheld). */
  readonly chainOf: (jobId: bigint, interval: number, signal: AbortSignal) => Promise<{ chain: Trajectory; graph: Graph } | undefined>;
  /** The interval's checkpoints (and for interval 0 the spec's initial state), for a dispute with nothing served. */
  readonly checkpointsOf: (jobId: bigint, interval: number, signal: AbortSignal) => Promise<{ chain: Trajectory; initial: Tensor[] | undefined } | undefined>;
  /** The screen for a state the solver published on demand: honest training from `from` reaches `to`. */
  readonly consistent: (jobId: bigint, from: { step: number; state: Tensor[] }, to: { step: number; state: Tensor[] }, signal: AbortSignal) => Promise<boolean>;
  readonly onResolved?: ((r: { jobId: bigint; interval: number; disputeId: bigint; outcome: DisputeOutcome }) => void) | undefined;
}

export interface DisputeManager {
  /** Opens a dispute on the interval (recorded first) and starts playing it. */
  challenge(p: { jobId: bigint; interval: number; spec: JobSpec; graph: Graph; faultyStep: number | null; signal: AbortSignal }): Promise<bigint | undefined>;
  /** Picks up every dispute of the database after a restart. */
  resume(specOf: (jobId: bigint) => Promise<{ spec: JobSpec; graph: Graph }>, signal: AbortSignal): Promise<void>;
  /** Withdraws the market credit in `tokens` and the game credit, when there is any. */
  collectRewards(tokens: readonly Address[], signal: AbortSignal): Promise<void>;
  /** Disputes being played. */
  readonly live: number;
  /** Waits for every dispute being played to end (or the signal). */
  settled(): Promise<void>;
}

const OUTCOME: Partial<Record<StageCode, DisputeOutcome>> = { [Stage.ChallengerWon]: 'won', [Stage.SolverWon]: 'lost', [Stage.Abandoned]: 'abandoned' };

export function createDisputeManager(o: DisputeManagerOptions): DisputeManager {
  const log = o.logger.child({ component: 'disputes' });
  const me = o.chain.signer.address;
  const market = marketAddress(o.chain);
  const game = o.game;
  const pc: PublicClient = o.chain.publicClient;
  const gameReader = { publicClient: pc, game };
  const playing = new Map<string, Promise<void>>();

  const send = async (action: string, jobId: bigint | undefined, params: Parameters<WalletChainClient['sender']['writeContract']>[0]) => {
    const broadcast: Hex[] = [];
    const result = await o.chain.sender.writeContract({
      ...params,
      onBroadcast: (hash: Hex) => { broadcast.push(hash); o.db.recordTx(hash, action, jobId, 'sent'); },
    });
    // Fee-bumped replacements that lost to the mined one are not pending any more.
    for (const h of broadcast) o.db.recordTx(h, action, jobId, h === result.hash ? 'mined' : 'failed');
    return result;
  };

  const resolved = (jobId: bigint, interval: number, disputeId: bigint, stage: StageCode): void => {
    const outcome = OUTCOME[stage] ?? 'open';
    o.db.upsertDispute(jobId, interval, { state: 'resolved', outcome });
    log.info('dispute resolved', { jobId, interval, disputeId, outcome, stage: STAGE_NAMES[stage] });
    o.onResolved?.({ jobId, interval, disputeId, outcome });
  };

  /** Plays the dispute to its end: our moves, and the timeout when the solver's clock runs out. */
  const prosecute = async (jobId: bigint, interval: number, disputeId: bigint, graph: Graph, served: { chain: Trajectory; faultyStep: number } | undefined, signal: AbortSignal): Promise<StageCode> => {
    const plog = log.child({ disputeId, jobId });
    let held: Awaited<ReturnType<DisputeManagerOptions['checkpointsOf']>>;
    const fromBlock = BigInt(o.chain.deployment.deployedAt);
    const published = () => readPublished(pc, game, disputeId, fromBlock);
    let failures = 0;
    for (;;) {
      signal.throwIfAborted();
      try {
        const d = await readDispute(gameReader, disputeId);
        const stage = d.stage as StageCode;
        if (stage >= Stage.SolverWon || stage === Stage.None) return stage;
        if (d.active && (stage === Stage.AwaitChoice || stage === Stage.AwaitPoint)) {
          // What was served is followed where it matches the posted roots; the rest is demanded
          // on-chain and judged from the publication (§5.2). Without served data the interval's
          // checkpoints are all it has; interval 0 also needs the spec's initial state.
          if (served === undefined || interval === 0) held ??= await o.checkpointsOf(jobId, interval, signal);
          const chain = served?.chain ?? held?.chain;
          if (chain === undefined) throw new Error('the interval\'s checkpoints are not available yet');
          const consistent = (from: { step: number; state: Tensor[] }, to: { step: number; state: Tensor[] }) => o.consistent(jobId, from, to, signal);
          const initial = held?.initial;
          const write = await challengerMove(disputeId, d, { graph, solverChain: chain, faultyStep: served?.faultyStep ?? 0, published, consistent, ...(initial === undefined ? {} : { initial }) }, plog);
          const { receipt } = await send(write.functionName, jobId, { address: game, abi: disputeGameAbi, ...write, signal });
          plog.info('dispute move', { move: write.functionName, gasUsed: receipt.gasUsed });
          failures = 0;
          continue;
        }
        const [, left] = await pc.readContract({ address: game, abi: disputeGameAbi, functionName: 'mover', args: [disputeId] });
        if (left === 0) {
          plog.info('the solver ran out of time; ending the dispute');
          await send('timeout', jobId, { address: game, abi: disputeGameAbi, functionName: 'timeout', args: [disputeId], signal });
          continue;
        }
        failures = 0;
      } catch (err) {
        signal.throwIfAborted();
        // An RPC outage or a reverted move is retried with backoff; the game's clock bounds how
        // long that can go on.
        plog.warn('dispute move failed; retrying', { error: err, attempt: ++failures });
      }
      await o.clock.sleep(o.pollMs * Math.min(2 ** failures, 32), signal);
    }
  };

  const play = (jobId: bigint, interval: number, disputeId: bigint, graph: Graph, faultyStep: number | null, signal: AbortSignal): void => {
    const key = disputeId.toString();
    if (playing.has(key)) return;
    const task = (async () => {
      const served = faultyStep === null ? undefined : await o.chainOf(jobId, interval, signal);
      const stage = await prosecute(jobId, interval, disputeId, graph, served === undefined || faultyStep === null ? undefined : { chain: served.chain, faultyStep }, signal);
      resolved(jobId, interval, disputeId, stage);
    })().catch((err: unknown) => {
      if (!signal.aborted) log.error('playing the dispute failed; it resumes at the next start', { jobId, interval, disputeId, error: err });
    }).finally(() => { playing.delete(key); });
    playing.set(key, task);
  };

  /** The dispute this account opened on (job, interval), from the chain's logs. */
  const findOnChain = async (jobId: bigint, interval: number): Promise<bigint | undefined> => {
    const logs = await pc.getContractEvents({ address: game, abi: disputeGameAbi, eventName: 'DisputeCreated', args: { jobId, challenger: me }, fromBlock: BigInt(o.chain.deployment.deployedAt) });
    const match = logs.find((l) => l.args.interval === interval);
    return match?.args.disputeId;
  };

  const challenge: DisputeManager['challenge'] = async ({ jobId, interval, spec, graph, faultyStep, signal }) => {
    const existing = o.db.dispute(jobId, interval);
    if (existing?.dispute_id !== undefined && existing.dispute_id !== null) return BigInt(existing.dispute_id);
    o.db.upsertDispute(jobId, interval, { state: 'challenging', faulty_step: faultyStep });
    const job = await readJob(o.chain, jobId, { signal });
    const disputable = await pc.readContract({ address: market, abi: jobMarketAbi, functionName: 'isDisputable', args: [jobId] });
    if (!disputable) {
      log.warn('the job can no longer be disputed', { jobId, interval, status: job.status });
      o.db.upsertDispute(jobId, interval, { state: 'missed' });
      return undefined;
    }
    const [bondToken, bond] = await Promise.all([
      pc.readContract({ address: game, abi: disputeGameAbi, functionName: 'bondToken' }),
      pc.readContract({ address: game, abi: disputeGameAbi, functionName: 'challengeBond' }),
    ]);
    const allowance = await pc.readContract({ address: bondToken, abi: erc20Abi, functionName: 'allowance', args: [me, game] });
    if (allowance < bond) await send('approve', jobId, { address: bondToken, abi: erc20Abi, functionName: 'approve', args: [game, bond], signal });
    log.info('challenging', { jobId, interval, faultyStep, bond });
    // The interval's roots proved against the market's checkpoint chain (read again if the solver commits meanwhile).
    const { receipt } = await withCheckpointProof(marketSource(o.chain), jobId, interval, (proof) =>
      send('challenge', jobId, { address: game, abi: disputeGameAbi, functionName: 'challenge', args: [jobId, interval, specTuple(spec), graphCommitment(graph), proof], signal }), {
      signal, onStale: () => { log.info('the solver committed while the challenge was in flight; proving the interval again', { jobId, interval }); },
    });
    const created = parseEventLogs({ abi: disputeGameAbi, logs: receipt.logs, eventName: 'DisputeCreated' })[0];
    if (created === undefined) throw new Error('the challenge was mined without a DisputeCreated event');
    const disputeId = created.args.disputeId;
    o.db.upsertDispute(jobId, interval, { state: 'open', dispute_id: disputeId.toString() });
    o.db.updateInterval(jobId, interval, { state: 'challenged' });
    log.info('dispute opened', { jobId, interval, disputeId });
    play(jobId, interval, disputeId, graph, faultyStep, signal);
    return disputeId;
  };

  return {
    challenge,

    async resume(specOf, signal) {
      for (const tx of o.db.pendingTxs()) {
        try {
          await o.chain.sender.waitForReceipt(tx.hash, { signal, action: tx.action });
          o.db.recordTx(tx.hash, tx.action, tx.job_id === null ? undefined : BigInt(tx.job_id), 'mined');
        } catch (err) {
          signal.throwIfAborted();
          log.warn('a transaction sent before the restart did not make it', { hash: tx.hash, action: tx.action, error: err });
          o.db.recordTx(tx.hash, tx.action, tx.job_id === null ? undefined : BigInt(tx.job_id), 'failed');
        }
      }
      for (const row of o.db.disputes()) {
        const jobId = BigInt(row.job_id);
        if (row.state === 'challenging') {
          const found = await findOnChain(jobId, row.idx);
          if (found !== undefined) {
            log.info('found the dispute opened before the restart', { jobId, interval: row.idx, disputeId: found });
            o.db.upsertDispute(jobId, row.idx, { state: 'open', dispute_id: found.toString() });
            o.db.updateInterval(jobId, row.idx, { state: 'challenged' });
            play(jobId, row.idx, found, (await specOf(jobId)).graph, row.faulty_step, signal);
          } else {
            const { spec, graph } = await specOf(jobId);
            await challenge({ jobId, interval: row.idx, spec, graph, faultyStep: row.faulty_step, signal });
          }
        } else if (row.state === 'open' && row.dispute_id !== null) {
          const d = await readDispute(gameReader, BigInt(row.dispute_id));
          const stage = d.stage as StageCode;
          if (stage >= Stage.SolverWon) resolved(jobId, row.idx, BigInt(row.dispute_id), stage);
          else play(jobId, row.idx, BigInt(row.dispute_id), (await specOf(jobId)).graph, row.faulty_step, signal);
        }
      }
    },

    async collectRewards(tokens, signal) {
      for (const token of new Set(tokens.map((t) => t.toLowerCase() as Address))) {
        const credit = await pc.readContract({ address: market, abi: jobMarketAbi, functionName: 'creditOf', args: [me, token] });
        if (credit === 0n) continue;
        const { hash, receipt } = await send('withdraw', undefined, { address: market, abi: jobMarketAbi, functionName: 'withdraw', args: [token], signal });
        o.db.recordReward(hash, 'market', token, credit);
        log.info('market reward withdrawn', { token, amount: credit, hash, block: receipt.blockNumber });
      }
      const bonds = await pc.readContract({ address: game, abi: disputeGameAbi, functionName: 'creditOf', args: [me] });
      if (bonds > 0n) {
        const bondToken = await pc.readContract({ address: game, abi: disputeGameAbi, functionName: 'bondToken' });
        const { hash } = await send('withdrawBond', undefined, { address: game, abi: disputeGameAbi, functionName: 'withdraw', args: [], signal });
        o.db.recordReward(hash, 'game', bondToken, bonds);
        log.info('game credit (bonds) withdrawn', { amount: bonds, hash });
      }
    },

    get live() { return playing.size; },
    async settled() { await Promise.all([...playing.values()]); },
  };
}

