/**
 * The verifier's configuration: one zod schema, every default in VERIFIER_DEFAULTS, loaded once
 * from defaults < JSON file < command line < environment (sdk/daemon/config.ts).
 */
import * as z from 'zod';
import { loadConfig, type EnvBinding, type PlainObject } from '../sdk/daemon/config.ts';
import { BACKENDS } from '../sdk/engine/backend.ts';
import { DEFAULT_SCREEN_THRESHOLD } from './core/screen.ts';

const fraction = z.number().gt(0).lte(1);

export const verifierConfigSchema = z.strictObject({
  /** Where the database, the peer key, the IPFS blocks and the served data live. */
  dataDir: z.string().min(1),
  backend: z.enum(BACKENDS),
  chain: z.strictObject({
    rpcUrl: z.url(),
    deploymentsDir: z.string().optional(),
    deploymentFile: z.string().optional(),
    pollingIntervalMs: z.number().int().positive(),
    confirmations: z.number().int().positive(),
  }),
  key: z.strictObject({ keystore: z.string().optional() }),
  storage: z.strictObject({
    kind: z.enum(['helia', 'kubo']),
    kuboUrl: z.string().optional(),
  }),
  p2p: z.strictObject({
    listen: z.array(z.string()),
    bootstrap: z.array(z.string()),
    /** Solver address (lowercase) -> multiaddr with /p2p/<peer id>, for solvers not heard on gossip. */
    solverPeers: z.record(z.string(), z.string()),
  }),
  sampling: z.strictObject({
    /** Most compute to spend per job, as a fraction of its training compute. */
    budget: fraction,
    /** Stop sampling at this detection probability (null: spend the whole budget). */
    targetDetection: fraction.lt(1).nullable(),
    /** The faked fraction the target and the reports refer to. */
    fakeFraction: fraction,
    /** Cost of checking one interval relative to training it (see `npm run bench:verify`). */
    costRatio: z.number().positive(),
  }),
  screen: z.strictObject({
    /** Screen distance above which an interval is judged exactly. */
    threshold: z.number().positive(),
    /** 'screen': judge exactly what the screen flags; 'exact': judge every sampled interval exactly. */
    mode: z.enum(['screen', 'exact']),
  }),
  disputes: z.strictObject({
    /** Challenge an interval whose data the solver will not serve (it must reveal on-chain or lose on time). */
    challengeWithheld: z.boolean(),
    /** Deadline of one fetch of a checkpoint or of an interval's served data. */
    fetchTimeoutMs: z.number().int().positive(),
    /** Attempts before served data counts as withheld. */
    fetchAttempts: z.number().int().positive(),
    /** Milliseconds between polls of a live dispute. */
    pollMs: z.number().int().positive(),
  }),
  jobs: z.strictObject({
    /** Job ids to follow (empty: every job on the market). */
    only: z.array(z.string().regex(/^\d+$/)),
    /** Milliseconds between polls of the chain. */
    pollMs: z.number().int().positive(),
  }),
  metrics: z.strictObject({ port: z.number().int().min(0).max(65_535).nullable() }),
  log: z.strictObject({ level: z.enum(['debug', 'info', 'warn', 'error']) }),
});

export type VerifierConfig = z.output<typeof verifierConfigSchema>;

export const VERIFIER_DEFAULTS: PlainObject = {
  dataDir: './verifier-data',
  backend: 'wasm',
  chain: { rpcUrl: 'http://127.0.0.1:8545', pollingIntervalMs: 1_000, confirmations: 1 },
  key: {},
  storage: { kind: 'helia' },
  p2p: { listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], solverPeers: {} },
  sampling: { budget: 0.05, targetDetection: 0.99, fakeFraction: 0.1, costRatio: 1 },
  screen: { threshold: DEFAULT_SCREEN_THRESHOLD, mode: 'screen' },
  disputes: { challengeWithheld: true, fetchTimeoutMs: 120_000, fetchAttempts: 3, pollMs: 1_000 },
  jobs: { only: [], pollMs: 2_000 },
  metrics: { port: null },
  log: { level: 'info' },
};

export const VERIFIER_ENV: readonly EnvBinding[] = [
  { name: 'VERITRAIN_RPC_URL', path: 'chain.rpcUrl', description: 'JSON-RPC URL of the chain' },
  { name: 'VERITRAIN_DEPLOYMENTS', path: 'chain.deploymentsDir', description: 'directory of deployments/<chainId>.json' },
  { name: 'VERITRAIN_VERIFIER_DATA', path: 'dataDir', description: 'data directory' },
  { name: 'VERITRAIN_VERIFIER_KEYSTORE', path: 'key.keystore', description: 'encrypted keystore file' },
  { name: 'VERITRAIN_BACKEND', path: 'backend', description: 'tfjs backend: cpu, wasm, tensorflow, webgpu' },
  { name: 'VERITRAIN_KUBO_URL', path: 'storage.kuboUrl', description: 'Kubo RPC URL (storage.kind = kubo)' },
  { name: 'VERITRAIN_BOOTSTRAP', path: 'p2p.bootstrap', type: 'list', description: 'comma-separated bootstrap multiaddrs' },
  { name: 'VERITRAIN_VERIFY_BUDGET', path: 'sampling.budget', type: 'number', description: 'compute budget as a fraction of training' },
  { name: 'VERITRAIN_VERIFY_FAKE_FRACTION', path: 'sampling.fakeFraction', type: 'number', description: 'faked fraction quoted in reports' },
  { name: 'VERITRAIN_METRICS_PORT', path: 'metrics.port', type: 'number', description: 'Prometheus /metrics port' },
  { name: 'VERITRAIN_LOG_LEVEL', path: 'log.level', description: 'debug, info, warn or error' },
];

export async function loadVerifierConfig(options: { file?: string | undefined; overrides?: PlainObject | undefined; env?: Readonly<Record<string, string | undefined>> | undefined; signal?: AbortSignal | undefined }): Promise<VerifierConfig> {
  const { config } = await loadConfig({ schema: verifierConfigSchema, defaults: VERIFIER_DEFAULTS, file: options.file, overrides: options.overrides, env: options.env, envBindings: VERIFIER_ENV, signal: options.signal });
  return config;
}
