/**
 * The devnet's composition root: a chain with the market deployed into the run's own directory,
 * an embedded libp2p + Helia node in this process (the devnet's bootstrap peer and IPFS node), and
 * the roles as separate processes through their own CLIs: solvers (`node/cli.ts`), verifiers
 * (`verifier/cli.ts`) and the submitter (`scripts/devnet/submitter.ts`).
 *
 * Every process's libp2p key and port are chosen before any of them starts, so each one's
 * bootstrap list names all the others: the peers form a full mesh on loopback whatever order they
 * start in (bitswap fetches from connected peers, and gossip needs a mesh). Scale-out: `rpcUrl`
 * points at an external chain, `kuboUrl` puts the submitter's and verifiers' content in a Kubo
 * node (whose swarm addresses every peer dials), and `bootstrap` adds remote peers to every list.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import type { Hex } from 'viem';
import type { MarketParameters } from '../../sdk/chain/deployment.ts';
import type { PlainObject } from '../../sdk/daemon/config.ts';
import { ConfigError } from '../../sdk/errors.ts';
import { silentLogger } from '../../sdk/log.ts';
import { loadOrCreatePeerKey } from '../../sdk/p2p/keys.ts';
import { createP2PNode, type P2PNode } from '../../sdk/p2p/node.ts';
import { createHeliaStore } from '../../sdk/storage/helia.ts';
import { createKuboStore } from '../../sdk/storage/kubo.ts';
import type { ContentStore } from '../../sdk/storage/types.ts';
import { freePort, REPO_ROOT } from './anvil.ts';
import { startDevnetChain, type DevnetChain } from './chain.ts';
import type { DevnetJobPlan, SubmitterPlan } from './plan.ts';
import { spawnRole, type ChildLine, type RoleProcess } from './process.ts';

export const PROGRAMS = {
  solver: path.join(REPO_ROOT, 'node', 'cli.ts'),
  verifier: path.join(REPO_ROOT, 'verifier', 'cli.ts'),
  submitter: path.join(REPO_ROOT, 'scripts', 'devnet', 'submitter.ts'),
  explorer: path.join(REPO_ROOT, 'explorer', 'cli.ts'),
} as const;

export type RoleKind = keyof typeof PROGRAMS;

export interface PeerPlan {
  readonly role: string;
  readonly kind: RoleKind;
  readonly dataDir: string;
  readonly peerId: string;
  readonly listen: string;
  /** listen + /p2p/<peer id>: what the others dial. */
  readonly multiaddr: string;
}

export interface DevnetOptions {
  readonly runDir: string;
  readonly rpcUrl?: string | undefined;
  readonly deploymentFile?: string | undefined;
  readonly deployerKey?: Hex | undefined;
  readonly kuboUrl?: string | undefined;
  /** Remote peers every process (and the hub) dials. */
  readonly bootstrap?: readonly string[] | undefined;
  readonly parameters?: Partial<MarketParameters> | undefined;
  readonly accounts?: number | undefined;
  /** Accounts minted TestTokens on a development deployment. */
  readonly fund?: readonly `0x${string}`[] | undefined;
  readonly log?: ((line: string) => void) | undefined;
  readonly onChildLine?: ((line: ChildLine, role: string) => void) | undefined;
  readonly onChildText?: ((text: string, role: string) => void) | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface SolverRoleOptions {
  readonly key: Hex;
  /** Whole tokens staked (with the solver CLI) before the daemon starts. */
  readonly stake: string;
  readonly policy?: PlainObject | undefined;
  readonly fraud?: { readonly kind: string; readonly interval: number } | undefined;
  readonly pollMs?: number | undefined;
  readonly backend?: string | undefined;
}

export interface VerifierRoleOptions {
  readonly key: Hex;
  /** Overrides of the verifier's config (sampling, screen, disputes, jobs, …). */
  readonly config?: PlainObject | undefined;
  /** Solver address (lowercase) -> multiaddr. */
  readonly solverPeers?: Readonly<Record<string, string>> | undefined;
  readonly pollMs?: number | undefined;
}

export interface SubmitterRoleOptions {
  readonly key: Hex;
  readonly jobs: readonly DevnetJobPlan[];
  readonly holdout?: number | undefined;
  readonly pollMs?: number | undefined;
}

export interface ExplorerRoleOptions {
  /** `--validation` (e.g. mnist:1000, the submitter's held-out digits). */
  readonly validation?: string | undefined;
  /** Files of published verifier reports. */
  readonly reports?: readonly string[] | undefined;
  /** Address (lowercase) -> name. */
  readonly labels?: Readonly<Record<string, string>> | undefined;
  readonly pollMs?: number | undefined;
}

export interface Devnet {
  readonly runDir: string;
  readonly chain: DevnetChain;
  /** The devnet's own libp2p node: every process's first bootstrap peer. */
  readonly hub: P2PNode;
  /** Its content store (Helia on the hub, or the Kubo node). */
  readonly store: ContentStore;
  readonly processes: readonly RoleProcess[];
  /** Chooses a role's data directory, libp2p key and port; call for every role before starting any. */
  plan(role: string, kind: RoleKind): Promise<PeerPlan>;
  startSolver(plan: PeerPlan, options: SolverRoleOptions): Promise<RoleProcess>;
  startVerifier(plan: PeerPlan, options: VerifierRoleOptions): Promise<RoleProcess>;
  startSubmitter(plan: PeerPlan, options: SubmitterRoleOptions): Promise<RoleProcess>;
  /** The explorer (`veritrain-explorer serve`) on a free port, fetching content from every peer; resolves with its URL. */
  startExplorer(options?: ExplorerRoleOptions): Promise<{ process: RoleProcess; url: string }>;
  /** Stops every process (SIGTERM, then SIGKILL after `graceMs`), the hub and the chain. */
  stop(graceMs?: number): Promise<void>;
}

/** A Kubo node's TCP swarm addresses (with /p2p/<id>), for the peers to dial. */
export async function kuboPeers(kuboUrl: string, signal?: AbortSignal): Promise<string[]> {
  const response = await fetch(new URL('/api/v0/id', kuboUrl), { method: 'POST', signal: signal ?? AbortSignal.timeout(10_000) });
  if (!response.ok) throw new ConfigError(`Kubo at ${kuboUrl} answered ${response.status} to /api/v0/id`);
  const body = (await response.json()) as { ID?: string; Addresses?: string[] | null };
  const addresses = (body.Addresses ?? []).filter((a) => a.includes('/tcp/') && !a.includes('/ws') && !a.includes('/quic'));
  return addresses.map((a) => (a.includes('/p2p/') ? a : `${a}/p2p/${body.ID ?? ''}`));
}

export async function startDevnet(options: DevnetOptions): Promise<Devnet> {
  const log = options.log ?? (() => undefined);
  await mkdir(options.runDir, { recursive: true });
  const processes: RoleProcess[] = [];
  const plans: PeerPlan[] = [];
  const remote = [...(options.bootstrap ?? [])];
  if (options.kuboUrl !== undefined) {
    const peers = await kuboPeers(options.kuboUrl, options.signal);
    log(`Kubo at ${options.kuboUrl}: ${peers.length} swarm address(es) added to every bootstrap list`);
    remote.push(...peers);
  }

  const chain = await startDevnetChain({
    runDir: options.runDir,
    rpcUrl: options.rpcUrl,
    deploymentFile: options.deploymentFile,
    deployerKey: options.deployerKey,
    parameters: options.parameters,
    fund: options.fund,
    accounts: options.accounts,
    log,
    signal: options.signal,
  });
  let hub: P2PNode | undefined;
  let store: ContentStore | undefined;
  try {
    const hubDir = path.join(options.runDir, 'hub');
    const hubPort = await freePort();
    hub = createP2PNode({
      account: privateKeyToAccount(generatePrivateKey()),
      chainId: chain.chainId,
      market: chain.deployment.contracts.JobMarket.address,
      directory: hubDir,
      listen: [`/ip4/127.0.0.1/tcp/${hubPort}`],
      bootstrap: remote,
      logger: silentLogger,
    });
    await hub.start();
    store =
      options.kuboUrl === undefined
        ? createHeliaStore({ directory: path.join(hubDir, 'ipfs'), libp2p: hub.libp2p })
        : createKuboStore({ url: options.kuboUrl });
    await store.start();
  } catch (err) {
    await store?.stop().catch(() => undefined);
    await hub?.stop().catch(() => undefined);
    await chain.stop();
    throw err;
  }
  const hubNode = hub;
  const hubStore = store;
  const hubAddr = hubNode.multiaddrs()[0];
  if (hubAddr === undefined) throw new ConfigError('the hub node has no listen address');

  const bootstrapFor = (self: PeerPlan): string[] => [hubAddr, ...plans.filter((p) => p !== self).map((p) => p.multiaddr), ...remote];
  const spawn = (role: string, kind: RoleKind, args: string[], env: Record<string, string>): RoleProcess => {
    const p = spawnRole({
      role,
      program: PROGRAMS[kind],
      args,
      env,
      cwd: REPO_ROOT,
      onLine: options.onChildLine,
      onText: options.onChildText,
      logFile: path.join(options.runDir, `${role}.log`),
    });
    processes.push(p);
    return p;
  };
  const writeJson = async (file: string, value: unknown): Promise<string> => {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, `${JSON.stringify(value, null, 2)}\n`);
    return file;
  };
  const chainConfig = (pollMs: number): PlainObject => ({ rpcUrl: chain.rpcUrl, deploymentsDir: chain.deploymentsDir, pollingIntervalMs: pollMs });

  return {
    runDir: options.runDir,
    chain,
    hub: hubNode,
    store: hubStore,
    processes,

    async plan(role, kind) {
      const dataDir = path.join(options.runDir, role);
      const key = await loadOrCreatePeerKey(kind === 'solver' ? path.join(dataDir, 'p2p') : dataDir);
      const port = await freePort();
      const peerId = key.publicKey.toString();
      const listen = `/ip4/127.0.0.1/tcp/${port}`;
      const plan: PeerPlan = { role, kind, dataDir, peerId, listen, multiaddr: `${listen}/p2p/${peerId}` };
      plans.push(plan);
      return plan;
    },

    async startSolver(plan, o) {
      const config = await writeJson(path.join(plan.dataDir, 'solver.json'), {
        dataDir: plan.dataDir,
        chain: chainConfig(o.pollMs ?? 250),
        p2p: { listen: [plan.listen], bootstrap: bootstrapFor(plan) },
        storage: { fetchTimeoutMs: 60_000 },
        policy: o.policy ?? {},
        backend: o.backend ?? 'wasm',
        metrics: { enabled: false },
        log: { level: 'info', progress: false },
        fraud: o.fraud ?? { kind: 'none', interval: 1 },
      });
      const env = { VERITRAIN_PRIVATE_KEY: o.key };
      const staking = spawn(plan.role, 'solver', ['stake', o.stake, '--config', config], env);
      const code = await staking.exited;
      processes.splice(processes.indexOf(staking), 1);
      if (code !== 0) throw new ConfigError(`${plan.role}: staking failed (exit ${String(code)}):\n${staking.tail()}`);
      const daemon = spawn(plan.role, 'solver', ['run', '--config', config], env);
      await daemon.waitFor((l) => l.event === 'started', 90_000, 'the solver to start');
      return daemon;
    },

    async startVerifier(plan, o) {
      const overrides = o.config ?? {};
      const config = await writeJson(path.join(plan.dataDir, 'verifier.json'), {
        ...overrides,
        dataDir: plan.dataDir,
        chain: chainConfig(o.pollMs ?? 250),
        storage: options.kuboUrl === undefined ? { kind: 'helia' } : { kind: 'kubo', kuboUrl: options.kuboUrl },
        p2p: { listen: [plan.listen], bootstrap: bootstrapFor(plan), solverPeers: o.solverPeers ?? {} },
        metrics: { enabled: false },
      });
      const daemon = spawn(plan.role, 'verifier', ['run', '--config', config], { VERITRAIN_PRIVATE_KEY: o.key });
      await daemon.waitFor((l) => l.msg === 'verifier started', 90_000, 'the verifier to start');
      return daemon;
    },

    async startSubmitter(plan, o) {
      const submitterPlan: SubmitterPlan = {
        rpcUrl: chain.rpcUrl,
        deploymentsDir: chain.deploymentsDir,
        dataDir: plan.dataDir,
        listen: [plan.listen],
        bootstrap: bootstrapFor(plan),
        ...(options.kuboUrl === undefined ? {} : { kuboUrl: options.kuboUrl }),
        holdout: o.holdout ?? 1_000,
        pollMs: o.pollMs ?? 250,
        jobs: [...o.jobs],
      };
      const file = await writeJson(path.join(plan.dataDir, 'plan.json'), submitterPlan);
      const p = spawn(plan.role, 'submitter', [file], { VERITRAIN_PRIVATE_KEY: o.key });
      await p.waitFor((l) => l.event === 'started', 60_000, 'the submitter to start');
      return p;
    },

    async startExplorer(o = {}) {
      const env: Record<string, string> = {
        VERITRAIN_RPC_URL: chain.rpcUrl,
        VERITRAIN_DEPLOYMENTS: chain.deploymentsDir,
        VERITRAIN_BOOTSTRAP: [hubAddr, ...plans.map((p) => p.multiaddr), ...remote].join(','),
        VERITRAIN_EXPLORER_PORT: '0',
        VERITRAIN_POLL_MS: String(o.pollMs ?? 500),
      };
      if (options.kuboUrl !== undefined) env.VERITRAIN_KUBO_URL = options.kuboUrl;
      if (o.validation !== undefined) env.VERITRAIN_EXPLORER_VALIDATION = o.validation;
      if (o.reports !== undefined) env.VERITRAIN_EXPLORER_REPORTS = o.reports.join(',');
      if (o.labels !== undefined)
        env.VERITRAIN_EXPLORER_LABELS = Object.entries(o.labels)
          .map(([a, n]) => `${a}=${n}`)
          .join(',');
      const p = spawn('explorer', 'explorer', ['serve'], env);
      const line = await p.waitFor((l) => l.msg === 'explorer listening', 60_000, 'the explorer to listen');
      return { process: p, url: String(line.url) };
    },

    async stop(graceMs = 5_000) {
      await Promise.all(processes.map((p) => p.stop(graceMs)));
      await hubStore.stop().catch(() => undefined);
      await hubNode.stop().catch(() => undefined);
      await chain.stop();
    },
  };
}
