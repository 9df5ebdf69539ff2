import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Indexer } from './indexer.ts';
import { serveExplorer, type ExplorerServer } from './server.ts';
import type { Snapshot } from './snapshot.ts';

/** An indexer with a snapshot that can be swapped in, to serve. */
function fakeIndexer(): Indexer & { set(s: Snapshot): void } {
  let snap: Snapshot | undefined;
  let version = 0;
  const listeners = new Set<(v: number) => void>();
  return {
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    snapshot: () => snap,
    version: () => version,
    onChange(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    set(s) {
      snap = s;
      version++;
      for (const l of listeners) l(version);
    },
  };
}

const SNAP: Snapshot = {
  chainId: 31337,
  head: { number: '7', timestamp: 100 },
  contracts: { market: '0x1', game: '0x2', vault: '0x3' },
  token: { symbol: 'VTT', decimals: 18 },
  validation: null,
  jobs: [],
  disputes: [],
  accounts: [],
  events: 0,
};

describe('the explorer server', () => {
  const indexer = fakeIndexer();
  let server: ExplorerServer;
  before(async () => {
    server = await serveExplorer({ indexer, host: '127.0.0.1', port: 0 });
  });
  after(() => server.close());
  const get = (p: string, init?: RequestInit): Promise<Response> => fetch(new URL(p, server.url), init);

  it('answers 503 until the chain has been read, then the snapshot with its version', async () => {
    assert.equal((await get('/api/snapshot')).status, 503);
    indexer.set(SNAP);
    const res = await get('/api/snapshot');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { version: 1, ...SNAP });
  });

  it('serves the page, its modules as JavaScript without types, and Chart.js from node_modules', async () => {
    const page = await (await get('/')).text();
    assert.match(page, /<script type="importmap">/);
    const app = await get('/app/app.ts');
    assert.equal(app.headers.get('content-type'), 'text/javascript; charset=utf-8');
    const js = await app.text();
    assert.match(js, /new EventSource\('\/api\/stream'\)/);
    assert.doesNotMatch(js, /import type|: HTMLElement\b/, 'types are stripped');
    const chart = await get('/vendor/chart.js/dist/chart.js');
    assert.equal(chart.status, 200);
    assert.match(await chart.text(), /Chart\.js v4/);
  });

  it('serves nothing outside its directories and takes no writes', async () => {
    for (const p of ['/app/../cli.ts', '/app/..%2fcli.ts', '/vendor/chart.js/../../package.json', '/vendor/viem/index.js', '/app/index.html.bak'])
      assert.equal((await get(p)).status, 404, p);
    assert.equal((await get('/api/snapshot', { method: 'POST' })).status, 405);
  });

  it('tells an open page about every new version', async () => {
    const controller = new AbortController();
    const res = await get('/api/stream', { signal: controller.signal });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    assert.match(first, /event: version\ndata: 1\n/);
    indexer.set({ ...SNAP, head: { number: '8', timestamp: 101 } });
    const next = new TextDecoder().decode((await reader.read()).value);
    assert.match(next, /event: version\ndata: 2\n/);
    controller.abort();
  });
});

describe('veritrain-explorer serve', () => {
  const cli = path.join(import.meta.dirname, 'cli.ts');
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, ['--no-warnings', cli, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 });

  it('needs a chain, and says so', () => {
    const r = run(['serve']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /no chain: pass --rpc <url> or set VERITRAIN_RPC_URL/);
  });

  it('names an unreachable RPC', () => {
    const r = run(['serve'], { VERITRAIN_RPC_URL: 'http://127.0.0.1:1' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cannot reach the chain at http:\/\/127\.0\.0\.1:1/);
  });

  it('rejects a bad option value before touching the network', () => {
    const r = run(['serve', '--rpc', 'http://127.0.0.1:1', '--port', 'eighty']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--port \(VERITRAIN_EXPLORER_PORT\) must be an integer >= 0, got eighty/);
  });
});
