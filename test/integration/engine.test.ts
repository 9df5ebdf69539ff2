// The training engine on real MNIST: accuracy a user would accept on every backend here, and
// a run killed with SIGKILL mid-interval that resumes to exactly the roots of an unbroken run.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { accuracy, createDirCheckpointStore, createRootHasher, silentLogger, train, useBackend } from '../../sdk/index.ts';
import { mnistJob } from './fixtures/mnist-job.ts';
import { skipFor } from './helpers/backends.ts';

const hasher = createRootHasher({ threads: 1 });
const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(path.join(tmpdir(), 'veritrain-engine-'));
  dirs.push(d);
  return d;
};
after(async () => {
  await hasher.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('training engine', () => {
  for (const backend of ['wasm', 'cpu', 'webgpu'] as const) {
    it(`${backend}: trains the MNIST MLP to at least 90% held-out accuracy`, { skip: skipFor(backend) }, async () => {
      const { spec, train: records, test } = mnistJob(400, 100);
      const result = await train({ spec, records, backend, store: createDirCheckpointStore(tempDir()), hasher, log: silentLogger });
      assert.equal(result.backend, backend);
      assert.equal(result.roots.length, 5);
      const acc = await accuracy(await useBackend(backend), spec, result.finalState, test);
      assert.ok(acc >= 0.9, `held-out accuracy ${acc}`);
    });
  }

  it('a run killed with SIGKILL mid-interval resumes to the same roots as an unbroken run', async () => {
    const [steps, interval] = [300, 50];
    const { spec, train: records } = mnistJob(steps, interval);
    const reference = await train({ spec, records, backend: 'wasm', store: createDirCheckpointStore(tempDir()), hasher, log: silentLogger });

    const dir = tempDir();
    const child = path.join(import.meta.dirname, 'fixtures', 'train-child.ts');
    const run = (killAtStep?: number): Promise<{ killed: boolean; last: Record<string, unknown> }> =>
      new Promise((resolve, reject) => {
        const proc = spawn(process.execPath, [child, dir, 'wasm', String(steps), String(interval)], { stdio: ['ignore', 'pipe', 'inherit'] });
        let last: Record<string, unknown> = {};
        let buffered = '';
        proc.stdout.on('data', (chunk: Buffer) => {
          buffered += chunk.toString();
          const lines = buffered.split('\n');
          buffered = lines.pop() ?? '';
          for (const line of lines) {
            last = JSON.parse(line) as Record<string, unknown>;
            // Kill once a checkpoint past the first is on disk and the next interval is under way.
            if (killAtStep !== undefined && last.step === killAtStep) proc.kill('SIGKILL');
          }
        });
        proc.on('error', reject);
        proc.on('exit', (_code, signal) => {
          resolve({ killed: signal === 'SIGKILL', last });
        });
      });

    const first = await run(2 * interval + 17);
    assert.ok(first.killed, 'the first run was not killed');
    assert.ok(existsSync(path.join(dir, 'checkpoint-000002.json')));
    assert.ok(!existsSync(path.join(dir, 'checkpoint-000006.json')));

    const second = await run();
    assert.equal(second.last.done, true);
    assert.ok(
      typeof second.last.resumedFrom === 'number' && second.last.resumedFrom >= 1 && second.last.resumedFrom < 6,
      `resumed from ${String(second.last.resumedFrom)}`,
    );
    assert.deepEqual(second.last.roots, reference.roots);
  });
});
