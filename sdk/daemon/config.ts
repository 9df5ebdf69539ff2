/**
 * Daemon configuration: one schema-validated object, loaded once from defaults, then a JSON config
 * file, then environment variables (each layer overrides the one before), and validated with zod.
 * Every problem is reported with the dotted path of the field and where its value came from
 * (`chain.rpcUrl (from VERITRAIN_RPC_URL): must be a URL`), all at once.
 *
 * A daemon declares its schema (with no `.default()`s: the defaults live in one object it passes
 * here), its defaults, and the environment variables that map to fields:
 *
 * ```ts
 * const config = await loadConfig({
 *   schema: solverConfigSchema,
 *   defaults: SOLVER_DEFAULTS,
 *   file: process.env.VERITRAIN_SOLVER_CONFIG,
 *   env: process.env,
 *   envBindings: [{ name: 'VERITRAIN_RPC_URL', path: 'chain.rpcUrl' }, { name: 'VERITRAIN_METRICS_PORT', path: 'metrics.port', type: 'number' }],
 * });
 * ```
 *
 * The sections both daemons have (`chain`, `key`, `p2p`, `backend`, `metrics`, `log`) are declared
 * here once, with their defaults (DAEMON_DEFAULTS) and their variables (DAEMON_ENV), so the solver
 * and the verifier read the same keys, under the same names, with the same validation.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { BACKENDS } from '../engine/backend.ts';
import { ConfigError } from '../errors.ts';

/** How an environment variable's string becomes a config value. */
export type EnvValueType = 'string' | 'number' | 'boolean' | 'list' | 'json';

export interface EnvBinding {
  /** The variable, e.g. `VERITRAIN_RPC_URL`. */
  readonly name: string;
  /** Dotted path of the field it sets, e.g. `chain.rpcUrl`. */
  readonly path: string;
  /** Default 'string'. `list` splits on commas (empty items dropped); `json` parses the value. */
  readonly type?: EnvValueType | undefined;
  /** One line for the operator guide and `--help`. */
  readonly description?: string | undefined;
  /** Former names, still read (when `name` is unset) with a warning. */
  readonly deprecated?: readonly string[] | undefined;
}

/** A config key that was renamed (`use`) or dropped; a file still holding it loads, with a warning. */
export interface DeprecatedKey {
  readonly path: string;
  /** The key that replaces it: its value moves there unless that key is set too. */
  readonly use?: string | undefined;
  /** Why, when it is dropped. */
  readonly note?: string | undefined;
}

export type PlainObject = { [key: string]: unknown };

export interface LoadConfigOptions<S extends z.ZodType> {
  readonly schema: S;
  /** Every default, in one place; deep-merged under the file and the environment. */
  readonly defaults: PlainObject;
  /** A JSON file (object at the top); undefined or '' for none. Relative paths resolve against `cwd`. */
  readonly file?: string | undefined;
  /** An object that overrides the file (e.g. from CLI flags), merged after the file, before the environment. */
  readonly overrides?: PlainObject | undefined;
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  readonly envBindings?: readonly EnvBinding[] | undefined;
  readonly deprecatedKeys?: readonly DeprecatedKey[] | undefined;
  /** Called with each warning as it is found (before validation, so it shows with a failure too). */
  readonly onWarning?: ((message: string) => void) | undefined;
  readonly cwd?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface LoadedConfig<T> {
  readonly config: T;
  /** Where each overridden field came from: `file`, `override` or the variable's name. */
  readonly sources: ReadonlyMap<string, string>;
  /** The file read, absolute, when there was one. */
  readonly file: string | undefined;
  /** Deprecated variables or keys that were read: the CLI prints them, `warning: …`. */
  readonly warnings: readonly string[];
}

const isPlainObject = (v: unknown): v is PlainObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deep merge of plain objects; arrays and scalars of `over` replace those of `base`. */
export function mergeConfig(base: PlainObject, over: PlainObject): PlainObject {
  const out: PlainObject = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const prev = out[key];
    out[key] = isPlainObject(prev) && isPlainObject(value) ? mergeConfig(prev, value) : value;
  }
  return out;
}

/** Sets `obj.a.b.c = value` for path `a.b.c`, creating objects on the way. */
export function setPath(obj: PlainObject, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let cur = obj;
  for (const key of keys.slice(0, -1)) {
    const next = cur[key];
    if (!isPlainObject(next)) cur[key] = {};
    cur = cur[key] as PlainObject;
  }
  cur[keys[keys.length - 1] as string] = value;
}

/** The value at dotted path `a.b.c`, or undefined. */
export function getPath(obj: PlainObject, dotted: string): unknown {
  let cur: unknown = obj;
  for (const key of dotted.split('.')) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

function deletePath(obj: PlainObject, dotted: string): void {
  const keys = dotted.split('.');
  const parent = getPath(obj, keys.slice(0, -1).join('.'));
  const target = keys.length === 1 ? obj : parent;
  if (isPlainObject(target)) Reflect.deleteProperty(target, keys[keys.length - 1] as string);
}

/** Moves or drops deprecated keys of one layer (a file, the overrides) in place, with a warning each. */
function applyDeprecatedKeys(layer: PlainObject, deprecated: readonly DeprecatedKey[], where: string, warnings: string[]): void {
  for (const d of deprecated) {
    const value = getPath(layer, d.path);
    if (value === undefined) continue;
    deletePath(layer, d.path);
    if (d.use === undefined) {
      warnings.push(`${d.path} (in ${where}) is no longer read${d.note === undefined ? '' : `: ${d.note}`}`);
    } else if (getPath(layer, d.use) === undefined) {
      setPath(layer, d.use, value);
      warnings.push(`${d.path} (in ${where}) is deprecated: use ${d.use}`);
    } else {
      warnings.push(`${d.path} (in ${where}) is deprecated and ignored: ${d.use} is set too`);
    }
  }
}

/**
 * A variable's value by its name, or by a deprecated name with a warning. CLIs that read a
 * variable outside loadConfig (veritrain-submit) use it too, so every former name is honoured alike.
 */
export function readEnv(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
  deprecated: readonly string[] = [],
  warnings?: string[],
): { value: string; from: string } | undefined {
  const value = env[name];
  if (value !== undefined) return { value, from: name };
  for (const old of deprecated) {
    const v = env[old];
    if (v === undefined) continue;
    warnings?.push(`${old} is deprecated: use ${name}`);
    return { value: v, from: old };
  }
  return undefined;
}

function leafPaths(obj: PlainObject, prefix = ''): string[] {
  return Object.entries(obj).flatMap(([k, v]) => (isPlainObject(v) ? leafPaths(v, `${prefix}${k}.`) : [`${prefix}${k}`]));
}

/** Parses one variable's string by its type; throws ConfigError naming the variable. */
export function parseEnvValue(binding: EnvBinding, raw: string): unknown {
  const type = binding.type ?? 'string';
  const fail = (why: string): never => {
    throw new ConfigError(`${binding.name}: ${why}`, { details: { variable: binding.name, path: binding.path } });
  };
  switch (type) {
    case 'string':
      return raw;
    case 'number': {
      const n = Number(raw.trim());
      if (raw.trim() === '' || !Number.isFinite(n)) fail(`must be a number, got "${raw.slice(0, 40)}"`);
      return n;
    }
    case 'boolean': {
      const v = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
      return fail(`must be true or false, got "${raw.slice(0, 40)}"`);
    }
    case 'list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    case 'json':
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        return fail('must be JSON');
      }
  }
}

/** Reads a JSON config file; throws ConfigError for a missing file, bad JSON or a non-object. */
export async function readConfigFile(file: string, signal?: AbortSignal): Promise<PlainObject> {
  let text: string;
  try {
    text = await readFile(file, { encoding: 'utf8', ...(signal === undefined ? {} : { signal }) });
  } catch (err) {
    signal?.throwIfAborted();
    const missing = (err as { code?: unknown }).code === 'ENOENT';
    throw new ConfigError(missing ? `config file ${file} does not exist` : `cannot read config file ${file}`, { details: { file }, cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`, { details: { file }, cause: err });
  }
  if (!isPlainObject(json)) throw new ConfigError(`config file ${file} must hold a JSON object`, { details: { file } });
  return json;
}

/** Formats zod issues as `path (from SOURCE): message`, one per problem. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], sources: ReadonlyMap<string, string>): string[] {
  return issues.map((issue) => {
    const p = issue.path.map(String).join('.');
    let source: string | undefined;
    for (let n = issue.path.length; n > 0 && source === undefined; n--) source = sources.get(issue.path.slice(0, n).map(String).join('.'));
    const keys = (issue as { keys?: readonly string[] }).keys;
    const where = p === '' ? '(top level)' : p;
    const from = source === undefined ? '' : ` (from ${source})`;
    if (issue.code === 'unrecognized_keys' && keys !== undefined) {
      const full = keys.map((k) => (p === '' ? k : `${p}.${k}`));
      // The unknown key's own source (a file sets leaves), else the nearest parent's.
      const own = [...new Set(full.map((f) => [...sources].find(([leaf]) => leaf === f || leaf.startsWith(`${f}.`))?.[1]).filter((x) => x !== undefined))];
      const keyFrom = own.length > 0 ? ` (from ${own.join(', ')})` : from;
      return `${full.join(', ')}: unknown field${keys.length > 1 ? 's' : ''}${keyFrom}`;
    }
    // A record's bad key: say what the key must be, not only that it is invalid.
    const inner = issue.code === 'invalid_key' ? (issue as { issues?: readonly { message: string }[] }).issues?.[0]?.message : undefined;
    return `${where}${from}: ${inner === undefined ? issue.message : `invalid key: ${inner}`}`;
  });
}

/**
 * Loads, merges and validates a config. Throws ConfigError listing every bad field, each with its
 * path and source; `details.issues` holds them as strings.
 */
export async function loadConfig<S extends z.ZodType>(options: LoadConfigOptions<S>): Promise<LoadedConfig<z.output<S>>> {
  const sources = new Map<string, string>();
  const warnings: string[] = [];
  const deprecatedKeys = options.deprecatedKeys ?? [];
  let merged: PlainObject = structuredClone(options.defaults);
  let file: string | undefined;
  if (options.file !== undefined && options.file !== '') {
    file = path.resolve(options.cwd ?? process.cwd(), options.file);
    const fromFile = await readConfigFile(file, options.signal);
    applyDeprecatedKeys(fromFile, deprecatedKeys, path.basename(file), warnings);
    for (const p of leafPaths(fromFile)) sources.set(p, path.basename(file));
    merged = mergeConfig(merged, fromFile);
  }
  if (options.overrides !== undefined) {
    const overrides = structuredClone(options.overrides);
    applyDeprecatedKeys(overrides, deprecatedKeys, 'command line', warnings);
    for (const p of leafPaths(overrides)) sources.set(p, 'command line');
    merged = mergeConfig(merged, overrides);
  }
  const env = options.env ?? {};
  for (const binding of options.envBindings ?? []) {
    const found = readEnv(env, binding.name, binding.deprecated, warnings);
    if (found === undefined) continue;
    setPath(merged, binding.path, parseEnvValue({ ...binding, name: found.from }, found.value));
    sources.set(binding.path, found.from);
  }
  for (const w of warnings) options.onWarning?.(w);
  const result = options.schema.safeParse(merged);
  if (!result.success) {
    const issues = describeIssues(result.error.issues, sources);
    throw new ConfigError(`invalid configuration: ${issues.join('; ')}`, { details: { issues, ...(file === undefined ? {} : { file }) } });
  }
  return { config: result.data, sources, file, warnings };
}

/**
 * Makes the path fields of a loaded config absolute: relative to the config file when the value
 * came from it, to the working directory otherwise (a variable, the defaults).
 */
export function resolveConfigPaths<T extends object>(loaded: LoadedConfig<T>, fields: readonly string[], cwd: string = process.cwd()): T {
  const config = structuredClone(loaded.config) as T & PlainObject;
  const file = loaded.file;
  for (const field of fields) {
    const value = getPath(config, field);
    if (typeof value !== 'string') continue;
    const fromFile = file !== undefined && loaded.sources.get(field) === path.basename(file);
    setPath(config, field, path.resolve(fromFile ? path.dirname(file) : cwd, value));
  }
  return config;
}

// ---------------------------------------------------------------------------------------------
// The sections both daemons share.

const multiaddr = z.string().startsWith('/', 'must be a multiaddr (/ip4/…)');

/** A 0x-prefixed 20-byte address. */
export const addressSchema = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x address');

/** `chain`: the RPC endpoint, the deployment, and how often the chain is polled. */
export const daemonChainSchema = z.strictObject({
  rpcUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  /** Directory of deployments/<chainId>.json (default: $VERITRAIN_DEPLOYMENTS, then the repository's deployments/). */
  deploymentsDir: z.string().min(1).optional(),
  /** A deployment file to use instead of <deploymentsDir>/<chainId>.json. */
  deploymentFile: z.string().min(1).optional(),
  /** Blocks a transaction needs before it counts. */
  confirmations: z.number().int().min(1).max(64),
  /** Every chain poll of the daemon: events, receipts, its main loop, live disputes. */
  pollingIntervalMs: z.number().int().min(10).max(600_000),
  /** How long to wait for a transaction's receipt. */
  receiptTimeoutMs: z.number().int().min(1_000),
});

/** `key`: the encrypted keystore (VERITRAIN_PRIVATE_KEY, a raw key for development, overrides it). */
export const daemonKeySchema = z.strictObject({ keystore: z.string().min(1).optional() });

/** `p2p`: libp2p listen addresses and the peers dialled at start. */
export const daemonP2PSchema = z.strictObject({ listen: z.array(multiaddr), bootstrap: z.array(multiaddr) });

/** `backend`: the tfjs backend the daemon trains or re-executes on. */
export const backendSchema = z.enum(BACKENDS);

/** `metrics`: the Prometheus endpoint (`/metrics`, `/healthz`). */
export const metricsSchema = z.strictObject({
  enabled: z.boolean(),
  host: z.string().min(1),
  /** 0: any free port (the daemon logs the URL). */
  port: z.number().int().min(0).max(65_535),
});

export const logLevelSchema = z.enum(['debug', 'info', 'warn', 'error']);

/** Defaults of the shared sections; `metricsPort` differs per daemon so both can run on one host. */
export function daemonDefaults(options: { metricsPort: number }): PlainObject {
  return {
    chain: { rpcUrl: 'http://127.0.0.1:8545', confirmations: 1, pollingIntervalMs: 2_000, receiptTimeoutMs: 120_000 },
    key: {},
    p2p: { listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [] },
    backend: 'wasm',
    metrics: { enabled: true, host: '127.0.0.1', port: options.metricsPort },
    log: { level: 'info' },
  };
}

/** Variables of the shared sections, the same in every binary. */
export const DAEMON_ENV: readonly EnvBinding[] = [
  { name: 'VERITRAIN_DATA_DIR', path: 'dataDir', description: 'data directory', deprecated: ['VERITRAIN_VERIFIER_DATA'] },
  { name: 'VERITRAIN_RPC_URL', path: 'chain.rpcUrl', description: 'JSON-RPC endpoint', deprecated: ['VERITRAIN_RPC'] },
  { name: 'VERITRAIN_DEPLOYMENTS', path: 'chain.deploymentsDir', description: 'directory of <chainId>.json deployment files' },
  {
    name: 'VERITRAIN_DEPLOYMENT_FILE',
    path: 'chain.deploymentFile',
    description: 'deployment file (instead of the directory)',
    deprecated: ['VERITRAIN_DEPLOYMENT'],
  },
  { name: 'VERITRAIN_POLL_MS', path: 'chain.pollingIntervalMs', type: 'number', description: 'chain polling interval, ms' },
  { name: 'VERITRAIN_KEYSTORE', path: 'key.keystore', description: 'encrypted keystore file', deprecated: ['VERITRAIN_VERIFIER_KEYSTORE'] },
  { name: 'VERITRAIN_LISTEN', path: 'p2p.listen', type: 'list', description: 'libp2p listen multiaddrs, comma-separated' },
  { name: 'VERITRAIN_BOOTSTRAP', path: 'p2p.bootstrap', type: 'list', description: 'bootstrap multiaddrs, comma-separated' },
  { name: 'VERITRAIN_BACKEND', path: 'backend', description: 'tfjs backend: cpu, wasm, tensorflow, webgpu' },
  { name: 'VERITRAIN_METRICS', path: 'metrics.enabled', type: 'boolean', description: 'serve Prometheus metrics' },
  { name: 'VERITRAIN_METRICS_HOST', path: 'metrics.host', description: 'metrics listen address' },
  { name: 'VERITRAIN_METRICS_PORT', path: 'metrics.port', type: 'number', description: 'metrics port (0: any free port)' },
  { name: 'VERITRAIN_LOG_LEVEL', path: 'log.level', description: 'debug, info, warn or error' },
];

/** Bindings as `--help` lists them: the name, then what it sets. */
export function envHelpOf(bindings: readonly EnvBinding[]): { name: string; description: string }[] {
  return bindings.map((b) => ({ name: b.name, description: `${b.description ?? b.path} (${b.path})` }));
}

/** The Kubo RPC API variable (the verifier's storage.kuboUrl, veritrain-submit's --ipfs). */
export const KUBO_URL_ENV = { name: 'VERITRAIN_KUBO_URL', deprecated: ['VERITRAIN_KUBO_API'] } as const;
