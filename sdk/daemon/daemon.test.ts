import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, it } from 'node:test';
import * as z from 'zod';
import { ConfigError, VeritrainError } from '../errors.ts';
import { createJsonLogger } from '../log.ts';
import { EXIT, runCli, UsageError, type Command } from './cli.ts';
import { loadConfig, readEnv, resolveConfigPaths } from './config.ts';
import { loadAccount } from './keys.ts';
import { createMetricsRegistry, startMetricsServer } from './metrics.ts';
import { createProgressLine, formatProgress } from './progress.ts';
import { startServices, stopServices, type RunningService } from './service.ts';
import { openStore } from './store.ts';

const dirs: string[] = [];
const temp = async (): Promise<string> => {
  const d = await mkdtemp(path.join(tmpdir(), 'veritrain-daemon-'));
  dirs.push(d);
  return d;
};
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

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

describe('config: deprecated names and paths', () => {
  const bindings = [
    { name: 'X_RPC_URL', path: 'chain.rpcUrl', deprecated: ['X_RPC'] },
    { name: 'X_POLL', path: 'chain.pollingIntervalMs', type: 'number' as const },
  ];

  it('reads a deprecated variable with a warning, and the new name wins over it', async () => {
    const warned: string[] = [];
    const old = await loadConfig({ schema, defaults, env: { X_RPC: 'http://old:8545' }, envBindings: bindings, onWarning: (w) => warned.push(w) });
    assert.equal(old.config.chain.rpcUrl, 'http://old:8545');
    assert.equal(old.sources.get('chain.rpcUrl'), 'X_RPC');
    assert.deepEqual(warned, ['X_RPC is deprecated: use X_RPC_URL']);
    assert.deepEqual(old.warnings, warned);
    const both = await loadConfig({ schema, defaults, env: { X_RPC: 'http://old:8545', X_RPC_URL: 'http://new:8545' }, envBindings: bindings });
    assert.equal(both.config.chain.rpcUrl, 'http://new:8545');
    assert.deepEqual(both.warnings, []);
    // A bad value under the old name is reported under the name the user set.
    await assert.rejects(loadConfig({ schema, defaults, env: { X_RPC: 'nope' }, envBindings: bindings }), /chain\.rpcUrl \(from X_RPC\)/);
    assert.deepEqual(readEnv({ A: '' }, 'A', ['B']), { value: '', from: 'A' });
    assert.equal(readEnv({}, 'A', ['B']), undefined);
  });

  it('moves a renamed key of a file, drops a removed one, and warns before validation fails', async () => {
    const file = path.join(await temp(), 'old.json');
    await writeFile(file, JSON.stringify({ chain: { pollMs: 70 }, p2p: { seeds: ['a'], bootstrap: 'oops' } }));
    const deprecatedKeys = [
      { path: 'chain.pollMs', use: 'chain.pollingIntervalMs' },
      { path: 'p2p.seeds', note: 'use p2p.bootstrap' },
    ];
    const warned: string[] = [];
    await assert.rejects(loadConfig({ schema, defaults, file, deprecatedKeys, onWarning: (w) => warned.push(w) }), /p2p\.bootstrap \(from old\.json\)/);
    assert.deepEqual(warned, [
      'chain.pollMs (in old.json) is deprecated: use chain.pollingIntervalMs',
      'p2p.seeds (in old.json) is no longer read: use p2p.bootstrap',
    ]);
    await writeFile(file, JSON.stringify({ chain: { pollMs: 70 } }));
    const { config, sources } = await loadConfig({ schema, defaults, file, deprecatedKeys });
    assert.equal(config.chain.pollingIntervalMs, 70);
    assert.equal(sources.get('chain.pollingIntervalMs'), 'old.json');
    // Without the deprecation the old key is an unknown field, as any typo.
    await assert.rejects(loadConfig({ schema, defaults, file }), /chain\.pollMs: unknown field \(from old\.json\)/);
  });

  it('resolves paths from the file against the file, others against the working directory', async () => {
    const dir = await temp();
    const file = path.join(dir, 'c.json');
    const pathSchema = z.strictObject({ a: z.string(), b: z.string(), c: z.string().optional() });
    await writeFile(file, JSON.stringify({ a: 'data' }));
    const loaded = await loadConfig({
      schema: pathSchema,
      defaults: { a: 'x', b: 'y' },
      file,
      env: { B: 'from-env' },
      envBindings: [{ name: 'B', path: 'b' }],
    });
    assert.deepEqual(resolveConfigPaths(loaded, ['a', 'b', 'c'], '/work'), { a: path.join(dir, 'data'), b: path.resolve('/work', 'from-env') });
  });
});

describe('store', () => {
  it('migrates once, survives reopening, and rolls back failed transactions', async () => {
    const file = path.join(await temp(), 'sub', 'a.db');
    const migrations = ['CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)', 'ALTER TABLE t ADD COLUMN w TEXT'];
    const db = await openStore({ file, migrations });
    assert.equal(db.version, 2);
    db.run('INSERT INTO t (k, v) VALUES (?, ?)', 'a', 1);
    assert.throws(
      () =>
        db.transaction(() => {
          db.run('INSERT INTO t (k, v) VALUES (?, ?)', 'b', 2);
          throw new Error('boom');
        }),
      /boom/,
    );
    db.setValue('cursor', { block: 12n });
    db.close();
    const again = await openStore({ file, migrations });
    assert.deepEqual(
      again.all<{ k: string }>('SELECT k FROM t').map((r) => r.k),
      ['a'],
    );
    assert.deepEqual(again.getValue('cursor'), { block: '12' });
    again.close();
    const ro = await openStore({ file, migrations, readOnly: true });
    assert.equal(ro.get<{ v: number }>('SELECT v FROM t WHERE k = ?', 'a')?.v, 1);
    ro.close();
    await assert.rejects(
      openStore({ file, migrations: migrations.slice(0, 1) }),
      (e: unknown) => e instanceof VeritrainError && /newer than this program/.test(e.message),
    );
  });
});

describe('metrics', () => {
  it('renders the Prometheus text format and serves it', async () => {
    const registry = createMetricsRegistry({ prefix: 'vt_' });
    const steps = registry.counter('steps_total', 'Steps');
    const jobs = registry.gauge('jobs', 'Jobs by state', ['state']);
    steps.inc(3);
    jobs.set(2, { state: 'training' });
    jobs.onCollect((g) => {
      g.set(1, { state: 'done' });
    });
    assert.throws(() => {
      steps.inc(-1);
    });
    assert.throws(() => {
      jobs.set(1, { stage: 'x' });
    });
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
    out.on('data', (c: Buffer) => {
      o += c.toString();
    });
    err.on('data', (c: Buffer) => {
      e += c.toString();
    });
    const code = await runCli({ program: 'vt', summary: 'test', commands, argv, stdout: out, stderr: err, env: {}, signal: new AbortController().signal });
    return { code, out: o, err: e };
  };
  const commands: Command[] = [
    {
      name: 'key create',
      summary: 'create a key',
      args: '<file>',
      positionals: 1,
      options: { force: { type: 'boolean', description: 'x' } },
      run: (ctx) => {
        ctx.out(`created ${ctx.positionals[0] ?? ''}`);
        return Promise.resolve(0);
      },
    },
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

  it('prints the version, group help, hidden aliases and errors the same way for every program', async () => {
    const more: Command[] = [
      ...commands,
      {
        name: 'key old',
        summary: 'deprecated',
        hidden: true,
        run: (ctx) => {
          ctx.warn('`key old` is deprecated');
          return Promise.resolve(0);
        },
      },
      {
        name: 'usage',
        summary: 'throws a usage error',
        options: { json: { type: 'boolean', description: 'json' } },
        run: () => Promise.reject(new UsageError('--thing is required')),
      },
      {
        name: 'json',
        summary: 'fails with --json',
        options: { json: { type: 'boolean', description: 'json' } },
        run: () => Promise.reject(new VeritrainError('JOB_NOT_FOUND', 'no job 9', { details: { jobId: '9' } })),
      },
    ];
    const version = await runCli({
      program: 'vt',
      summary: 'test',
      commands: more,
      argv: ['--version'],
      version: '1.2.3',
      stdout: new PassThrough().on('data', (c: Buffer) => {
        assert.equal(c.toString(), 'vt 1.2.3\n');
      }),
      stderr: new PassThrough(),
      env: {},
      signal: new AbortController().signal,
    });
    assert.equal(version, EXIT.OK);
    const top = await run(['--help'], more);
    assert.match(top.out, /options:[\s\S]*-V, --version/);
    assert.match(top.out, /exit codes: 0 ok, 1 failed, 2 usage, 3 configuration or key, 130 interrupted/);
    assert.doesNotMatch(top.out, /key old/, 'hidden commands are not listed');
    for (const argv of [
      ['key', '--help'],
      ['help', 'key'],
    ]) {
      const group = await run(argv, more);
      assert.equal(group.code, EXIT.OK, argv.join(' '));
      assert.match(group.out, /usage: vt key <command>[\s\S]*key create <file>\s+create a key/);
    }
    assert.equal((await run(['help', 'nope'], more)).code, EXIT.USAGE);
    assert.deepEqual(await run(['key', 'old'], more), { code: EXIT.OK, out: '', err: 'warning: `key old` is deprecated\n' });
    const usage = await run(['usage'], more);
    assert.equal(usage.code, EXIT.USAGE);
    assert.equal(usage.err, 'error: --thing is required\nrun `vt usage --help` for its usage\n');
    const asJson = await run(['json', '--json'], more);
    assert.equal(asJson.code, EXIT.FAILED);
    assert.deepEqual(JSON.parse(asJson.err), { error: { name: 'VeritrainError', code: 'JOB_NOT_FOUND', message: 'no job 9', details: { jobId: '9' } } });
    const plain = await run(['json'], more);
    assert.equal(plain.err, 'error: no job 9 [JOB_NOT_FOUND]\n  (run with --verbose for details)\n');
  });
});

describe('keys', () => {
  it('loads a raw development key or explains what is missing', async () => {
    const account = await loadAccount({ env: { VERITRAIN_PRIVATE_KEY: `0x${'11'.repeat(32)}` } });
    assert.match(account.address, /^0x[0-9a-fA-F]{40}$/);
    await assert.rejects(loadAccount({ env: {} }), /no key: set key\.keystore/);
  });
});

describe('services', () => {
  it('startServices builds each service when its turn comes and, when one fails, stops the started ones in reverse', async () => {
    const events: string[] = [];
    const service = (name: string, fail = false) => ({
      start: () => {
        events.push(`start ${name}`);
        return fail ? Promise.reject(new Error(`${name} broke`)) : Promise.resolve();
      },
      stop: () => {
        events.push(`stop ${name}`);
        return Promise.resolve();
      },
    });
    let first: { value: number } | undefined;
    const running = await startServices([
      {
        name: 'a',
        create: () => {
          first = { value: 1 };
          return service('a');
        },
      },
      // Made after a started: it may use what a built (as Helia uses the started libp2p).
      {
        name: 'b',
        create: () => {
          events.push(`create b sees a=${first?.value}`);
          return service('b');
        },
      },
    ]);
    assert.deepEqual(events, ['start a', 'create b sees a=1', 'start b']);
    await stopServices(running);
    assert.deepEqual(events.slice(3), ['stop b', 'stop a']);

    events.length = 0;
    const partial: RunningService[] = [];
    await assert.rejects(
      startServices(
        [
          { name: 'a', create: () => service('a') },
          { name: 'b', create: () => service('b') },
          { name: 'c', create: () => service('c', true) },
        ],
        undefined,
        partial,
      ),
      /c broke/,
    );
    assert.deepEqual(events, ['start a', 'start b', 'start c', 'stop b', 'stop a']);
    assert.equal(partial.length, 0, 'nothing is left running');
  });
});
