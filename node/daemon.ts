/**
 * The solver daemon's composition root: builds every component from the config (database, chain
 * client and transaction sender, libp2p node, embedded IPFS store on it, hashing workers,
 * metrics) and the services over them (states server, job lifecycle, dispute defender), starts
 * them in order and stops them in reverse. Nothing else creates components.
 */
import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Address, LocalAccount } from 'viem';
import { zeroAddress } from 'viem';
import {
  createChainClient,
  createHeliaStore,
  createP2PNode,
  createRootHasher,
  jobMarketAbi,
  requireWallet,
  startMetricsServer,
  startServices,
  stopServices,
  systemClock,
  createTxJournal,
  withRetry,
  type Clock,
  type Logger,
  type MetricsServer,
  type ProgressLine,
  type Service,
} from '../sdk/index.ts';
import { cheatingBehaviour, type SolverBehaviour } from './cheat.ts';
import { dbFile, nodeInfoFile, type SolverConfig } from './config.ts';
import { openSolverDb, type SolverDb } from './db.ts';
import { createDefender } from './services/defender.ts';
import { createJobsService } from './services/jobs.ts';
import { createSolverMetrics, type SolverMetrics } from './services/metrics.ts';
import { createStatesProvider, createStatesServer } from './services/states.ts';
import { createWorkspaces } from './services/workspaces.ts';

export interface SolverDaemonComponents {
  readonly account: LocalAccount;
  readonly logger: Logger;
  readonly progress: ProgressLine;
  readonly clock?: Clock | undefined;
  /** Components to use instead of the honest ones (default: the config's demo cheating mode, if any). */
  readonly behaviour?: SolverBehaviour | undefined;
}

/** What a running node tells its operator (and tests): written to `<dataDir>/node.json`. */
export interface NodeInfo {
  readonly address: Address;
  readonly chainId: number;
  readonly market: Address;
  readonly disputeGame: Address | undefined;
  readonly peerId: string;
  readonly multiaddrs: string[];
  readonly metricsUrl: string | undefined;
  readonly pid: number;
}

export interface SolverDaemon {
  start(): Promise<NodeInfo>;
  stop(): Promise<void>;
  readonly metrics: SolverMetrics;
}

export function createSolverDaemon(config: SolverConfig, components: SolverDaemonComponents): SolverDaemon {
  const clock = components.clock ?? systemClock;
  const log = components.logger;
  const metrics = createSolverMetrics();
  const running: { name: string; service: Service }[] = [];
  let db: SolverDb | undefined;

  const daemon: SolverDaemon = {
    metrics,
    async start() {
      const behaviour = components.behaviour ?? cheatingBehaviour(config.fraud);
      if (config.fraud.kind !== 'none') {
        for (let i = 0; i < 3; i++)
          log.warn('!!! CHEATING MODE IS ON: this node trains dishonestly and WILL LOSE ITS STAKE. Demo only. !!!', { fraud: config.fraud });
      }
      await mkdir(config.dataDir, { recursive: true });
      db = await openSolverDb(dbFile(config.dataDir), { now: clock.now });
      const client = requireWallet(
        await createChainClient({
          rpcUrl: config.chain.rpcUrl,
          signer: components.account,
          deploymentsDir: config.chain.deploymentsDir,
          deploymentFile: config.chain.deploymentFile,
          logger: log,
          pollingIntervalMs: config.chain.pollingIntervalMs,
          confirmations: config.chain.confirmations,
          receiptTimeoutMs: config.chain.receiptTimeoutMs,
        }),
        'the solver',
      );
      const market = client.deployment.contracts.JobMarket.address;
      const gameOnChain =
        config.chain.disputeGame ??
        (await withRetry(() => client.publicClient.readContract({ address: market, abi: jobMarketAbi, functionName: 'disputeGame' }), {
          ...client.retry,
          action: 'disputeGame',
        }));
      const game = gameOnChain === zeroAddress ? undefined : (gameOnChain as Address);
      if (game === undefined) log.warn('the market has no dispute game: disputes cannot be opened or defended');
      log.info('solver starting', {
        address: client.signer.address,
        chainId: client.chainId,
        market,
        disputeGame: game,
        dataDir: config.dataDir,
        backend: config.backend,
      });

      const p2p = createP2PNode({
        account: components.account,
        chainId: client.chainId,
        market,
        directory: path.join(config.dataDir, 'p2p'),
        listen: config.p2p.listen,
        bootstrap: config.p2p.bootstrap,
        logger: log,
        now: clock.now,
      });
      const hasher = createRootHasher({ threads: config.training.hashThreads });
      const journal = createTxJournal({
        store: db.store,
        publicClient: client.publicClient,
        sender: client.sender,
        logger: log,
        now: clock.now,
        pollingIntervalMs: client.pollingIntervalMs,
        onOutcome: (action, outcome) => {
          metrics.txs.inc(1, { action, outcome });
        },
      });
      const workspaces = createWorkspaces({ dataDir: config.dataDir, backend: config.backend, transitionFor: behaviour.transitionFor }, { db });
      let metricsServer: MetricsServer | undefined;
      const shared = { db, client, journal, workspaces, metrics, logger: log, clock };
      const honestStates = createStatesProvider({ db, workspaces, logger: log, metrics });
      // Made by the ipfs factory, which runs before the jobs factory.
      let store!: ReturnType<typeof createHeliaStore>;
      await startServices(
        [
          { name: 'hasher', create: () => ({ start: () => Promise.resolve(), stop: () => hasher.close() }) },
          { name: 'p2p', create: () => p2p },
          // Helia rides on the started libp2p node: created after it starts, stopped before it.
          { name: 'ipfs', create: () => (store = createHeliaStore({ directory: path.join(config.dataDir, 'ipfs'), libp2p: p2p.libp2p, logger: log })) },
          {
            name: 'metrics',
            create: () => ({
              start: async () => {
                if (config.metrics.enabled)
                  metricsServer = await startMetricsServer({ registry: metrics.registry, host: config.metrics.host, port: config.metrics.port, logger: log });
              },
              stop: async () => {
                await metricsServer?.close();
              },
            }),
          },
          { name: 'states', create: () => createStatesServer({ p2p, provider: behaviour.states?.(honestStates) ?? honestStates }) },
          {
            name: 'jobs',
            create: () =>
              createJobsService(
                {
                  dataDir: config.dataDir,
                  policy: config.policy,
                  backend: config.backend,
                  selfCheckEvery: config.training.selfCheckEvery,
                  fetchTimeoutMs: config.storage.fetchTimeoutMs,
                  pollingIntervalMs: config.chain.pollingIntervalMs,
                  fromBlock: config.chain.fromBlock,
                  maxConcurrentJobs: config.policy.maxConcurrentJobs,
                },
                { ...shared, store, p2p, hasher, progress: components.progress },
              ),
          },
          ...(game === undefined
            ? []
            : [
                {
                  name: 'defender',
                  create: () =>
                    createDefender(
                      {
                        game,
                        pollingIntervalMs: config.chain.pollingIntervalMs,
                        fromBlock: BigInt(config.chain.fromBlock ?? client.deployment.deployedAt),
                        defense: behaviour.defense,
                      },
                      shared,
                    ),
                },
              ]),
        ],
        log,
        running,
      );
      const info: NodeInfo = {
        address: client.signer.address,
        chainId: client.chainId,
        market,
        disputeGame: game,
        peerId: p2p.peerId,
        multiaddrs: p2p.multiaddrs(),
        metricsUrl: metricsServer?.url,
        pid: process.pid,
      };
      await writeFile(nodeInfoFile(config.dataDir), `${JSON.stringify(info, null, 2)}\n`);
      log.info('solver running', { ...info });
      return info;
    },
    async stop() {
      await stopServices(running.splice(0), log);
      db?.close();
      db = undefined;
      log.info('solver stopped');
    },
  };
  return daemon;
}
