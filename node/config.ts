/**
 * The solver's configuration: one zod schema, every default in SOLVER_DEFAULTS, loaded from a JSON
 * file (`--config` or VERITRAIN_SOLVER_CONFIG) and environment variables (SOLVER_ENV). Unknown
 * fields are errors, so a typo never silently falls back to a default. docs/SOLVER.md documents
 * every key.
 */
import path from 'node:path';
import * as z from 'zod';
import { loadConfig, type EnvBinding, type LoadedConfig, type PlainObject } from '../sdk/daemon/config.ts';
import { FRAUD_KINDS } from '../sdk/dispute/frauds.ts';
import { BACKENDS } from '../sdk/engine/backend.ts';

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x address');
const amount = z.union([z.string().regex(/^\d+$/, 'must be a decimal integer (token base units)'), z.number().int().nonnegative()]).transform((v) => BigInt(v));

export const solverConfigSchema = z.strictObject({
  /** Where the database, checkpoints, IPFS blocks and peer key live. */
  dataDir: z.string().min(1),
  chain: z.strictObject({
    rpcUrl: z.url({ protocol: /^https?$/ }),
    /** Directory of deployments/<chainId>.json (default: the repository's deployments/). */
    deploymentsDir: z.string().min(1).optional(),
    /** A deployment file to use instead of <deploymentsDir>/<chainId>.json. */
    deploymentFile: z.string().min(1).optional(),
    /** Dispute game address; default: the market's disputeGame(). */
    disputeGame: address.optional(),
    confirmations: z.number().int().min(1).max(64),
    pollingIntervalMs: z.number().int().min(10).max(600_000),
    receiptTimeoutMs: z.number().int().min(1_000),
    /** First block the job discovery scans (default: the deployment block). */
    fromBlock: z.number().int().nonnegative().optional(),
  }),
  key: z.strictObject({
    /** Encrypted keystore file (`veritrain-solver key create`). VERITRAIN_PRIVATE_KEY overrides it (development). */
    keystore: z.string().min(1).optional(),
  }),
  p2p: z.strictObject({
    listen: z.array(z.string().startsWith('/')),
    bootstrap: z.array(z.string().startsWith('/')),
  }),
  storage: z.strictObject({
    /** Timeout for fetching a spec or dataset, ms. */
    fetchTimeoutMs: z.number().int().min(1_000),
  }),
  policy: z.strictObject({
    /** Claim jobs automatically (false: discover and log only). */
    autoClaim: z.boolean(),
    /** Smallest payment per training step accepted, in the payment token's base units. */
    minPricePerStep: amount,
    /** Largest model accepted, in parameters (weights and biases). */
    maxParameters: z.number().int().positive(),
    /** Jobs training at the same time. */
    maxConcurrentJobs: z.number().int().min(1).max(64),
    /** Payment tokens accepted; empty: any the market allows. */
    tokens: z.array(address),
    /** Claim only when the estimated training time, at this many FLOP/s, is at most this fraction of the training duration. */
    flopsPerSecond: z.number().positive().optional(),
    deadlineSafety: z.number().gt(0).max(1),
    /** Longest challenge window accepted, s: the stake stays locked and the payment escrowed until it ends. */
    maxChallengeWindow: z.number().int().positive(),
  }),
  training: z.strictObject({
    backend: z.enum(BACKENDS),
    /** Worker threads hashing checkpoints. */
    hashThreads: z.number().int().min(1).max(64),
    /** Regenerate one step with the traced path every this many intervals (0: never). */
    selfCheckEvery: z.number().int().nonnegative(),
  }),
  metrics: z.strictObject({
    enabled: z.boolean(),
    host: z.string().min(1),
    port: z.number().int().min(0).max(65_535),
  }),
  log: z.strictObject({
    level: z.enum(['debug', 'info', 'warn', 'error']),
    /** Live progress line on a terminal (stderr). */
    progress: z.boolean(),
  }),
  /** Demo only: train dishonestly. Default off. */
  fraud: z.strictObject({
    kind: z.enum(['none', ...FRAUD_KINDS]),
    /** The checkpoint interval that is faked (every job). */
    interval: z.number().int().nonnegative(),
  }),
});

export type SolverConfig = z.output<typeof solverConfigSchema>;

/** Every default, in one place. */
export const SOLVER_DEFAULTS: PlainObject = {
  dataDir: './veritrain-solver',
  chain: { rpcUrl: 'http://127.0.0.1:8545', confirmations: 1, pollingIntervalMs: 2_000, receiptTimeoutMs: 120_000 },
  key: {},
  p2p: { listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [] },
  storage: { fetchTimeoutMs: 120_000 },
  policy: { autoClaim: true, minPricePerStep: '0', maxParameters: 50_000_000, maxConcurrentJobs: 1, tokens: [], deadlineSafety: 0.5, maxChallengeWindow: 30 * 86_400 },
  training: { backend: 'wasm', hashThreads: 1, selfCheckEvery: 10 },
  metrics: { enabled: true, host: '127.0.0.1', port: 9464 },
  log: { level: 'info', progress: true },
  fraud: { kind: 'none', interval: 1 },
};

/** Environment variables, each overriding one field. */
export const SOLVER_ENV: readonly EnvBinding[] = [
  { name: 'VERITRAIN_DATA_DIR', path: 'dataDir', description: 'data directory' },
  { name: 'VERITRAIN_RPC_URL', path: 'chain.rpcUrl', description: 'JSON-RPC endpoint' },
  { name: 'VERITRAIN_DEPLOYMENTS', path: 'chain.deploymentsDir', description: 'directory of deployments/<chainId>.json' },
  { name: 'VERITRAIN_DEPLOYMENT_FILE', path: 'chain.deploymentFile', description: 'deployment file' },
  { name: 'VERITRAIN_DISPUTE_GAME', path: 'chain.disputeGame', description: 'dispute game address' },
  { name: 'VERITRAIN_POLL_MS', path: 'chain.pollingIntervalMs', type: 'number', description: 'chain polling interval' },
  { name: 'VERITRAIN_KEYSTORE', path: 'key.keystore', description: 'keystore file' },
  { name: 'VERITRAIN_LISTEN', path: 'p2p.listen', type: 'list', description: 'libp2p listen multiaddrs, comma-separated' },
  { name: 'VERITRAIN_BOOTSTRAP', path: 'p2p.bootstrap', type: 'list', description: 'bootstrap multiaddrs, comma-separated' },
  { name: 'VERITRAIN_AUTO_CLAIM', path: 'policy.autoClaim', type: 'boolean', description: 'claim jobs automatically' },
  { name: 'VERITRAIN_MIN_PRICE_PER_STEP', path: 'policy.minPricePerStep', description: 'minimum payment per step (base units)' },
  { name: 'VERITRAIN_MAX_PARAMETERS', path: 'policy.maxParameters', type: 'number', description: 'largest model accepted' },
  { name: 'VERITRAIN_BACKEND', path: 'training.backend', description: 'tfjs backend: cpu, wasm, tensorflow, webgpu' },
  { name: 'VERITRAIN_METRICS', path: 'metrics.enabled', type: 'boolean', description: 'serve Prometheus metrics' },
  { name: 'VERITRAIN_METRICS_PORT', path: 'metrics.port', type: 'number', description: 'metrics port (0: any free port)' },
  { name: 'VERITRAIN_LOG_LEVEL', path: 'log.level', description: 'debug, info, warn or error' },
  { name: 'VERITRAIN_FRAUD', path: 'fraud', type: 'json', description: 'demo only: {"kind": "...", "interval": n}' },
];

/** The config file's variable (the `--config` flag wins). */
export const CONFIG_FILE_ENV = 'VERITRAIN_SOLVER_CONFIG';

export async function loadSolverConfig(options: { file?: string | undefined; env?: Readonly<Record<string, string | undefined>>; overrides?: PlainObject; signal?: AbortSignal } = {}): Promise<LoadedConfig<SolverConfig>> {
  const env = options.env ?? process.env;
  const file = options.file ?? env[CONFIG_FILE_ENV];
  const loaded = await loadConfig({ schema: solverConfigSchema, defaults: SOLVER_DEFAULTS, file, env, envBindings: SOLVER_ENV, overrides: options.overrides, signal: options.signal });
  // Relative paths in a file are relative to the file, elsewhere to the working directory.
  const base = loaded.file === undefined ? process.cwd() : path.dirname(loaded.file);
  const abs = (p: string, field: string): string => path.resolve(loaded.sources.get(field)?.endsWith('.json') === true ? base : process.cwd(), p);
  const c = loaded.config;
  const config: SolverConfig = {
    ...c,
    dataDir: abs(c.dataDir, 'dataDir'),
    chain: { ...c.chain, ...(c.chain.deploymentsDir === undefined ? {} : { deploymentsDir: abs(c.chain.deploymentsDir, 'chain.deploymentsDir') }), ...(c.chain.deploymentFile === undefined ? {} : { deploymentFile: abs(c.chain.deploymentFile, 'chain.deploymentFile') }) },
    key: c.key.keystore === undefined ? {} : { keystore: abs(c.key.keystore, 'key.keystore') },
  };
  return { ...loaded, config };
}

/** Files in the data directory: the database, and what the running node publishes about itself. */
export const dbFile = (dataDir: string): string => path.join(dataDir, 'solver.db');
export const nodeInfoFile = (dataDir: string): string => path.join(dataDir, 'node.json');
