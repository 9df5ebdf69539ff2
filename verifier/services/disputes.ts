/**
 * Disputes the verifier opens and plays (docs/PROTOCOL.md §5): approve and post the bond, open the
 * dispute on the interval, prosecute it with the solver's served chain (sdk/dispute playChallenger),
 * end it when the solver's clock runs out, and collect the rewards (market credit from the slash,
 * the bond back from the game). Every dispute is recorded before its challenge is sent; after a
 * kill -9 a 'challenging' record is matched against the chain's DisputeCreated logs, so a challenge
 * is never sent twice, and open disputes are played on from the chain's state.
 *
 * One lock orders every transaction of the account: the game client (viem wallet) that
 * playChallenger moves with, and the SDK's TxSender for everything else, so nonces never collide.
 */
import { erc20Abi, parseEventLogs, type Account, type Address, type Chain, type PublicClient, type Transport, type WalletClient } from 'viem';
import {
  ChainError,
  disputeGameAbi,
  graphCommitment,
  jobMarketAbi,
  marketAddress,
  playChallenger,
  readDispute,
  readJob,
  specTuple,
  Stage,
  STAGE_NAMES,
  type Clock,
  type GameClients,
  type Graph,
  type Hex,
  type JobSpec,
  type Logger,
  type StageCode,
  type Trajectory,
  type WalletChainClient,
} from '../../sdk/index.ts';
import type { DisputeOutcome } from '../core/report.ts';
import type { VerifierDb } from './db.ts';

/** Runs async functions one at a time. */
export function createLock(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}

export interface DisputeManagerOptions {
  readonly chain: WalletChainClient;
  /** The game's clients for playChallenger (a wallet client of the same account). */
  readonly game: GameClients;
  readonly db: VerifierDb;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly pollMs: number;
  /** The solver's served chain of an interval, rebuilt from what the verifier kept (undefined when withheld). */
  readonly chainOf: (jobId: bigint, interval: number, signal: AbortSignal) => Promise<{ chain: Trajectory; graph: Graph } | undefined>;
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
  const lock = createLock();
  const me = o.chain.signer.address;
  const market = marketAddress(o.chain);
  const playing = new Map<string, Promise<void>>();

  // playChallenger sends through this wallet; every send takes the account's lock.
  const wallet = o.game.walletClient;
  const lockedWallet: WalletClient<Transport, Chain | undefined, Account> = { ...wallet, writeContract: ((args: never) => lock(() => wallet.writeContract(args))) as typeof wallet.writeContract };
  const gameClients: GameClients = { publicClient: o.game.publicClient, walletClient: lockedWallet, game: o.game.game };
  const pc: PublicClient = o.game.publicClient;

  const send = async (action: string, jobId: bigint | undefined, params: Parameters<WalletChainClient['sender']['writeContract']>[0]) => lock(async () => {
    o.chain.sender.resync(); // the wallet client may have used nonces since
    const result = await o.chain.sender.writeContract({
      ...params,
      onBroadcast: (hash: Hex) => { o.db.recordTx(hash, action, jobId, 'sent'); },
    });
    o.db.recordTx(result.hash, action, jobId, 'mined');
    return result;
  });

  const resolved = (jobId: bigint, interval: number, disputeId: bigint, stage: StageCode): void => {
    const outcome = OUTCOME[stage] ?? 'open';
    o.db.upsertDispute(jobId, interval, { state: 'resolved', outcome });
    log.info('dispute resolved', { jobId, interval, disputeId, outcome, stage: STAGE_NAMES[stage] });
    o.onResolved?.({ jobId, interval, disputeId, outcome });
  };

  /** Ends the game on time when the solver's clock has run out. */
  const watchClock = async (disputeId: bigint, jobId: bigint, signal: AbortSignal): Promise<void> => {
    for (;;) {
      signal.throwIfAborted();
      const d = await readDispute(gameClients, disputeId);
      if ((d.stage as StageCode) >= Stage.SolverWon || (d.stage as StageCode) === Stage.None) return;
      const [who, left] = await pc.readContract({ address: o.game.game, abi: disputeGameAbi, functionName: 'mover', args: [disputeId] });
      if (who.toLowerCase() !== me.toLowerCase() && left === 0n) {
        log.info('the solver ran out of time; ending the dispute', { disputeId, jobId });
        try {
          await send('timeout', jobId, { address: o.game.game, abi: disputeGameAbi, functionName: 'timeout', args: [disputeId], signal });
          return;
        } catch (err) {
          // `mover` reports 0 left when elapsed == budget, `timeout` needs elapsed > budget: a
          // transaction mined in the same second reverts. Keep watching; the next second it goes through.
          if (!(err instanceof ChainError && err.errorName === 'DisputeClockRunning')) throw err;
          log.info('the clock has not quite run out on chain yet; retrying', { disputeId, jobId });
        }
      }
      await o.clock.sleep(o.pollMs, signal);
    }
  };

  /** Without served data: answer what can be answered and wait for the solver's clock. */
  const playWithheld = async (disputeId: bigint, jobId: bigint, signal: AbortSignal): Promise<StageCode> => {
    for (;;) {
      signal.throwIfAborted();
      const d = await readDispute(gameClients, disputeId);
      const stage = d.stage as StageCode;
      if (stage >= Stage.SolverWon || stage === Stage.None) return stage;
      if (stage === Stage.AwaitChoice) {
        // The solver revealed a midpoint on-chain but not its content: no half can be judged; keep the left.
        log.warn('the solver posts midpoints but serves no data; choosing the left half', { disputeId });
        await lock(() => wallet.writeContract({ address: o.game.game, abi: disputeGameAbi, functionName: 'chooseHalf', args: [disputeId, true], account: wallet.account, chain: wallet.chain }));
      } else if (stage === Stage.AwaitPoint) {
        await lock(() => wallet.writeContract({ address: o.game.game, abi: disputeGameAbi, functionName: 'point', args: [disputeId, 0xffff_ffff, 0n], account: wallet.account, chain: wallet.chain }));
      }
      await o.clock.sleep(o.pollMs, signal);
    }
  };

  const play = (jobId: bigint, interval: number, disputeId: bigint, faultyStep: number | null, signal: AbortSignal): void => {
    const key = disputeId.toString();
    if (playing.has(key)) return;
    const task = (async () => {
      const served = faultyStep === null ? undefined : await o.chainOf(jobId, interval, signal);
      const inner = new AbortController();
      const both = AbortSignal.any([signal, inner.signal]);
      const clock = watchClock(disputeId, jobId, both).catch((err: unknown) => { if (!both.aborted) log.warn('clock watch failed', { disputeId, error: err }); });
      let stage: StageCode;
      try {
        stage = served === undefined || faultyStep === null
          ? await playWithheld(disputeId, jobId, signal)
          : await playChallenger(gameClients, disputeId, { graph: served.graph, solverChain: served.chain, faultyStep, log: log.child({ disputeId, jobId }), pollMs: o.pollMs, signal });
      } finally {
        inner.abort();
        await clock;
      }
      resolved(jobId, interval, disputeId, stage);
    })().catch((err: unknown) => {
      if (!signal.aborted) log.error('playing the dispute failed; it resumes at the next start', { jobId, interval, disputeId, error: err });
    }).finally(() => { playing.delete(key); });
    playing.set(key, task);
  };

  /** The dispute this account opened on (job, interval), from the chain's logs. */
  const findOnChain = async (jobId: bigint, interval: number): Promise<bigint | undefined> => {
    const logs = await pc.getContractEvents({ address: o.game.game, abi: disputeGameAbi, eventName: 'DisputeCreated', args: { jobId, challenger: me }, fromBlock: BigInt(o.chain.deployment.deployedAt) });
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
      pc.readContract({ address: o.game.game, abi: disputeGameAbi, functionName: 'bondToken' }),
      pc.readContract({ address: o.game.game, abi: disputeGameAbi, functionName: 'challengeBond' }),
    ]);
    const allowance = await pc.readContract({ address: bondToken, abi: erc20Abi, functionName: 'allowance', args: [me, o.game.game] });
    if (allowance < bond) await send('approve', jobId, { address: bondToken, abi: erc20Abi, functionName: 'approve', args: [o.game.game, bond], signal });
    log.info('challenging', { jobId, interval, faultyStep, bond });
    const { receipt } = await send('challenge', jobId, { address: o.game.game, abi: disputeGameAbi, functionName: 'challenge', args: [jobId, interval, specTuple(spec), graphCommitment(graph)], signal });
    const created = parseEventLogs({ abi: disputeGameAbi, logs: receipt.logs, eventName: 'DisputeCreated' })[0];
    if (created === undefined) throw new Error('the challenge was mined without a DisputeCreated event');
    const disputeId = created.args.disputeId;
    o.db.upsertDispute(jobId, interval, { state: 'open', dispute_id: disputeId.toString() });
    o.db.updateInterval(jobId, interval, { state: 'challenged' });
    log.info('dispute opened', { jobId, interval, disputeId });
    play(jobId, interval, disputeId, faultyStep, signal);
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
            play(jobId, row.idx, found, row.faulty_step, signal);
          } else {
            const { spec, graph } = await specOf(jobId);
            await challenge({ jobId, interval: row.idx, spec, graph, faultyStep: row.faulty_step, signal });
          }
        } else if (row.state === 'open' && row.dispute_id !== null) {
          const d = await readDispute(gameClients, BigInt(row.dispute_id));
          const stage = d.stage as StageCode;
          if (stage >= Stage.SolverWon) resolved(jobId, row.idx, BigInt(row.dispute_id), stage);
          else play(jobId, row.idx, BigInt(row.dispute_id), row.faulty_step, signal);
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
      const bonds = await pc.readContract({ address: o.game.game, abi: disputeGameAbi, functionName: 'creditOf', args: [me] });
      if (bonds > 0n) {
        const bondToken = await pc.readContract({ address: o.game.game, abi: disputeGameAbi, functionName: 'bondToken' });
        const { hash } = await send('withdrawBond', undefined, { address: o.game.game, abi: disputeGameAbi, functionName: 'withdraw', args: [], signal });
        o.db.recordReward(hash, 'game', bondToken, bonds);
        log.info('game credit (bonds) withdrawn', { amount: bonds, hash });
      }
    },

    get live() { return playing.size; },
    async settled() { await Promise.all([...playing.values()]); },
  };
}

