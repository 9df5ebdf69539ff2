/**
 * Disputes the verifier opens and plays (docs/PROTOCOL.md §5): approve and post the bond, open the
 * dispute on the interval, prosecute it with the solver's served chain (the SDK's one dispute
 * player with challengerStrategy), end it when the solver's clock runs out, and collect the rewards
 * (market credit from the slash, the bond back from the game).
 *
 * Every transaction goes through the account's journal (sdk/daemon/journal.ts): the challenge is
 * journaled under (job, interval) and counts as done once the chain has a DisputeCreated of ours
 * for it, so after a kill -9 a challenge is never sent twice, and open disputes are played on from
 * the chain's state.
 */
import { erc20Abi, type Address, type PublicClient } from 'viem';
import {
  challenge as openDispute,
  challengerStrategy,
  createDisputePlayer,
  disputeGameAbi,
  isOver,
  jobMarketAbi,
  marketAddress,
  readDispute,
  readPublished,
  readJob,
  Stage,
  STAGE_NAMES,
  type Clock,
  type Graph,
  type JobSpec,
  type Logger,
  type StageCode,
  type Strategy,
  type Tensor,
  type Trajectory,
  type TxJournal,
  type WalletChainClient,
} from '../../sdk/index.ts';
import type { DisputeOutcome } from '../core/report.ts';
import type { VerifierDb } from './db.ts';

export interface DisputeManagerOptions {
  readonly chain: WalletChainClient;
  /** The DisputeGame's address. */
  readonly game: Address;
  readonly db: VerifierDb;
  /** The account's transaction journal. */
  readonly journal: TxJournal;
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
  /** Opens a dispute on the interval (journaled) and starts playing it. */
  challenge(p: { jobId: bigint; interval: number; spec: JobSpec; graph: Graph; faultyStep: number | null; signal: AbortSignal }): Promise<bigint | undefined>;
  /** Picks up every dispute of the database after a restart. */
  resume(specOf: (jobId: bigint) => Promise<{ spec: JobSpec; graph: Graph }>, signal: AbortSignal): Promise<void>;
  /** Withdraws the market credit in `tokens` and the game credit, when there is any. */
  collectRewards(tokens: readonly Address[], signal: AbortSignal): Promise<void>;
  /** Disputes being played. */
  readonly live: number;
  /** Stops playing (each dispute resumes at the next start). */
  stop(): Promise<void>;
}

const OUTCOME: Partial<Record<StageCode, DisputeOutcome>> = { [Stage.ChallengerWon]: 'won', [Stage.SolverWon]: 'lost', [Stage.Abandoned]: 'abandoned' };

export function createDisputeManager(o: DisputeManagerOptions): DisputeManager {
  const log = o.logger.child({ component: 'disputes' });
  const me = o.chain.signer.address;
  const market = marketAddress(o.chain);
  const game = o.game;
  const pc: PublicClient = o.chain.publicClient;
  const fromBlock = BigInt(o.chain.deployment.deployedAt);
  const player = createDisputePlayer({ publicClient: pc, game, journal: o.journal, logger: o.logger, clock: o.clock, pollMs: o.pollMs });

  const resolved = (jobId: bigint, interval: number, disputeId: bigint, stage: StageCode): void => {
    const outcome = OUTCOME[stage] ?? 'open';
    o.db.upsertDispute(jobId, interval, { state: 'resolved', outcome });
    log.info('dispute resolved', { jobId, interval, disputeId, outcome, stage: STAGE_NAMES[stage] });
    o.onResolved?.({ jobId, interval, disputeId, outcome });
  };

  /**
   * The prosecution: what was served is followed where it matches the posted roots; the rest is
   * demanded on-chain and judged from the publication (§5.2). Without served data the interval's
   * checkpoints are all it has; interval 0 also needs the spec's initial state.
   */
  const strategyFor = async (
    jobId: bigint,
    interval: number,
    disputeId: bigint,
    graph: Graph,
    faultyStep: number | null,
    signal: AbortSignal,
  ): Promise<Strategy> => {
    const served = faultyStep === null ? undefined : await o.chainOf(jobId, interval, signal);
    const held = served === undefined || interval === 0 ? await o.checkpointsOf(jobId, interval, signal) : undefined;
    const chain = served?.chain ?? held?.chain;
    if (chain === undefined) throw new Error("the interval's checkpoints are not available yet");
    const initial = held?.initial;
    return challengerStrategy(
      {
        graph,
        solverChain: chain,
        faultyStep: served === undefined ? 0 : (faultyStep ?? 0),
        published: () => readPublished(pc, game, disputeId, fromBlock),
        claims: { publicClient: pc, game },
        consistent: (from, to) => o.consistent(jobId, from, to, signal),
        ...(initial === undefined ? {} : { initial }),
      },
      log.child({ disputeId, jobId }),
    );
  };

  const play = (jobId: bigint, interval: number, disputeId: bigint, graph: Graph, faultyStep: number | null, signal: AbortSignal): void => {
    player
      .play(disputeId, () => strategyFor(jobId, interval, disputeId, graph, faultyStep, signal))
      .then((d) => {
        resolved(jobId, interval, disputeId, d.stage as StageCode);
      })
      .catch((err: unknown) => {
        if (!signal.aborted) log.error('playing the dispute failed; it resumes at the next start', { jobId, interval, disputeId, error: err });
      });
  };

  /** The dispute this account opened on (job, interval), from the chain's logs. */
  const findOnChain = async (jobId: bigint, interval: number): Promise<bigint | undefined> => {
    const logs = await pc.getContractEvents({ address: game, abi: disputeGameAbi, eventName: 'DisputeCreated', args: { jobId, challenger: me }, fromBlock });
    return logs.find((l) => l.args.interval === interval)?.args.disputeId;
  };

  const challenge: DisputeManager['challenge'] = async ({ jobId, interval, spec, graph, faultyStep, signal }) => {
    const existing = o.db.dispute(jobId, interval);
    if (existing?.dispute_id !== undefined && existing.dispute_id !== null) return BigInt(existing.dispute_id);
    o.db.upsertDispute(jobId, interval, { state: 'challenging', faulty_step: faultyStep });
    let disputeId = await findOnChain(jobId, interval);
    if (disputeId === undefined) {
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
      const allowance = () => pc.readContract({ address: bondToken, abi: erc20Abi, functionName: 'allowance', args: [me, game] });
      // The bond, and a deposit of one bond for each demand of data the game may need (a midpoint
      // per bisection round and the trace, §5 step 6): without them a challenger facing a solver
      // that serves nothing off-chain could not demand its data, and would lose on its clock.
      const rounds = Math.ceil(Math.log2(spec.training.checkpointInterval));
      const needed = bond * BigInt(2 + rounds);
      await o.journal.once(
        {
          action: 'approve-bond',
          jobId,
          index: interval,
          done: async () => (await allowance()) >= needed,
          send: (sender, onBroadcast, s) =>
            sender.writeContract({ address: bondToken, abi: erc20Abi, functionName: 'approve', args: [game, needed], signal: s, onBroadcast }),
        },
        signal,
      );
      log.info('challenging', { jobId, interval, faultyStep, bond });
      await o.journal.once(
        {
          action: 'challenge',
          jobId,
          index: interval,
          done: async () => (await findOnChain(jobId, interval)) !== undefined,
          send: async (sender, onBroadcast, s) => {
            const opened = await openDispute(
              { publicClient: pc, game, sender },
              { jobId, interval, spec, graph, fromBlock },
              {
                signal: s,
                onBroadcast,
                onStale: () => {
                  log.info('the solver committed while the challenge was in flight; proving the interval again', { jobId, interval });
                },
              },
            );
            disputeId = opened.disputeId;
            return opened;
          },
        },
        signal,
      );
      disputeId ??= await findOnChain(jobId, interval);
      if (disputeId === undefined) throw new Error(`the challenge of job ${jobId} interval ${interval} is journaled but not on chain`);
    } else {
      log.info('found the dispute opened before the restart', { jobId, interval, disputeId });
    }
    o.db.upsertDispute(jobId, interval, { state: 'open', dispute_id: disputeId.toString() });
    o.db.updateInterval(jobId, interval, { state: 'challenged' });
    log.info('dispute opened', { jobId, interval, disputeId });
    play(jobId, interval, disputeId, graph, faultyStep, signal);
    return disputeId;
  };

  return {
    challenge,

    async resume(specOf, signal) {
      await player.start();
      for (const row of o.db.disputes()) {
        const jobId = BigInt(row.job_id);
        if (row.state === 'challenging') {
          const { spec, graph } = await specOf(jobId);
          await challenge({ jobId, interval: row.idx, spec, graph, faultyStep: row.faulty_step, signal });
        } else if (row.state === 'open' && row.dispute_id !== null) {
          const d = await readDispute({ publicClient: pc, game }, BigInt(row.dispute_id));
          if (isOver(d)) resolved(jobId, row.idx, BigInt(row.dispute_id), d.stage as StageCode);
          else play(jobId, row.idx, BigInt(row.dispute_id), (await specOf(jobId)).graph, row.faulty_step, signal);
        }
      }
    },

    async collectRewards(tokens, signal) {
      for (const token of new Set(tokens.map((t) => t.toLowerCase() as Address))) {
        const credit = () => pc.readContract({ address: market, abi: jobMarketAbi, functionName: 'creditOf', args: [me, token] });
        const amount = await credit();
        if (amount === 0n) continue;
        const outcome = await o.journal.once(
          {
            action: 'withdraw',
            index: Number(await pc.getBlockNumber()),
            detail: token,
            done: async () => (await credit()) === 0n,
            send: (sender, onBroadcast, s) =>
              sender.writeContract({ address: market, abi: jobMarketAbi, functionName: 'withdraw', args: [token], signal: s, onBroadcast }),
          },
          signal,
        );
        if (outcome.status !== 'mined') continue;
        o.db.recordReward(outcome.hash, 'market', token, amount);
        log.info('market reward withdrawn', { token, amount, hash: outcome.hash });
      }
      const bonds = () => pc.readContract({ address: game, abi: disputeGameAbi, functionName: 'creditOf', args: [me] });
      const amount = await bonds();
      if (amount === 0n) return;
      const bondToken = await pc.readContract({ address: game, abi: disputeGameAbi, functionName: 'bondToken' });
      const outcome = await o.journal.once(
        {
          action: 'withdraw-bond',
          index: Number(await pc.getBlockNumber()),
          done: async () => (await bonds()) === 0n,
          send: (sender, onBroadcast, s) =>
            sender.writeContract({ address: game, abi: disputeGameAbi, functionName: 'withdraw', args: [], signal: s, onBroadcast }),
        },
        signal,
      );
      if (outcome.status !== 'mined') return;
      o.db.recordReward(outcome.hash, 'game', bondToken, amount);
      log.info('game credit (bonds) withdrawn', { amount, hash: outcome.hash });
    },

    get live() {
      return player.live;
    },
    stop: () => player.stop(),
  };
}
