/**
 * The solver's configuration: one zod schema, every default in SOLVER_DEFAULTS, loaded from a JSON
 * file (`--config` or VERITRAIN_SOLVER_CONFIG) and environment variables (SOLVER_ENV). Unknown
 * fields are errors, so a typo never silently falls back to a default. The sections it shares
 * with the verifier (chain, key, p2p, backend, metrics, log) come from sdk/daemon/config.ts.
 * docs/SOLVER.md documents every key.
 */
import path from 'node:path';
import * as z from 'zod';
import {
  addressSchema as address,
  backendSchema,
  DAEMON_ENV,
  daemonChainSchema,
  daemonDefaults,
  daemonKeySchema,
  daemonP2PSchema,
  loadConfig,
  logLevelSchema,
  mergeConfig,
  metricsSchema,
  resolveConfigPaths,
  type DeprecatedKey,
  type EnvBinding,
  type LoadedConfig,
  type PlainObject,
} from '../sdk/daemon/config.ts';
import { CONV_FRAUD_KINDS, FRAUD_KINDS } from '../sdk/dispute/frauds.ts';
const amount = z.union([z.string().regex(/^\d+$/, 'must be a decimal integer (token base units)'), z.number().int().nonnegative()]).transform((v) => BigInt(v));

export const solverConfigSchema = z.strictObject({
  /** Where the database, checkpoints, IPFS blocks and peer key live. */
  dataDir: z.string().min(1),
  chain: daemonChainSchema.extend({
    /** Dispute game address; default: the market's disputeGame(). */
    disputeGame: address.optional(),
    /** First block the job discovery scans (default: the deployment block). */
    fromBlock: z.number().int().nonnegative().optional(),
  }),
  /** Encrypted keystore file (`veritrain-solver key create`). VERITRAIN_PRIVATE_KEY overrides it (development). */
  key: daemonKeySchema,
  p2p: daemonP2PSchema,
  /** The tfjs backend training runs on. */
  backend: backendSchema,
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
    /** Worker threads hashing checkpoints. */
    hashThreads: z.number().int().min(1).max(64),
    /** Regenerate one step with the traced path every this many intervals (0: never). */
    selfCheckEvery: z.number().int().nonnegative(),
  }),
  metrics: metricsSchema,
  log: z.strictObject({
    level: logLevelSchema,
    /** Live progress line on a terminal (stderr). */
    progress: z.boolean(),
  }),
  /** Demo only: train dishonestly. Default off. */
  fraud: z.strictObject({
    kind: z.enum(['none', ...FRAUD_KINDS, ...CONV_FRAUD_KINDS]),
    /** The checkpoint interval that is faked (every job). */
    interval: z.number().int().nonnegative(),
  }),
});

export type SolverConfig = z.output<typeof solverConfigSchema>;

/** Every default, in one place. */
export const SOLVER_DEFAULTS: PlainObject = mergeConfig(daemonDefaults({ metricsPort: 9464 }), {
  dataDir: './veritrain-solver',
  storage: { fetchTimeoutMs: 120_000 },
  policy: {
    autoClaim: true,
    minPricePerStep: '0',
    maxParameters: 50_000_000,
    maxConcurrentJobs: 1,
    tokens: [],
    deadlineSafety: 0.5,
    maxChallengeWindow: 30 * 86_400,
  },
  training: { hashThreads: 1, selfCheckEvery: 10 },
  log: { progress: true },
  fraud: { kind: 'none', interval: 1 },
});

/** Keys a former version's file may still hold. */
export const SOLVER_DEPRECATED_KEYS: readonly DeprecatedKey[] = [{ path: 'training.backend', use: 'backend' }];

/** Environment variables, each overriding one field. */
export const SOLVER_ENV: readonly EnvBinding[] = [
  ...DAEMON_ENV,
  { name: 'VERITRAIN_DISPUTE_GAME', path: 'chain.disputeGame', description: 'dispute game address' },
  { name: 'VERITRAIN_AUTO_CLAIM', path: 'policy.autoClaim', type: 'boolean', description: 'claim jobs automatically' },
  { name: 'VERITRAIN_MIN_PRICE_PER_STEP', path: 'policy.minPricePerStep', description: 'minimum payment per step (base units)' },
  { name: 'VERITRAIN_MAX_PARAMETERS', path: 'policy.maxParameters', type: 'number', description: 'largest model accepted' },
  { name: 'VERITRAIN_FRAUD', path: 'fraud', type: 'json', description: 'demo only: {"kind": "...", "interval": n}' },
];

/** Fields holding paths (made absolute when loaded). */
const CONFIG_PATHS = ['dataDir', 'chain.deploymentsDir', 'chain.deploymentFile', 'key.keystore'];

/** The config file's variable (the `--config` flag wins). */
export const CONFIG_FILE_ENV = 'VERITRAIN_SOLVER_CONFIG';

export async function loadSolverConfig(
  options: {
    file?: string | undefined;
    env?: Readonly<Record<string, string | undefined>>;
    overrides?: PlainObject;
    signal?: AbortSignal;
    onWarning?: ((message: string) => void) | undefined;
  } = {},
): Promise<LoadedConfig<SolverConfig>> {
  const env = options.env ?? process.env;
  const file = options.file ?? env[CONFIG_FILE_ENV];
  const loaded = await loadConfig({
    schema: solverConfigSchema,
    defaults: SOLVER_DEFAULTS,
    file,
    env,
    envBindings: SOLVER_ENV,
    deprecatedKeys: SOLVER_DEPRECATED_KEYS,
    overrides: options.overrides,
    signal: options.signal,
    onWarning: options.onWarning,
  });
  // Relative paths in a file are relative to the file, elsewhere to the working directory.
  return { ...loaded, config: resolveConfigPaths(loaded, CONFIG_PATHS) };
}

/** Files in the data directory: the database, and what the running node publishes about itself. */
export const dbFile = (dataDir: string): string => path.join(dataDir, 'solver.db');
export const nodeInfoFile = (dataDir: string): string => path.join(dataDir, 'node.json');
