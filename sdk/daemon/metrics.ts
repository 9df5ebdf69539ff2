/**
 * Prometheus metrics without a dependency: counters and gauges with labels, rendered in the text
 * exposition format (version 0.0.4), and a tiny HTTP server that serves them on `/metrics` (and
 * `/healthz`). Names follow Prometheus conventions: `veritrain_solver_steps_total`, base units,
 * `_total` for counters.
 *
 * ```ts
 * const registry = createMetricsRegistry({ prefix: 'veritrain_solver_' });
 * const steps = registry.counter('steps_total', 'Training steps executed');
 * const jobs = registry.gauge('jobs', 'Jobs by state', ['state']);
 * steps.inc(8);
 * jobs.set(1, { state: 'training' });
 * const server = await startMetricsServer({ registry, port: 9464 });
 * ```
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../errors.ts';
import { silentLogger, type Logger } from '../log.ts';

export type Labels = Readonly<Record<string, string | number>>;

interface Metric {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge';
  readonly labelNames: readonly string[];
  readonly values: Map<string, { labels: Labels; value: number }>;
  /** Called before rendering, to refresh values computed on demand. */
  collect?: (() => void) | undefined;
}

export interface Counter {
  /** Adds `by` (default 1; must be >= 0). */
  inc(by?: number, labels?: Labels): void;
  get(labels?: Labels): number;
}

export interface Gauge {
  set(value: number, labels?: Labels): void;
  inc(by?: number, labels?: Labels): void;
  dec(by?: number, labels?: Labels): void;
  get(labels?: Labels): number;
  /** Forget every labelled value (before re-setting a whole family from fresh data). */
  reset(): void;
  /** Computes the gauge's values right before each scrape. */
  onCollect(fn: (gauge: Gauge) => void): void;
}

export interface MetricsRegistry {
  counter(name: string, help: string, labelNames?: readonly string[]): Counter;
  gauge(name: string, help: string, labelNames?: readonly string[]): Gauge;
  /** The exposition text. */
  render(): string;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export function createMetricsRegistry(options: { prefix?: string } = {}): MetricsRegistry {
  const metrics = new Map<string, Metric>();
  const prefix = options.prefix ?? '';

  const register = (type: Metric['type'], shortName: string, help: string, labelNames: readonly string[]): Metric => {
    const name = `${prefix}${shortName}`;
    if (!NAME.test(name)) throw new ConfigError(`invalid metric name ${name}`);
    for (const l of labelNames) if (!LABEL.test(l) || l.startsWith('__')) throw new ConfigError(`invalid label name ${l} on ${name}`);
    if (metrics.has(name)) throw new ConfigError(`metric ${name} is registered twice`);
    const metric: Metric = { name, help, type, labelNames, values: new Map() };
    metrics.set(name, metric);
    return metric;
  };

  const keyOf = (metric: Metric, labels: Labels = {}): string => {
    const keys = Object.keys(labels);
    if (keys.length !== metric.labelNames.length || keys.some((k) => !metric.labelNames.includes(k))) {
      throw new ConfigError(`metric ${metric.name} takes labels [${metric.labelNames.join(', ')}], got [${keys.join(', ')}]`);
    }
    return metric.labelNames.map((l) => String(labels[l])).join('\u0000');
  };
  const add = (metric: Metric, by: number, labels: Labels | undefined): void => {
    const key = keyOf(metric, labels);
    const entry = metric.values.get(key);
    if (entry === undefined) metric.values.set(key, { labels: labels ?? {}, value: by });
    else entry.value += by;
  };
  const read = (metric: Metric, labels: Labels | undefined): number => metric.values.get(keyOf(metric, labels))?.value ?? 0;

  return {
    counter(name, help, labelNames = []) {
      const m = register('counter', name, help, labelNames);
      if (labelNames.length === 0) m.values.set('', { labels: {}, value: 0 });
      return {
        inc(by = 1, labels) {
          if (!(by >= 0)) throw new ConfigError(`counter ${m.name} can only increase (got ${by})`);
          add(m, by, labels);
        },
        get: (labels) => read(m, labels),
      };
    },
    gauge(name, help, labelNames = []) {
      const m = register('gauge', name, help, labelNames);
      if (labelNames.length === 0) m.values.set('', { labels: {}, value: 0 });
      const gauge: Gauge = {
        set(value, labels) {
          m.values.set(keyOf(m, labels), { labels: labels ?? {}, value });
        },
        inc(by = 1, labels) {
          add(m, by, labels);
        },
        dec(by = 1, labels) {
          add(m, -by, labels);
        },
        get: (labels) => read(m, labels),
        reset() {
          m.values.clear();
          if (labelNames.length === 0) m.values.set('', { labels: {}, value: 0 });
        },
        onCollect(fn) {
          m.collect = () => {
            fn(gauge);
          };
        },
      };
      return gauge;
    },
    render() {
      const lines: string[] = [];
      for (const m of metrics.values()) {
        m.collect?.();
        lines.push(`# HELP ${m.name} ${escapeHelp(m.help)}`, `# TYPE ${m.name} ${m.type}`);
        for (const { labels, value } of m.values.values()) {
          const l = m.labelNames.map((n) => `${n}="${escapeLabel(String(labels[n]))}"`).join(',');
          lines.push(`${m.name}${l === '' ? '' : `{${l}}`} ${formatValue(value)}`);
        }
      }
      return `${lines.join('\n')}\n`;
    },
  };
}

export interface MetricsServerOptions {
  readonly registry: MetricsRegistry;
  /** Default 127.0.0.1: metrics are for the operator's scraper, not the internet. */
  readonly host?: string | undefined;
  /** 0 picks a free port. */
  readonly port: number;
  readonly logger?: Logger | undefined;
}

export interface MetricsServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Serves `GET /metrics` (exposition text) and `GET /healthz` ("ok"). */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const log = (options.logger ?? silentLogger).child({ component: 'metrics' });
  const host = options.host ?? '127.0.0.1';
  const server: Server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (url === '/metrics') {
      let body: string;
      try {
        body = options.registry.render();
      } catch (err) {
        log.error('rendering metrics failed', { error: err });
        res.writeHead(500).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(req.method === 'HEAD' ? undefined : body);
    } else if (url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err: unknown) => {
    throw new ConfigError(`cannot serve metrics on ${host}:${options.port}: ${err instanceof Error ? err.message : String(err)}`, {
      details: { host, port: options.port },
      cause: err,
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`;
  log.info('metrics served', { url });
  return {
    url,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
