/**
 * The verifier's configuration: one zod schema, every default in VERIFIER_DEFAULTS, loaded once
 * from defaults < JSON file (`--config` or VERITRAIN_VERIFIER_CONFIG) < command line < environment
 * (VERIFIER_ENV), with the loader and validation of sdk/daemon/config.ts. Unknown fields are
 * errors. The sections it shares with the solver (chain, key, p2p, backend, metrics, log) are the
 * solver's, same keys, defaults and ranges. docs/VERIFIER.md documents every key.
 */
import path from 'node:path';
import * as z from 'zod';
import {
  backendSchema,
  DAEMON_ENV,
  daemonChainSchema,
  daemonDefaults,
  daemonKeySchema,
  daemonP2PSchema,
  KUBO_URL_ENV,
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
import { DEFAULT_SCREEN_THRESHOLD } from './core/screen.ts';

const fraction = z.number().gt(0).lte(1);

export const verifierConfigSchema = z.strictObject({
  /** Where the database, the peer key, the IPFS blocks and the served data live. */
  dataDir: z.string().min(1),
  /** The tfjs backend intervals are re-executed on. */
  backend: backendSchema,
  chain: daemonChainSchema,
  key: daemonKeySchema,
  storage: z.strictObject({
    kind: z.enum(['helia', 'kubo']),
    /** Kubo RPC API, for kind = kubo. */
    kuboUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  }),
  p2p: daemonP2PSchema.extend({
    /** Solver address (lowercase) -> multiaddr with /p2p/<peer id>, for solvers not heard on gossip. */
    solverPeers: z.record(z.string().regex(/^0x[0-9a-f]{40}$/, 'must be a lowercase 0x address'), z.string().startsWith('/', 'must be a multiaddr (/ip4/…)')),
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
    fetchTimeoutMs: z.number().int().min(1_000),
    /** Attempts before served data counts as withheld. */
    fetchAttempts: z.number().int().min(1).max(100),
  }),
  jobs: z.strictObject({
    /** Job ids to follow (empty: every job on the market). */
    only: z.array(z.string().regex(/^\d+$/, 'must be a job id (decimal)')),
  }),
  metrics: metricsSchema,
  log: z.strictObject({ level: logLevelSchema }),
});

export type VerifierConfig = z.output<typeof verifierConfigSchema>;

/** Every default, in one place. */
export const VERIFIER_DEFAULTS: PlainObject = mergeConfig(daemonDefaults({ metricsPort: 9465 }), {
  dataDir: './verifier-data',
  storage: { kind: 'helia', kuboUrl: 'http://127.0.0.1:5001' },
  p2p: { solverPeers: {} },
  sampling: { budget: 0.05, targetDetection: 0.99, fakeFraction: 0.1, costRatio: 1 },
  screen: { threshold: DEFAULT_SCREEN_THRESHOLD, mode: 'screen' },
  disputes: { challengeWithheld: true, fetchTimeoutMs: 120_000, fetchAttempts: 3 },
  jobs: { only: [] },
});

const POLL = 'the verifier polls the chain, its jobs and its disputes every chain.pollingIntervalMs';

/** Keys a former version's file may still hold. */
export const VERIFIER_DEPRECATED_KEYS: readonly DeprecatedKey[] = [
  { path: 'jobs.pollMs', note: POLL },
  { path: 'disputes.pollMs', note: POLL },
];

/** Environment variables, each overriding one field. */
export const VERIFIER_ENV: readonly EnvBinding[] = [
  ...DAEMON_ENV,
  { name: KUBO_URL_ENV.name, path: 'storage.kuboUrl', description: 'Kubo RPC API (storage.kind = kubo)', deprecated: KUBO_URL_ENV.deprecated },
  { name: 'VERITRAIN_VERIFY_BUDGET', path: 'sampling.budget', type: 'number', description: 'compute budget, a fraction of the training compute' },
  { name: 'VERITRAIN_VERIFY_FAKE_FRACTION', path: 'sampling.fakeFraction', type: 'number', description: 'faked fraction the target and reports refer to' },
];

/** The config file's variable (the `--config` flag wins). */
export const CONFIG_FILE_ENV = 'VERITRAIN_VERIFIER_CONFIG';

/** Fields holding paths (made absolute when loaded). */
const CONFIG_PATHS = ['dataDir', 'chain.deploymentsDir', 'chain.deploymentFile', 'key.keystore'];

export async function loadVerifierConfig(
  options: {
    file?: string | undefined;
    overrides?: PlainObject | undefined;
    env?: Readonly<Record<string, string | undefined>> | undefined;
    signal?: AbortSignal | undefined;
    onWarning?: ((message: string) => void) | undefined;
  } = {},
): Promise<LoadedConfig<VerifierConfig>> {
  const env = options.env ?? process.env;
  const file = options.file ?? env[CONFIG_FILE_ENV];
  const loaded = await loadConfig({
    schema: verifierConfigSchema,
    defaults: VERIFIER_DEFAULTS,
    file,
    overrides: options.overrides,
    env,
    envBindings: VERIFIER_ENV,
    deprecatedKeys: VERIFIER_DEPRECATED_KEYS,
    signal: options.signal,
    onWarning: options.onWarning,
  });
  // Relative paths in a file are relative to the file, elsewhere to the working directory.
  return { ...loaded, config: resolveConfigPaths(loaded, CONFIG_PATHS) };
}

/** The verifier's database in its data directory. */
export const dbFile = (dataDir: string): string => path.join(dataDir, 'verifier.db');
