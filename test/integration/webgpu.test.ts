// The webgpu backend as a user meets it: a clear error where there is no adapter, a matmul that
// gives the same bits on every run (tfjs-webgpu's SplitK program does not), and a division that is
// the correctly rounded quotient everywhere, subnormal quotients included (docs/PROTOCOL.md §4.4).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { useBackend } from '../../sdk/index.ts';
import { webgpuSkip } from './helpers/backends.ts';

describe('webgpu backend', () => {
  it('without an adapter it stops with PLATFORM_UNSUPPORTED and says what to install', () => {
    const program = `
      import { useBackend } from './sdk/index.ts';
      try { await useBackend('webgpu'); console.log(JSON.stringify({ ok: true })); }
      catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
    // An ICD list naming no driver: the Vulkan loader finds no device, Dawn no adapter.
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', program], {
      cwd: `${import.meta.dirname}/../..`,
      env: { ...process.env, VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '/nonexistent/icd.json' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    const last = child.stdout.trim().split('\n').at(-1) ?? '';
    const result = JSON.parse(last) as { code?: string; message?: string };
    assert.equal(result.code, 'PLATFORM_UNSUPPORTED');
    assert.match(result.message ?? '', /no WebGPU adapter found; install a Vulkan driver/);
  });

  it('a long matmul with a small output (where tfjs-webgpu would pick SplitK) gives the same bits on every run', { skip: webgpuSkip }, async () => {
    const tf = await useBackend('webgpu');
    const a = tf.randomUniform([64, 4096], -1, 1, 'float32', 1);
    const b = tf.randomUniform([4096, 64], -1, 1, 'float32', 2);
    const runs = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const c = tf.matMul(a, b);
      runs.add(Buffer.from(((await c.data()) as Float32Array).buffer).toString('base64'));
      c.dispose();
    }
    a.dispose();
    b.dispose();
    assert.equal(runs.size, 1, `${runs.size} different results in 5 runs`);
  });

  it('division is the correctly rounded quotient on random operands over the whole exponent range', { skip: webgpuSkip }, async () => {
    const tf = await useBackend('webgpu');
    const n = 1 << 16;
    const bits = new Uint32Array(2 * n);
    let s = 0x9e3779b9;
    for (let i = 0; i < bits.length; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      bits[i] = s >>> 0;
    }
    // Every bit pattern but NaN and ±Inf, so subnormal operands and quotients occur too.
    for (let i = 0; i < bits.length; i++) if (((bits[i] as number) & 0x7f800000) === 0x7f800000) bits[i] = (bits[i] as number) & 0x807fffff;
    const all = new Float32Array(bits.buffer);
    const a = all.subarray(0, n);
    const b = all.subarray(n);
    const q = tf.div(tf.tensor1d(a), tf.tensor1d(b));
    const got = (await q.data()) as Float32Array;
    q.dispose();
    let wrong = 0;
    let subnormal = 0;
    for (let i = 0; i < n; i++) {
      // The double quotient rounded to fp32 is the correctly rounded fp32 quotient (53 ≥ 2·24 + 2).
      const want = Math.fround((a[i] as number) / (b[i] as number));
      if (want !== 0 && Math.abs(want) < 2 ** -126) subnormal++;
      if (!Object.is(got[i], want) && !(Number.isNaN(want) && Number.isNaN(got[i]))) wrong++;
    }
    assert.equal(wrong, 0, `${wrong} of ${n} quotients not correctly rounded`);
    assert.ok(subnormal > 100, `only ${subnormal} subnormal quotients were tried`);
  });
});
