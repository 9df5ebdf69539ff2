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
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type * as z from 'zod';
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
  readonly cwd?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface LoadedConfig<T> {
  readonly config: T;
  /** Where each overridden field came from: `file`, `override` or the variable's name. */
  readonly sources: ReadonlyMap<string, string>;
  /** The file read, absolute, when there was one. */
  readonly file: string | undefined;
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

function leafPaths(obj: PlainObject, prefix = ''): string[] {
  return Object.entries(obj).flatMap(([k, v]) => (isPlainObject(v) ? leafPaths(v, `${prefix}${k}.`) : [`${prefix}${k}`]));
}

/** Parses one variable's string by its type; throws ConfigError naming the variable. */
export function parseEnvValue(binding: EnvBinding, raw: string): unknown {
  const type = binding.type ?? 'string';
  const fail = (why: string): never => { throw new ConfigError(`${binding.name}: ${why}`, { details: { variable: binding.name, path: binding.path } }); };
  switch (type) {
    case 'string': return raw;
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
    case 'list': return raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
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
      return `${keys.map((k) => (p === '' ? k : `${p}.${k}`)).join(', ')}: unknown field${keys.length > 1 ? 's' : ''}${from}`;
    }
    return `${where}${from}: ${issue.message}`;
  });
}

/**
 * Loads, merges and validates a config. Throws ConfigError listing every bad field, each with its
 * path and source; `details.issues` holds them as strings.
 */
export async function loadConfig<S extends z.ZodType>(options: LoadConfigOptions<S>): Promise<LoadedConfig<z.output<S>>> {
  const sources = new Map<string, string>();
  let merged: PlainObject = structuredClone(options.defaults);
  let file: string | undefined;
  if (options.file !== undefined && options.file !== '') {
    file = path.resolve(options.cwd ?? process.cwd(), options.file);
    const fromFile = await readConfigFile(file, options.signal);
    for (const p of leafPaths(fromFile)) sources.set(p, path.basename(file));
    merged = mergeConfig(merged, fromFile);
  }
  if (options.overrides !== undefined) {
    for (const p of leafPaths(options.overrides)) sources.set(p, 'command line');
    merged = mergeConfig(merged, options.overrides);
  }
  const env = options.env ?? {};
  for (const binding of options.envBindings ?? []) {
    const raw = env[binding.name];
    if (raw === undefined) continue;
    setPath(merged, binding.path, parseEnvValue(binding, raw));
    sources.set(binding.path, binding.name);
  }
  const result = options.schema.safeParse(merged);
  if (!result.success) {
    const issues = describeIssues(result.error.issues, sources);
    throw new ConfigError(`invalid configuration: ${issues.join('; ')}`, { details: { issues, ...(file === undefined ? {} : { file }) } });
  }
  return { config: result.data, sources, file };
}
