/** Accuracy of a trained MLP state on labelled records (forward pass only). */
import type * as tfjs from '@tensorflow/tfjs';
import type { Tensor } from '../commit/tensor.ts';
import type { JobSpec } from '../spec/job-spec.ts';
import { recordBytes } from '../spec/job-spec.ts';

/** Fraction of `records` whose class the model predicts (class-u8 labels). `state` is in state order. */
export function accuracy(tf: typeof tfjs, spec: Pick<JobSpec, 'model' | 'data'>, state: readonly Tensor[], records: Uint8Array): number {
  const size = recordBytes(spec);
  const n = records.length / size;
  const features = spec.model.layers[0] as number;
  const L = spec.model.layers.length - 1;
  const params = state.slice(state.length / 2);
  const x = new Float32Array(n * features);
  const labels = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    for (let f = 0; f < features; f++) x[r * features + f] = (records[r * size + f] as number) / 255;
    labels[r] = records[r * size + features] as number;
  }
  return tf.tidy(() => {
    let h: tfjs.Tensor = tf.tensor(x, [n, features]);
    for (let l = 0; l < L; l++) {
      const w = params[2 * l] as Tensor;
      const b = params[2 * l + 1] as Tensor;
      h = tf.add(tf.matMul(h, tf.tensor(w.data, [...w.shape]), false, true), tf.tensor(b.data, [...b.shape]));
      if (l < L - 1) h = spec.model.activation === 'relu' ? tf.relu(h) : spec.model.activation === 'tanh' ? tf.tanh(h) : tf.sigmoid(h);
    }
    const predicted = tf.argMax(h, 1).dataSync();
    let correct = 0;
    for (let r = 0; r < n; r++) if (predicted[r] === labels[r]) correct++;
    return correct / n;
  });
}
