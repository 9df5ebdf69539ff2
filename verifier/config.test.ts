import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError } from '../sdk/errors.ts';
import { daemonDefaults } from '../sdk/daemon/config.ts';
import { loadVerifierConfig, VERIFIER_DEFAULTS } from './config.ts';

const dirs: string[] = [];
const temp = async (): Promise<string> => {
  const d = await mkdtemp(path.join(tmpdir(), 'veritrain-verifier-config-'));
  dirs.push(d);
  return d;
};
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const issuesOf = async (p: Promise<unknown>): Promise<string[]> => {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.details.issues as string[];
  }
  return assert.fail('expected a ConfigError');
};

describe('verifier config', () => {
  it("loads the defaults: the shared sections are the solver's, but for the metrics port", async () => {
    const { config } = await loadVerifierConfig({ env: {} });
    assert.equal(config.backend, 'wasm');
    assert.deepEqual(config.metrics, { enabled: true, host: '127.0.0.1', port: 9465 });
    assert.equal(config.chain.pollingIntervalMs, 2_000);
    assert.equal(config.storage.kuboUrl, 'http://127.0.0.1:5001');
    assert.ok(path.isAbsolute(config.dataDir));
    // The shared sections are sdk/daemon/config.ts's, as the solver's are (node/config.test.ts).
    const shared = daemonDefaults({ metricsPort: 9465 });
    for (const key of ['chain', 'key', 'backend', 'metrics'] as const) assert.deepEqual(VERIFIER_DEFAULTS[key], shared[key], key);
    assert.deepEqual(VERIFIER_DEFAULTS.p2p, { ...(shared.p2p as object), solverPeers: {} });
    assert.deepEqual(VERIFIER_DEFAULTS.log, shared.log);
  });

  it("reads the shared variables (the solver's names), and the deprecated ones with a warning", async () => {
    const env = {
      VERITRAIN_RPC_URL: 'http://rpc:8545',
      VERITRAIN_BACKEND: 'cpu',
      VERITRAIN_METRICS: 'false',
      VERITRAIN_POLL_MS: '250',
      VERITRAIN_DATA_DIR: 'v-data',
      VERITRAIN_KEYSTORE: 'k.json',
      VERITRAIN_KUBO_URL: 'http://kubo:5001',
    };
    const { config } = await loadVerifierConfig({ env });
    for (const c of [config]) {
      assert.equal(c.chain.rpcUrl, 'http://rpc:8545');
      assert.equal(c.backend, 'cpu');
      assert.equal(c.metrics.enabled, false);
      assert.equal(c.chain.pollingIntervalMs, 250);
      assert.equal(c.dataDir, path.resolve('v-data'));
      assert.equal(c.key.keystore, path.resolve('k.json'));
    }
    assert.equal(config.storage.kuboUrl, 'http://kubo:5001');
    const warned: string[] = [];
    const old = await loadVerifierConfig({
      env: { VERITRAIN_VERIFIER_DATA: 'old-data', VERITRAIN_VERIFIER_KEYSTORE: 'old.json', VERITRAIN_KUBO_API: 'http://old:5001' },
      onWarning: (w) => warned.push(w),
    });
    assert.equal(old.config.dataDir, path.resolve('old-data'));
    assert.equal(old.config.key.keystore, path.resolve('old.json'));
    assert.equal(old.config.storage.kuboUrl, 'http://old:5001');
    assert.deepEqual(warned.sort(), [
      'VERITRAIN_KUBO_API is deprecated: use VERITRAIN_KUBO_URL',
      'VERITRAIN_VERIFIER_DATA is deprecated: use VERITRAIN_DATA_DIR',
      'VERITRAIN_VERIFIER_KEYSTORE is deprecated: use VERITRAIN_KEYSTORE',
    ]);
  });

  it('rejects bad values, naming each key and where it came from', async () => {
    const dir = await temp();
    const file = path.join(dir, 'verifier.json');
    await writeFile(
      file,
      JSON.stringify({
        chain: { rpcUrl: 'ws://x', pollingIntervalMs: 5 },
        sampling: { budget: 0, bugdet: 1 },
        p2p: { listen: ['tcp/1'], solverPeers: { '0xABC': '/ip4/1.2.3.4/tcp/1' } },
        disputes: { fetchAttempts: 0 },
        jobs: { only: ['seven'] },
        metrics: { port: null },
        screen: { mode: 'fast' },
      }),
    );
    const issues = await issuesOf(
      loadVerifierConfig({ file, env: { VERITRAIN_VERIFY_BUDGET: '2', VERITRAIN_METRICS_PORT: '70000', VERITRAIN_LOG_LEVEL: 'loud' } }),
    );
    const has = (re: RegExp): void => {
      assert.ok(
        issues.some((i) => re.test(i)),
        `${re} in\n${issues.join('\n')}`,
      );
    };
    has(/^chain\.rpcUrl \(from verifier\.json\): must be an http\(s\) URL/);
    has(/^chain\.pollingIntervalMs \(from verifier\.json\): Too small/);
    has(/^sampling\.budget \(from VERITRAIN_VERIFY_BUDGET\): Too big/);
    has(/^sampling\.bugdet: unknown field \(from verifier\.json\)/);
    has(/^p2p\.listen\.0 \(from verifier\.json\): must be a multiaddr/);
    has(/^p2p\.solverPeers\.0xABC \(from verifier\.json\): invalid key: must be a lowercase 0x address/);
    has(/^disputes\.fetchAttempts \(from verifier\.json\): Too small/);
    has(/^jobs\.only\.0 \(from verifier\.json\): must be a job id/);
    has(/^metrics\.port \(from VERITRAIN_METRICS_PORT\): Too big/);
    has(/^screen\.mode \(from verifier\.json\)/);
    has(/^log\.level \(from VERITRAIN_LOG_LEVEL\)/);
    await assert.rejects(loadVerifierConfig({ env: { VERITRAIN_METRICS_PORT: 'soon' } }), /VERITRAIN_METRICS_PORT: must be a number, got "soon"/);
    await assert.rejects(loadVerifierConfig({ env: { VERITRAIN_METRICS: 'maybe' } }), /VERITRAIN_METRICS: must be true or false/);
  });

  it('loads a former file: the per-loop polls are dropped with a warning, paths resolve against the file', async () => {
    const dir = await temp();
    const file = path.join(dir, 'verifier.json');
    await writeFile(file, JSON.stringify({ dataDir: 'data', jobs: { only: ['3'], pollMs: 500 }, disputes: { pollMs: 250 } }));
    const warned: string[] = [];
    const { config } = await loadVerifierConfig({ file, env: {}, onWarning: (w) => warned.push(w) });
    assert.equal(config.dataDir, path.join(dir, 'data'));
    assert.deepEqual(config.jobs, { only: ['3'] });
    assert.equal(warned.length, 2);
    assert.match(warned[0] ?? '', /^jobs\.pollMs \(in verifier\.json\) is no longer read: .*chain\.pollingIntervalMs/);
  });
});
