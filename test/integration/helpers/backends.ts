// Whether this machine can run the optional backends. webgpu needs a Vulkan, Metal or D3D12
// adapter for Dawn: tests that need it skip with the reason when there is none, unless
// VERITRAIN_WEBGPU=required (set by .ci/run once it has installed a driver), which makes a missing
// adapter fail them. tensorflow runs only where the user installed tfjs-node[-gpu].
import { useBackend, type BackendName } from '../../../sdk/index.ts';

async function probe(name: BackendName): Promise<string | false> {
  try {
    await useBackend(name);
    return false;
  } catch (err) {
    const reason = `backend ${name} does not run here: ${(err as Error).message}`;
    if (name === 'webgpu' && process.env.VERITRAIN_WEBGPU === 'required') throw new Error(`VERITRAIN_WEBGPU=required, but ${reason}`, { cause: err });
    return reason;
  }
}

/** `false` when webgpu runs here, else why it does not (for `it(name, { skip })`). */
export const webgpuSkip: string | false = await probe('webgpu');
/** `false` when tfjs-node[-gpu] is installed and loads, else why not. */
export const tensorflowSkip: string | false = await probe('tensorflow');

/** Why `backend` cannot run here, or `false`. */
export const skipFor = (backend: BackendName): string | false => (backend === 'webgpu' ? webgpuSkip : backend === 'tensorflow' ? tensorflowSkip : false);
