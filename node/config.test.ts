import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { daemonDefaults } from '../sdk/daemon/config.ts';
import { loadSolverConfig, SOLVER_DEFAULTS } from './config.ts';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('solver config', () => {
  it('has the shared sections of sdk/daemon/config.ts, as the verifier does (verifier/config.test.ts)', () => {
    const shared = daemonDefaults({ metricsPort: 9464 });
    for (const key of ['chain', 'key', 'p2p', 'backend', 'metrics'] as const) assert.deepEqual(SOLVER_DEFAULTS[key], shared[key], key);
    assert.deepEqual(SOLVER_DEFAULTS.log, { ...(shared.log as object), progress: true });
  });

  it('reads every shared variable under its one name, and the former ones with a warning', async () => {
    const warned: string[] = [];
    const { config } = await loadSolverConfig({
      env: {
        VERITRAIN_RPC: 'http://old:8545',
        VERITRAIN_DEPLOYMENT: 'dep.json',
        VERITRAIN_BACKEND: 'cpu',
        VERITRAIN_METRICS_HOST: '0.0.0.0',
        VERITRAIN_LISTEN: '/ip4/0.0.0.0/tcp/4001, ',
      },
      onWarning: (w) => warned.push(w),
    });
    assert.equal(config.chain.rpcUrl, 'http://old:8545');
    assert.equal(config.chain.deploymentFile, path.resolve('dep.json'));
    assert.equal(config.backend, 'cpu');
    assert.equal(config.metrics.host, '0.0.0.0');
    assert.deepEqual(config.p2p.listen, ['/ip4/0.0.0.0/tcp/4001']);
    assert.deepEqual(warned.sort(), [
      'VERITRAIN_DEPLOYMENT is deprecated: use VERITRAIN_DEPLOYMENT_FILE',
      'VERITRAIN_RPC is deprecated: use VERITRAIN_RPC_URL',
    ]);
  });

  it('moves training.backend of a former file to backend, with a warning', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'veritrain-solver-config-'));
    dirs.push(dir);
    const file = path.join(dir, 'solver.json');
    await writeFile(file, JSON.stringify({ training: { backend: 'cpu', hashThreads: 2 } }));
    const warned: string[] = [];
    const { config } = await loadSolverConfig({ file, env: {}, onWarning: (w) => warned.push(w) });
    assert.equal(config.backend, 'cpu');
    assert.deepEqual(config.training, { hashThreads: 2, selfCheckEvery: 10 });
    assert.deepEqual(warned, ['training.backend (in solver.json) is deprecated: use backend']);
  });

  it('rejects bad values naming the key and the variable', async () => {
    await assert.rejects(loadSolverConfig({ env: { VERITRAIN_BACKEND: 'gpu' } }), /backend \(from VERITRAIN_BACKEND\)/);
    await assert.rejects(loadSolverConfig({ env: { VERITRAIN_POLL_MS: '0' } }), /chain\.pollingIntervalMs \(from VERITRAIN_POLL_MS\): Too small/);
    await assert.rejects(loadSolverConfig({ env: { VERITRAIN_RPC_URL: 'localhost' } }), /chain\.rpcUrl \(from VERITRAIN_RPC_URL\): must be an http\(s\) URL/);
  });
});
