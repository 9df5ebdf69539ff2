/**
 * The verifier daemon's composition root. `createVerifierDaemon` wires the services over injected
 * components (chain client and game wallet, content store, p2p node, clock, randomness, logger), so
 * tests run it in-process against a real chain; `startVerifierFromConfig` builds those components
 * from the configuration for the CLI.
 *
 * Start order: database -> tfjs backend -> peer gossip (solver peer ids) -> resume disputes ->
 * poll loop. Stop is the reverse; every piece of state is in the database, so kill -9 at any point
 * loses nothing that the next start cannot rebuild from it and the chain.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import {
  createChainClient,
  createHeliaStore,
  createJsonLogger,
  createKuboStore,
  createMetricsRegistry,
  createP2PNode,
  createTxJournal,
  jobMarketAbi,
  loadAccount,
  marketAddress,
  pollLoop,
  requireWallet,
  startMetricsServer,
  startServices,
  stopServices,
  systemClock,
  useBackend,
  type BackendName,
  type Clock,
  type ContentStore,
  type Logger,
  type MetricsServer,
  type MetricsRegistry,
  type P2PNode,
  type WalletChainClient,
} from '../sdk/index.ts';
import type { VerifierConfig } from './config.ts';
import type { JobReport } from './core/report.ts';
import type { RandomBytes } from './core/sampling.ts';
import { createSolverData } from './services/data.ts';
import { openVerifierDb, type VerifierDb } from './services/db.ts';
import { createDisputeManager, type DisputeManager } from './services/disputes.ts';
import { createVerification, type Verification } from './services/verification.ts';

export interface VerifierComponents {
  readonly chain: WalletChainClient;
  readonly content: ContentStore;
  /** Started by its owner (the store may share its libp2p). */
  readonly p2p: P2PNode;
  readonly logger: Logger;
  readonly clock?: Clock | undefined;
  readonly random?: RandomBytes | undefined;
  readonly metrics?: MetricsRegistry | undefined;
}

export interface VerifierDaemon {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** One pass of the loop (tests drive the daemon with it instead of the timer). */
  tick(): Promise<void>;
  report(jobId: bigint): JobReport | undefined;
  readonly db: VerifierDb;
  readonly disputes: DisputeManager;
  readonly verification: Verification;
}

export async function createVerifierDaemon(config: VerifierConfig, components: VerifierComponents, options: { loop?: boolean } = {}): Promise<VerifierDaemon> {
  const log = components.logger.child({ component: 'verifier' });
  const clock = components.clock ?? systemClock;
  const random = components.random ?? { bytes: (n: number) => new Uint8Array(randomBytes(n)) };
  const metrics = components.metrics ?? createMetricsRegistry({ prefix: 'veritrain_verifier_' });
  const checked = metrics.gauge('intervals', 'Sampled intervals by state', ['state']);
  const disputesGauge = metrics.gauge('disputes', 'Disputes by outcome', ['outcome']);

  const db = await openVerifierDb(path.join(config.dataDir, 'verifier.db'));
  const market = marketAddress(components.chain);
  const game = await components.chain.publicClient.readContract({ address: market, abi: jobMarketAbi, functionName: 'disputeGame' });
  const tf = await useBackend(config.backend);

  const data = createSolverData({
    content: components.content,
    p2p: components.p2p,
    db,
    logger: components.logger,
    market,
    dataDir: config.dataDir,
    fetchTimeoutMs: config.disputes.fetchTimeoutMs,
    fetchAttempts: config.disputes.fetchAttempts,
    solverPeers: config.p2p.solverPeers,
  });
  const journal = createTxJournal({
    store: db.store,
    publicClient: components.chain.publicClient,
    sender: components.chain.sender,
    logger: components.logger,
    now: clock.now,
    pollingIntervalMs: components.chain.pollingIntervalMs,
  });
  const disputes = createDisputeManager({
    chain: components.chain,
    game,
    db,
    journal,
    logger: components.logger,
    clock,
    pollMs: config.chain.pollingIntervalMs,
    chainOf: (jobId, interval, signal) => verification.chainOf(jobId, interval, signal),
    checkpointsOf: (jobId, interval, signal) => verification.checkpointsOf(jobId, interval, signal),
    consistent: (jobId, from, to, signal) => verification.consistent(jobId, from, to, signal),
  });
  const verification: Verification = createVerification({
    chain: components.chain,
    content: components.content,
    db,
    data,
    disputes,
    tf,
    random,
    logger: components.logger,
    config,
  });

  checked.onCollect((g) => {
    g.reset();
    const rows = db.store.all<{ state: string; n: number }>('SELECT state, COUNT(*) AS n FROM intervals GROUP BY state');
    for (const r of rows) g.set(r.n, { state: r.state });
  });
  disputesGauge.onCollect((g) => {
    g.reset();
    for (const r of db.store.all<{ outcome: string | null; n: number }>('SELECT outcome, COUNT(*) AS n FROM disputes GROUP BY outcome'))
      g.set(r.n, { outcome: r.outcome ?? 'open' });
  });

  let controller: AbortController | undefined;
  let loop: Promise<void> | undefined;
  let unsubscribe: (() => void) | undefined;

  return {
    db,
    disputes,
    verification,
    report: (jobId) => verification.report(jobId),
    tick: () => verification.tick(controller?.signal ?? new AbortController().signal),
    async start() {
      controller = new AbortController();
      const signal = controller.signal;
      // Learn solver peers from signed checkpoint gossip: `from` is the solver's chain address.
      unsubscribe = components.p2p.onCheckpoint((m) => {
        if (db.peer(m.from) !== m.peer) {
          db.setPeer(m.from, m.peer);
          log.debug('solver peer learned', { solver: m.from, peer: m.peer });
        }
      });
      await disputes.resume((jobId) => verification.job(jobId, signal), signal);
      if (options.loop !== false)
        loop = pollLoop((s) => verification.tick(s), { name: 'verification tick', intervalMs: config.chain.pollingIntervalMs, signal, clock, log });
      log.info('verifier started', {
        account: components.chain.signer.address,
        market,
        game,
        backend: config.backend,
        budget: config.sampling.budget,
        threshold: config.screen.threshold,
      });
    },
    async stop() {
      controller?.abort(new DOMException('verifier stopping', 'AbortError'));
      unsubscribe?.();
      await loop;
      await disputes.stop();
      db.close();
      log.info('verifier stopped');
    },
  };
}

/** Everything `run` needs, built from the config; returns a stop function. */
export async function startVerifierFromConfig(
  config: VerifierConfig,
  io: { env: Readonly<Record<string, string | undefined>>; signal: AbortSignal; logger?: Logger | undefined },
): Promise<{ daemon: VerifierDaemon; stop: () => Promise<void> }> {
  const logger = io.logger ?? createJsonLogger({ level: config.log.level });
  const account = await loadAccount({ keystore: config.key.keystore, env: io.env, signal: io.signal });
  const chain = requireWallet(
    await createChainClient({
      rpcUrl: config.chain.rpcUrl,
      signer: account,
      deploymentsDir: config.chain.deploymentsDir,
      deploymentFile: config.chain.deploymentFile,
      logger,
      pollingIntervalMs: config.chain.pollingIntervalMs,
      confirmations: config.chain.confirmations,
      receiptTimeoutMs: config.chain.receiptTimeoutMs,
      signal: io.signal,
    }),
    'the verifier',
  );
  const p2p = createP2PNode({
    account,
    chainId: chain.chainId,
    market: marketAddress(chain),
    directory: config.dataDir,
    listen: config.p2p.listen,
    bootstrap: config.p2p.bootstrap,
    logger,
  });
  const metrics = createMetricsRegistry({ prefix: 'veritrain_verifier_' });
  // Each made when its turn comes: Helia rides on the started libp2p node, the daemon on both.
  let content!: ContentStore;
  let daemon!: VerifierDaemon;
  let server: MetricsServer | undefined;
  const running = await startServices(
    [
      { name: 'p2p', create: () => p2p },
      {
        name: 'ipfs',
        create: () =>
          (content =
            config.storage.kind === 'kubo'
              ? createKuboStore({ url: config.storage.kuboUrl })
              : createHeliaStore({ directory: path.join(config.dataDir, 'ipfs'), libp2p: p2p.libp2p, logger })),
      },
      {
        name: 'metrics',
        create: () => ({
          start: async () => {
            if (config.metrics.enabled) server = await startMetricsServer({ registry: metrics, host: config.metrics.host, port: config.metrics.port, logger });
          },
          stop: async () => {
            await server?.close();
          },
        }),
      },
      { name: 'verifier', create: async () => (daemon = await createVerifierDaemon(config, { chain, content, p2p, logger, metrics })) },
    ],
    logger,
  );
  return { daemon, stop: () => stopServices(running, logger) };
}

export type { BackendName };
