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
  createChainClient, createHeliaStore, createP2PNode, createRootHasher, jobMarketAbi, requireWallet, startMetricsServer, stopServices,
  systemClock, withRetry, type Clock, type Logger, type MetricsServer, type ProgressLine, type Service,
} from '../sdk/index.ts';
import { dbFile, nodeInfoFile, type SolverConfig } from './config.ts';
import { openSolverDb, type SolverDb } from './db.ts';
import { createDefender } from './services/defender.ts';
import { createJobsService } from './services/jobs.ts';
import { createTxJournal } from './services/journal.ts';
import { createSolverMetrics, type SolverMetrics } from './services/metrics.ts';
import { createStatesServer } from './services/states.ts';
import { createWorkspaces } from './services/workspaces.ts';

export interface SolverDaemonComponents {
  readonly account: LocalAccount;
  readonly logger: Logger;
  readonly progress: ProgressLine;
  readonly clock?: Clock | undefined;
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
      if (config.fraud.kind !== 'none') {
        for (let i = 0; i < 3; i++) log.warn('!!! CHEATING MODE IS ON: this node trains dishonestly and WILL LOSE ITS STAKE. Demo only. !!!', { fraud: config.fraud });
      }
      await mkdir(config.dataDir, { recursive: true });
      db = await openSolverDb(dbFile(config.dataDir), { now: clock.now });
      const client = requireWallet(await createChainClient({
        rpcUrl: config.chain.rpcUrl, signer: components.account, deploymentsDir: config.chain.deploymentsDir, deploymentFile: config.chain.deploymentFile,
        logger: log, pollingIntervalMs: config.chain.pollingIntervalMs, confirmations: config.chain.confirmations, receiptTimeoutMs: config.chain.receiptTimeoutMs,
      }), 'the solver');
      const market = client.deployment.contracts.JobMarket.address;
      const gameOnChain = config.chain.disputeGame ?? (await withRetry(() => client.publicClient.readContract({ address: market, abi: jobMarketAbi, functionName: 'disputeGame' }), { ...client.retry, action: 'disputeGame' }));
      const game = gameOnChain === zeroAddress ? undefined : (gameOnChain as Address);
      if (game === undefined) log.warn('the market has no dispute game: disputes cannot be opened or defended');
      log.info('solver starting', { address: client.signer.address, chainId: client.chainId, market, disputeGame: game, dataDir: config.dataDir, backend: config.backend });

      const p2p = createP2PNode({
        account: components.account, chainId: client.chainId, market, directory: path.join(config.dataDir, 'p2p'),
        listen: config.p2p.listen, bootstrap: config.p2p.bootstrap, logger: log, now: clock.now,
      });
      const hasher = createRootHasher({ threads: config.training.hashThreads });
      const journal = createTxJournal({ db, client, logger: log, metrics });
      const workspaces = createWorkspaces({ dataDir: config.dataDir, backend: config.backend, fraud: config.fraud }, { db });
      let metricsServer: MetricsServer | undefined;
      const shared = { db, client, journal, workspaces, metrics, logger: log, clock };
      /** Starts one component and records it for stop(); on failure stops what runs and rethrows. */
      const launch = async (name: string, service: Service): Promise<void> => {
        try {
          await service.start();
        } catch (err) {
          log.error('component failed to start', { component: name, error: err });
          await daemon.stop();
          throw err;
        }
        running.push({ name, service });
      };

      await launch('hasher', { start: () => Promise.resolve(), stop: () => hasher.close() });
      await launch('p2p', { start: () => p2p.start(), stop: () => p2p.stop() });
      // Helia rides on the started libp2p node: created after it starts, stopped before it.
      const store = createHeliaStore({ directory: path.join(config.dataDir, 'ipfs'), libp2p: p2p.libp2p, logger: log });
      await launch('ipfs', { start: () => store.start(), stop: () => store.stop() });
      await launch('metrics', {
        start: async () => { if (config.metrics.enabled) metricsServer = await startMetricsServer({ registry: metrics.registry, host: config.metrics.host, port: config.metrics.port, logger: log }); },
        stop: async () => { await metricsServer?.close(); },
      });
      await launch('states', createStatesServer({ p2p, db, workspaces, logger: log, metrics }, config.fraud));
      await launch('jobs', createJobsService({
        dataDir: config.dataDir, policy: config.policy, backend: config.backend, selfCheckEvery: config.training.selfCheckEvery,
        fetchTimeoutMs: config.storage.fetchTimeoutMs, pollingIntervalMs: config.chain.pollingIntervalMs, fromBlock: config.chain.fromBlock, fraud: config.fraud,
        maxConcurrentJobs: config.policy.maxConcurrentJobs,
      }, { ...shared, store, p2p, hasher, progress: components.progress }));
      if (game !== undefined) {
        await launch('defender', createDefender({ game, pollingIntervalMs: config.chain.pollingIntervalMs, fromBlock: BigInt(config.chain.fromBlock ?? client.deployment.deployedAt), fraud: config.fraud }, shared));
      }
      const info: NodeInfo = {
        address: client.signer.address, chainId: client.chainId, market, disputeGame: game, peerId: p2p.peerId, multiaddrs: p2p.multiaddrs(),
        metricsUrl: metricsServer?.url, pid: process.pid,
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
