/** Accuracy of a trained state on labelled records: the canonical graph's forward pass. */
import type * as tfjs from '@tensorflow/tfjs';
import type { Tensor } from '../commit/tensor.ts';
import { buildGraph } from '../graph/graph.ts';
import type { JobSpec } from '../spec/job-spec.ts';
import { recordBytes } from '../spec/job-spec.ts';
import { inputWidth, modelPlan } from '../spec/model.ts';
import { executeForward, toTf } from './executor.ts';

/** Records per forward pass: bounds the memory of a conv net's patches. */
const CHUNK = 500;

/** Fraction of `records` whose class the model predicts (class-u8 labels). `state` is in state order. */
export async function accuracy(
  tf: typeof tfjs,
  spec: Pick<JobSpec, 'model' | 'data' | 'optimizer' | 'training'>,
  state: readonly Tensor[],
  records: Uint8Array,
): Promise<number> {
  const size = recordBytes(spec);
  const n = records.length / size;
  const features = inputWidth(modelPlan(spec.model));
  const labelAt = features * (spec.data.featureEncoding === 'u8-unit' ? 1 : 4);
  const params = toTf(tf, state);
  let correct = 0;
  try {
    for (let start = 0; start < n; start += CHUNK) {
      const count = Math.min(CHUNK, n - start);
      const graph = buildGraph({ ...spec, training: { ...spec.training, batchSize: count } });
      const x = new Float32Array(count * features);
      const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
      for (let r = 0; r < count; r++) {
        const base = (start + r) * size;
        for (let f = 0; f < features; f++)
          x[r * features + f] = spec.data.featureEncoding === 'u8-unit' ? (records[base + f] as number) / 255 : view.getFloat32(base + 4 * f, true);
      }
      const predicted = tf.tidy(() => tf.argMax(executeForward(tf, graph, params, x), 1));
      // Read asynchronously: WebGPU has no synchronous read in Node.
      const labels = await predicted.data();
      predicted.dispose();
      for (let r = 0; r < count; r++) if (labels[r] === records[(start + r) * size + labelAt]) correct++;
    }
  } finally {
    for (const t of params) t.dispose();
  }
  return correct / n;
}
