/**
 * Defends every dispute opened against this node's checkpoints, automatically and to the end
 * (docs/PROTOCOL.md §5): posts midpoints from its own regenerated chain, the op-trace root of the
 * final step, and opens whatever element the challenger points at; claims the win when the
 * challenger's clock runs out; withdraws the bond it wins. Moves go through the journal (keyed by
 * dispute, stage and range), and each is checked against the game's current stage before it is
 * sent, so a restarted node resumes a game in progress without replaying a move.
 */
import type { Address } from 'viem';
import {
  disputeGameAbi, pollLoop, readDispute, SOLVER_STAGES, solverMove, Stage, STAGE_NAMES,
  withRetry, type Clock, type Dispute, type Logger, type Service, type StageCode, type WalletChainClient,
} from '../../sdk/index.ts';
import type { SolverDb } from '../db.ts';
import type { TxJournal } from './journal.ts';
import { toTokens, type SolverMetrics } from './metrics.ts';
import type { FraudConfig, JobWorkspace } from './workspace.ts';
import type { Workspaces } from './workspaces.ts';

export interface DefenderOptions {
  readonly game: Address;
  readonly pollingIntervalMs: number;
  readonly fromBlock: bigint;
  readonly fraud: FraudConfig;
}

export interface DefenderComponents {
  readonly db: SolverDb;
  readonly client: WalletChainClient;
  readonly journal: TxJournal;
  readonly workspaces: Workspaces;
  readonly metrics: SolverMetrics;
  readonly logger: Logger;
  readonly clock: Clock;
}


export function createDefender(options: DefenderOptions, components: DefenderComponents): Service {
  const { db, client, journal, workspaces, metrics, clock } = components;
  const log = components.logger.child({ component: 'defender' });
  const me = client.signer.address.toLowerCase();
  const game = options.game;
  const clients = { publicClient: client.publicClient, game };
  const tasks = new Map<string, Promise<void>>();
  let controller: AbortController | undefined;
  let loop: Promise<void> | undefined;

  const rpc = <T>(action: string, fn: () => Promise<T>, signal: AbortSignal): Promise<T> => withRetry(fn, { ...client.retry, signal, action });
  const read = (id: bigint, signal: AbortSignal): Promise<Dispute> => rpc('getDispute', () => readDispute(clients, id), signal);

  async function discover(signal: AbortSignal): Promise<void> {
    const head = await rpc('getBlockNumber', () => client.publicClient.getBlockNumber({ cacheTime: 0 }), signal);
    const from = BigInt(db.store.getValue<string>('disputes.nextBlock') ?? options.fromBlock);
    if (head < from) return;
    const to = head - from > 5_000n ? from + 5_000n : head;
    const events = await rpc('getLogs DisputeCreated', () => client.publicClient.getContractEvents({ address: game, abi: disputeGameAbi, eventName: 'DisputeCreated', fromBlock: from, toBlock: to }), signal);
    for (const e of events) {
      const { disputeId, jobId, challenger, interval } = e.args;
      if (disputeId === undefined || jobId === undefined || challenger === undefined || interval === undefined) continue;
      if (db.dispute(disputeId) !== undefined) continue;
      const d = await read(disputeId, signal);
      if (d.solver.toLowerCase() !== me) continue;
      db.addDispute({ dispute_id: disputeId.toString(), job_id: jobId.toString(), interval, challenger });
      metrics.disputesOpen.inc();
      log.warn('dispute opened against us', { disputeId, jobId, interval, challenger });
    }
    db.store.setValue('disputes.nextBlock', (to + 1n).toString());
  }

  /** Sends the solver's move for the dispute's current stage. */
  async function move(disputeId: bigint, d: Dispute, ws: JobWorkspace, interval: number, signal: AbortSignal): Promise<void> {
    const stage = d.stage as StageCode;
    const name = stage === Stage.AwaitMidpoint ? 'postMidpoint' : stage === Stage.AwaitTrace ? 'postTrace' : stage === Stage.AwaitStateData || stage === Stage.AwaitTraceData ? 'publishData' : 'open';
    const traj = await ws.trajectory(interval);
    const outcome = await journal.once({
      // A publication takes many moves in one stage: the cursor and the last move's time tell them apart.
      action: `dispute${disputeId}.${name}.${d.lo}-${d.hi}.${d.cursor.tensor}.${d.cursor.leaf}.${d.lastMoveAt}`, jobId: d.jobId, index: stage,
      done: async (s) => {
        const now = await read(disputeId, s);
        return now.stage !== d.stage || now.lo !== d.lo || now.hi !== d.hi || now.cursor.tensor !== d.cursor.tensor || now.cursor.leaf !== d.cursor.leaf;
      },
      send: async (sender, onBroadcast, s) => {
        const write = await solverMove(disputeId, d, { graph: ws.graph, spec: ws.spec, trajectory: traj, dataset: () => ws.dataset() });
        return sender.writeContract({ address: game, abi: disputeGameAbi, ...write, signal: s, onBroadcast });
      },
    }, signal);
    if (outcome.status === 'mined') {
      metrics.disputeMoves.inc(1, { move: name });
      const row = db.dispute(disputeId);
      db.updateDispute(disputeId, { moves: (row?.moves ?? 0) + 1 });
      log.info('dispute move', { disputeId, move: name, lo: d.lo, hi: d.hi, hash: outcome.hash });
    }
  }

  async function finish(disputeId: bigint, d: Dispute, signal: AbortSignal): Promise<void> {
    const stage = d.stage as StageCode;
    const won = stage === Stage.SolverWon;
    const state = won ? 'won' : stage === Stage.ChallengerWon ? 'lost' : 'abandoned';
    if (db.dispute(disputeId)?.state === 'open') {
      db.updateDispute(disputeId, { state });
      metrics.disputesOpen.dec();
      metrics.disputes.inc(1, { outcome: state });
      (won ? log.info.bind(log) : log.error.bind(log))(`dispute ${state}`, { disputeId, jobId: d.jobId, stage: STAGE_NAMES[stage] });
    }
    if (!won) return;
    if (db.addEarning({ key: `bond:${disputeId}`, kind: 'bond', token: await rpc('bondToken', () => client.publicClient.readContract({ address: game, abi: disputeGameAbi, functionName: 'bondToken' }), signal), amount: d.bond.toString(), tx: null })) {
      metrics.earned.inc(toTokens(d.bond), { kind: 'bond' });
    }
    const credit = () => rpc('creditOf', () => client.publicClient.readContract({ address: game, abi: disputeGameAbi, functionName: 'creditOf', args: [client.signer.address] }), signal);
    if ((await credit()) === 0n) return;
    await journal.once({
      action: 'withdraw-bond', jobId: d.jobId, index: Number(disputeId),
      done: async () => (await credit()) === 0n,
      send: (sender, onBroadcast, s) => sender.writeContract({ address: game, abi: disputeGameAbi, functionName: 'withdraw', args: [], signal: s, onBroadcast }),
    }, signal);
    log.info('dispute bond withdrawn', { disputeId, bond: d.bond });
  }

  async function defend(disputeId: bigint, jobId: bigint, interval: number, signal: AbortSignal): Promise<void> {
    const ws = await workspaces.get(jobId);
    for (;;) {
      signal.throwIfAborted();
      const d = await read(disputeId, signal);
      const stage = d.stage as StageCode;
      if (stage === Stage.None || stage >= Stage.SolverWon) {
        await finish(disputeId, d, signal);
        return;
      }
      // A queued dispute waits for the job's earlier ones (its clocks stand still).
      if (d.active && SOLVER_STAGES.includes(stage)) {
        if (options.fraud.kind === 'withhold') {
          await clock.sleep(options.pollingIntervalMs, signal);
          continue;
        }
        if (ws === undefined) {
          log.error('cannot defend: this node holds no workspace for the job', { disputeId, jobId });
          await clock.sleep(options.pollingIntervalMs * 10, signal);
          continue;
        }
        await move(disputeId, d, ws, interval, signal);
        continue;
      }
      // The challenger's move: claim the game when its clock ran out.
      const [who, left] = await rpc('mover', () => client.publicClient.readContract({ address: game, abi: disputeGameAbi, functionName: 'mover', args: [disputeId] }), signal);
      if (who.toLowerCase() !== me && left === 0) {
        await journal.once({
          action: `dispute${disputeId}.timeout`, jobId, index: stage,
          done: async (s) => (await read(disputeId, s)).stage >= Stage.SolverWon,
          send: (sender, onBroadcast, s) => sender.writeContract({ address: game, abi: disputeGameAbi, functionName: 'timeout', args: [disputeId], signal: s, onBroadcast }),
        }, signal);
        log.info('challenger ran out of time; claimed the game', { disputeId });
        continue;
      }
      await clock.sleep(options.pollingIntervalMs, signal);
    }
  }

  function startTask(disputeId: bigint, jobId: bigint, interval: number, signal: AbortSignal): void {
    const key = disputeId.toString();
    if (tasks.has(key)) return;
    const task = defend(disputeId, jobId, interval, signal).catch((err: unknown) => {
      if (!signal.aborted) log.error('defending failed; will retry', { disputeId, error: err });
    }).finally(() => { tasks.delete(key); });
    tasks.set(key, task);
  }

  async function tick(signal: AbortSignal): Promise<void> {
    await discover(signal);
    for (const row of db.disputes(['open'])) startTask(BigInt(row.dispute_id), BigInt(row.job_id), row.interval, signal);
  }

  return {
    async start() {
      controller = new AbortController();
      metrics.disputesOpen.set(db.disputes(['open']).length);
      loop = pollLoop(tick, { name: 'dispute loop', intervalMs: options.pollingIntervalMs, signal: controller.signal, clock, log });
      await Promise.resolve();
    },
    async stop() {
      controller?.abort();
      await loop;
      await Promise.allSettled([...tasks.values()]);
    },
  };
}
