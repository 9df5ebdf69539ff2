/**
 * The WebGPU backend under Node: Dawn (npm `webgpu`) behind tfjs-backend-webgpu, set up so that
 * its results are deterministic and within the tolerance rule's bounds on any conformant adapter:
 *
 * - a matmul program without float atomics (SplitK adds partial sums in arrival order: a
 *   different result on nearly every run) and no CPU hand-off of small ops;
 * - Exp, Tanh, Sigmoid and RealDiv replaced by kernels whose error follows from `+ − ×`
 *   (./webgpu-kernels.ts);
 * - a start-up probe that `+ − ×` round to nearest, which WGSL leaves open and every bound of
 *   docs/PROTOCOL.md §4.1 assumes.
 *
 * Reads must be asynchronous there (`await t.data()`): `dataSync()` needs an OffscreenCanvas.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { VeritrainError } from '../errors.ts';
import { registerBoundedKernels } from './webgpu-kernels.ts';

/** tfjs-webgpu flags the engine pins (MatMulProgramType 3 = MatMulPackedProgram). */
export const WEBGPU_FLAGS = { WEBGPU_MATMUL_PROGRAM_TYPE: 3, WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD: 0 } as const;

export const WEBGPU_INSTALL_HINT =
  'install a Vulkan driver: on NVIDIA, AMD or Intel GPUs the vendor driver; without a GPU, Mesa >= 24 lavapipe ' +
  '(Debian 12: `apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1`) or SwiftShader ' +
  '(VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json); see the README';

let installed: Promise<void> | undefined;

/** Installs Dawn as `navigator.gpu` and the webgpu backend into tfjs, once per process. */
export function installWebGpu(tf: typeof tfjs): Promise<void> {
  installed ??= install(tf).catch((err: unknown) => {
    installed = undefined;
    throw err;
  });
  return installed;
}

async function install(tf: typeof tfjs): Promise<void> {
  let dawn: typeof import('webgpu');
  try {
    dawn = await import('webgpu');
  } catch (err) {
    throw new VeritrainError('PLATFORM_UNSUPPORTED', 'backend "webgpu" needs the npm package webgpu (Dawn for Node); install it with npm', { cause: err });
  }
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create([]);
  const adapter = await gpu.requestAdapter();
  if (adapter === null) {
    throw new VeritrainError('PLATFORM_UNSUPPORTED', `backend "webgpu": no WebGPU adapter found; ${WEBGPU_INSTALL_HINT}`);
  }
  // Node 22's global `navigator` cannot be assigned; tfjs-webgpu looks for navigator.gpu.
  Object.defineProperty(globalThis.navigator, 'gpu', { value: gpu, configurable: true });
  let webgpu: { webgpu_util: Parameters<typeof registerBoundedKernels>[1] };
  try {
    webgpu = await import('@tensorflow/tfjs-backend-webgpu');
  } catch (err) {
    throw new VeritrainError('PLATFORM_UNSUPPORTED', 'backend "webgpu" needs @tensorflow/tfjs-backend-webgpu; install it with npm', { cause: err });
  }
  for (const [flag, value] of Object.entries(WEBGPU_FLAGS)) tf.env().set(flag, value);
  registerBoundedKernels(tf, webgpu.webgpu_util);
}

/**
 * Checks on the active webgpu backend that fp32 `+`, `−` and `×` round to nearest (ties to even)
 * on crafted ties and pseudo-random operands; throws when the adapter rounds otherwise.
 */
export async function probeRounding(tf: typeof tfjs): Promise<void> {
  const n = 4096;
  const a = new Float32Array(n);
  const b = new Float32Array(n);
  let seed = 0x2545f491;
  const next = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  for (let i = 0; i < n; i++) {
    a[i] = (next() - 0.5) * 2 ** Math.floor(next() * 40 - 20);
    b[i] = (next() - 0.5) * 2 ** Math.floor(next() * 40 - 20);
  }
  // Ties: 1 + 2^-24 → 1, 1 + 3·2^-24 → 1 + 2^-22 (even), and their negatives.
  a.set([1, 1 + 2 ** -23, -1, -(1 + 2 ** -23)], 0);
  b.set([2 ** -24, 2 ** -24, -(2 ** -24), -(2 ** -24)], 0);
  const ops: [string, (x: tfjs.Tensor, y: tfjs.Tensor) => tfjs.Tensor, (x: number, y: number) => number][] = [
    ['+', (x, y) => tf.add(x, y), (x, y) => Math.fround(x + y)],
    ['-', (x, y) => tf.sub(x, y), (x, y) => Math.fround(x - y)],
    ['*', (x, y) => tf.mul(x, y), (x, y) => Math.fround(x * y)],
  ];
  const ta = tf.tensor1d(a);
  const tb = tf.tensor1d(b);
  try {
    for (const [name, gpuOp, reference] of ops) {
      const out = gpuOp(ta, tb);
      const got = (await out.data()) as Float32Array;
      out.dispose();
      for (let i = 0; i < n; i++) {
        const want = reference(a[i] as number, b[i] as number);
        if (!Object.is(got[i], want) && !(got[i] === 0 && want === 0) && Math.abs(want) >= 2 ** -126) {
          throw new VeritrainError(
            'PLATFORM_UNSUPPORTED',
            `backend "webgpu": this adapter does not round fp32 ${name} to nearest (${a[i]} ${name} ${b[i]} gave ${got[i]}, not ${want}); the tolerance bounds assume it`,
            { details: { op: name, a: a[i], b: b[i], got: got[i], want } },
          );
        }
      }
    }
  } finally {
    ta.dispose();
    tb.dispose();
  }
}
