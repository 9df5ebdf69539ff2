import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, it } from 'node:test';
import * as z from 'zod';
import { ConfigError, VeritrainError } from '../errors.ts';
import { createJsonLogger } from '../log.ts';
import { EXIT, runCli, type Command } from './cli.ts';
import { loadConfig } from './config.ts';
import { loadAccount } from './keys.ts';
import { createMetricsRegistry, startMetricsServer } from './metrics.ts';
import { createProgressLine, formatProgress } from './progress.ts';
import { openStore } from './store.ts';

const dirs: string[] = [];
const temp = async (): Promise<string> => { const d = await mkdtemp(path.join(tmpdir(), 'veritrain-daemon-')); dirs.push(d); return d; };
after(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });

const schema = z.strictObject({
  chain: z.strictObject({ rpcUrl: z.url(), pollingIntervalMs: z.number().int().positive() }),
  p2p: z.strictObject({ bootstrap: z.array(z.string()) }),
  verbose: z.boolean(),
});
const defaults = { chain: { rpcUrl: 'http://127.0.0.1:8545', pollingIntervalMs: 1000 }, p2p: { bootstrap: [] }, verbose: false };
const envBindings = [
  { name: 'X_RPC', path: 'chain.rpcUrl' },
  { name: 'X_POLL', path: 'chain.pollingIntervalMs', type: 'number' as const },
  { name: 'X_BOOT', path: 'p2p.bootstrap', type: 'list' as const },
  { name: 'X_VERBOSE', path: 'verbose', type: 'boolean' as const },
];

describe('config', () => {
  it('merges defaults, file and environment, in that order', async () => {
    const file = path.join(await temp(), 'c.json');
    await writeFile(file, JSON.stringify({ chain: { pollingIntervalMs: 50 } }));
    const { config, sources } = await loadConfig({ schema, defaults, file, env: { X_BOOT: 'a, b,', X_VERBOSE: 'yes' }, envBindings });
    assert.deepEqual(config, { chain: { rpcUrl: 'http://127.0.0.1:8545', pollingIntervalMs: 50 }, p2p: { bootstrap: ['a', 'b'] }, verbose: true });
    assert.equal(sources.get('chain.pollingIntervalMs'), 'c.json');
    assert.equal(sources.get('p2p.bootstrap'), 'X_BOOT');
  });

  it('names every bad field and where it came from', async () => {
    const file = path.join(await temp(), 'c.json');
    await writeFile(file, JSON.stringify({ chain: { pollingIntervalMs: -1, rpcUrll: 'x' } }));
    await assert.rejects(loadConfig({ schema, defaults, file, env: { X_RPC: 'not a url' }, envBindings }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /chain\.rpcUrl \(from X_RPC\)/);
      assert.match(e.message, /chain\.pollingIntervalMs \(from c\.json\)/);
      assert.match(e.message, /chain\.rpcUrll: unknown field/);
      return true;
    });
    await assert.rejects(loadConfig({ schema, defaults, env: { X_POLL: 'soon' }, envBindings }), /X_POLL: must be a number/);
    await assert.rejects(loadConfig({ schema, defaults, file: path.join(path.dirname(file), 'missing.json') }), /does not exist/);
  });
});

describe('store', () => {
  it('migrates once, survives reopening, and rolls back failed transactions', async () => {
    const file = path.join(await temp(), 'sub', 'a.db');
    const migrations = ['CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)', 'ALTER TABLE t ADD COLUMN w TEXT'];
    const db = await openStore({ file, migrations });
    assert.equal(db.version, 2);
    db.run('INSERT INTO t (k, v) VALUES (?, ?)', 'a', 1);
    assert.throws(() => db.transaction(() => { db.run('INSERT INTO t (k, v) VALUES (?, ?)', 'b', 2); throw new Error('boom'); }), /boom/);
    db.setValue('cursor', { block: 12n });
    db.close();
    const again = await openStore({ file, migrations });
    assert.deepEqual(again.all<{ k: string }>('SELECT k FROM t').map((r) => r.k), ['a']);
    assert.deepEqual(again.getValue('cursor'), { block: '12' });
    again.close();
    const ro = await openStore({ file, migrations, readOnly: true });
    assert.equal(ro.get<{ v: number }>('SELECT v FROM t WHERE k = ?', 'a')?.v, 1);
    ro.close();
    await assert.rejects(openStore({ file, migrations: migrations.slice(0, 1) }), (e: unknown) => e instanceof VeritrainError && /newer than this program/.test(e.message));
  });
});

describe('metrics', () => {
  it('renders the Prometheus text format and serves it', async () => {
    const registry = createMetricsRegistry({ prefix: 'vt_' });
    const steps = registry.counter('steps_total', 'Steps');
    const jobs = registry.gauge('jobs', 'Jobs by state', ['state']);
    steps.inc(3);
    jobs.set(2, { state: 'training' });
    jobs.onCollect((g) => { g.set(1, { state: 'done' }); });
    assert.throws(() => { steps.inc(-1); });
    assert.throws(() => { jobs.set(1, { stage: 'x' }); });
    const server = await startMetricsServer({ registry, port: 0 });
    try {
      const text = await (await fetch(server.url)).text();
      assert.match(text, /# TYPE vt_steps_total counter\nvt_steps_total 3\n/);
      assert.match(text, /vt_jobs\{state="training"\} 2/);
      assert.match(text, /vt_jobs\{state="done"\} 1/);
      assert.equal((await fetch(server.url.replace('/metrics', '/nope'))).status, 404);
    } finally {
      await server.close();
    }
  });
});

describe('progress line', () => {
  it('redraws one line on a TTY and logs periodically otherwise', () => {
    let t = 0;
    const written: string[] = [];
    const tty = createProgressLine({ stream: { write: (c: string) => written.push(c), isTTY: true, columns: 80 }, now: () => t, redrawMs: 100 });
    tty.update('training', { step: 1, steps: 10 });
    t += 10;
    tty.update('training', { step: 2, steps: 10 });
    assert.equal(written.length, 1);
    assert.ok((written[0] ?? '').startsWith('\r\u001b[2Ktraining [##------------------] 1/10 (10%)'));
    tty.wrapWrite(() => written.push('LOG\n'));
    assert.deepEqual(written.slice(1), ['\r\x1b[2K', 'LOG\n', `\r\x1b[2K${formatProgress('training', { step: 2, steps: 10 }, 79)}`]);

    const lines: string[] = [];
    const plain = createProgressLine({ tty: false, logger: createJsonLogger({ write: (l) => lines.push(l), now: () => t }), now: () => t, intervalMs: 1000 });
    plain.update('training', { step: 1, steps: 10 });
    t += 500;
    plain.update('training', { step: 2, steps: 10 });
    t += 600;
    plain.update('training', { step: 3, steps: 10 });
    assert.equal(lines.length, 2);
    assert.equal((JSON.parse(lines[1] ?? '{}') as { step: number }).step, 3);
  });
});

describe('cli', () => {
  const run = async (argv: string[], commands: Command[]) => {
    const out = new PassThrough();
    const err = new PassThrough();
    let o = '';
    let e = '';
    out.on('data', (c: Buffer) => { o += c.toString(); });
    err.on('data', (c: Buffer) => { e += c.toString(); });
    const code = await runCli({ program: 'vt', summary: 'test', commands, argv, stdout: out, stderr: err, env: {}, signal: new AbortController().signal });
    return { code, out: o, err: e };
  };
  const commands: Command[] = [
    { name: 'key create', summary: 'create a key', args: '<file>', positionals: 1, options: { force: { type: 'boolean', description: 'x' } }, run: (ctx) => { ctx.out(`created ${ctx.positionals[0] ?? ''}`); return Promise.resolve(0); } },
    { name: 'fail', summary: 'fails', run: () => Promise.reject(new ConfigError('bad thing', { details: { field: 'a' } })) },
  ];
  it('dispatches subcommands, prints help and maps errors to exit codes', async () => {
    assert.deepEqual(await run(['key', 'create', 'f.json'], commands), { code: EXIT.OK, out: 'created f.json\n', err: '' });
    assert.match((await run(['key', 'create', '--help'], commands)).out, /usage: vt key create \[options\] <file>[\s\S]*--force/);
    assert.match((await run(['--help'], commands)).out, /key create <file>\s+create a key/);
    assert.equal((await run(['key'], commands)).code, EXIT.USAGE);
    assert.equal((await run(['key', 'create'], commands)).code, EXIT.USAGE);
    assert.equal((await run(['key', 'create', 'f', '--nope'], commands)).code, EXIT.USAGE);
    const failed = await run(['fail', '--verbose'], commands);
    assert.equal(failed.code, EXIT.CONFIG);
    assert.match(failed.err, /error: bad thing \[CONFIG_INVALID\]\n {2}field: a/);
  });
});

describe('keys', () => {
  it('loads a raw development key or explains what is missing', async () => {
    const account = await loadAccount({ env: { VERITRAIN_PRIVATE_KEY: `0x${'11'.repeat(32)}` } });
    assert.match(account.address, /^0x[0-9a-fA-F]{40}$/);
    await assert.rejects(loadAccount({ env: {} }), /no key: set key\.keystore/);
  });
});
