/**
 * tfjs backends for the engine. cpu and wasm ship with the project; tfjs-node and
 * tfjs-node-gpu ('tensorflow' backend) and WebGPU are used when the user installed them.
 */
import type * as TF from '@tensorflow/tfjs';
import { VeritrainError } from '../errors.ts';
import { installWebGpu, probeRounding } from './webgpu.ts';

export const BACKENDS = ['cpu', 'wasm', 'tensorflow', 'webgpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** Optional packages that register a backend when imported. */
const OPTIONAL: Readonly<Record<BackendName, readonly string[]>> = {
  cpu: [],
  wasm: ['@tensorflow/tfjs-backend-wasm'],
  tensorflow: ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'],
  webgpu: ['@tensorflow/tfjs-backend-webgpu'],
};

/** Select and initialise a backend; throws a clear error naming what to install. */
export async function useBackend(name: BackendName): Promise<typeof TF> {
  // Loaded on first use: commands that never train (keys, stake, status) start without tfjs.
  const tf = await import('@tensorflow/tfjs');
  // tfjs prints a console banner for Node users without tfjs-node; the engine chooses on purpose.
  tf.env().set('PROD', true);
  if (tf.getBackend() === name) return tf;
  // WebGPU: Dawn as navigator.gpu, pinned flags and the bounded kernels (./webgpu.ts).
  if (name === 'webgpu') await installWebGpu(tf);
  let lastError: unknown;
  for (const pkg of OPTIONAL[name]) {
    try {
      await import(pkg);
      lastError = undefined;
      break;
    } catch (err) {
      lastError = err;
    }
  }
  if (lastError !== undefined) {
    throw new VeritrainError('PLATFORM_UNSUPPORTED', `backend "${name}" needs ${OPTIONAL[name].join(' or ')}; install it with npm to use it`, {
      cause: lastError,
    });
  }
  if (!(await tf.setBackend(name))) {
    throw new VeritrainError('PLATFORM_UNSUPPORTED', `backend "${name}" failed to initialise on this machine`);
  }
  await tf.ready();
  if (name === 'webgpu') await probeRounding(tf);
  return tf;
}
