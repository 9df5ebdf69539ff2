/**
 * Defends every dispute opened against this node's checkpoints, automatically and to the end
 * (docs/PROTOCOL.md §5): posts midpoints from its own regenerated chain, the op-trace root of the
 * final step, and opens whatever element the challenger points at; claims the win when the
 * challenger's clock runs out; withdraws the bond it wins. The game is played by the SDK's one
 * dispute player over the node's journal, so a restarted node resumes a game in progress without
 * replaying a move. How the node answers is its `defense` strategy (honest unless the composition
 * root injects another).
 */
import type { Address } from 'viem';
import {
  createDisputePlayer,
  disputeGameAbi,
  pollLoop,
  readDispute,
  scanLogs,
  solverStrategy,
  Stage,
  STAGE_NAMES,
  storeCursor,
  type Clock,
  type Dispute,
  type Logger,
  type Service,
  type SolverData,
  type StageCode,
  type Strategy,
  type TxJournal,
  type WalletChainClient,
} from '../../sdk/index.ts';
import type { SolverDb } from '../db.ts';
import { toTokens, type SolverMetrics } from './metrics.ts';
import type { Workspaces } from './workspaces.ts';

export interface DefenderOptions {
  readonly game: Address;
  readonly pollingIntervalMs: number;
  readonly fromBlock: bigint;
  /** How the node answers a dispute, from its own data (default: solverStrategy, honest defence). */
  readonly defense?: ((data: SolverData) => Strategy) | undefined;
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
  const defense = options.defense ?? solverStrategy;
  const player = createDisputePlayer({
    ...clients,
    journal,
    logger: components.logger,
    clock,
    pollMs: options.pollingIntervalMs,
    onMove: (m) => {
      metrics.disputeMoves.inc(1, { move: m.move });
      const row = db.dispute(m.disputeId);
      db.updateDispute(m.disputeId, { moves: (row?.moves ?? 0) + 1 });
    },
  });
  let controller: AbortController | undefined;
  let loop: Promise<void> | undefined;

  async function discover(signal: AbortSignal): Promise<void> {
    await scanLogs({
      publicClient: client.publicClient,
      cursor: storeCursor(db.store, 'disputes.nextBlock'),
      start: options.fromBlock,
      signal,
      read: (fromBlock, toBlock) =>
        client.publicClient.getContractEvents({ address: game, abi: disputeGameAbi, eventName: 'DisputeCreated', fromBlock, toBlock }),
      handle: async (events) => {
        for (const e of events) {
          const { disputeId, jobId, challenger, interval } = e.args;
          if (disputeId === undefined || jobId === undefined || challenger === undefined || interval === undefined) continue;
          if (db.dispute(disputeId) !== undefined) continue;
          const d = await readDispute(clients, disputeId);
          if (d.solver.toLowerCase() !== me) continue;
          db.addDispute({ dispute_id: disputeId.toString(), job_id: jobId.toString(), interval, challenger });
          metrics.disputesOpen.inc();
          log.warn('dispute opened against us', { disputeId, jobId, interval, challenger });
        }
      },
    });
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
    if (
      db.addEarning({
        key: `bond:${disputeId}`,
        kind: 'bond',
        token: await client.publicClient.readContract({ address: game, abi: disputeGameAbi, functionName: 'bondToken' }),
        amount: d.bond.toString(),
        tx: null,
      })
    ) {
      metrics.earned.inc(toTokens(d.bond), { kind: 'bond' });
    }
    const credit = () => client.publicClient.readContract({ address: game, abi: disputeGameAbi, functionName: 'creditOf', args: [client.signer.address] });
    if ((await credit()) === 0n) return;
    await journal.once(
      {
        action: 'withdraw-bond',
        jobId: d.jobId,
        index: Number(disputeId),
        done: async () => (await credit()) === 0n,
        send: (sender, onBroadcast, s) =>
          sender.writeContract({ address: game, abi: disputeGameAbi, functionName: 'withdraw', args: [], signal: s, onBroadcast }),
      },
      signal,
    );
    log.info('dispute bond withdrawn', { disputeId, bond: d.bond });
  }

  /** The node's strategy for a dispute: its own chain of the interval, from the job's workspace. */
  async function strategyFor(disputeId: bigint, jobId: bigint, interval: number): Promise<Strategy> {
    const ws = await workspaces.get(jobId);
    if (ws === undefined) throw new Error(`cannot defend dispute ${disputeId}: this node holds no workspace for job ${jobId}`);
    const trajectory = await ws.trajectory(interval);
    return defense({ graph: ws.graph, spec: ws.spec, trajectory, dataset: () => ws.dataset() });
  }

  const defending = new Set<bigint>();

  function defend(disputeId: bigint, jobId: bigint, interval: number, signal: AbortSignal): void {
    if (defending.has(disputeId)) return;
    defending.add(disputeId);
    void player
      .play(disputeId, () => strategyFor(disputeId, jobId, interval))
      .then((d) => finish(disputeId, d, signal))
      .catch((err: unknown) => {
        if (!signal.aborted) log.error('defending failed; will retry', { disputeId, error: err });
      })
      .finally(() => {
        defending.delete(disputeId);
      });
  }

  async function tick(signal: AbortSignal): Promise<void> {
    await discover(signal);
    for (const row of db.disputes(['open'])) defend(BigInt(row.dispute_id), BigInt(row.job_id), row.interval, signal);
  }

  return {
    async start() {
      controller = new AbortController();
      await player.start();
      metrics.disputesOpen.set(db.disputes(['open']).length);
      loop = pollLoop(tick, { name: 'dispute loop', intervalMs: options.pollingIntervalMs, signal: controller.signal, clock, log });
      await Promise.resolve();
    },
    async stop() {
      controller?.abort();
      await loop;
      await player.stop();
    },
  };
}
