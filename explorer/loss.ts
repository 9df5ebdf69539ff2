/**
 * The loss of a committed checkpoint on labelled records, computed by the explorer itself: a
 * float64 forward pass of the job's MLP (docs/PROTOCOL.md §2.5: the state is the optimizer's
 * momenta, then the parameters, W1 [out, in], b1, W2, b2, …) and the job's own loss. Nobody has
 * to trust a solver's word for it: anyone with the checkpoint (checked against its on-chain root)
 * and the records gets the same number.
 */
import type { Tensor } from '../sdk/commit/tensor.ts';
import { recordBytes, type JobSpec } from '../sdk/spec/job-spec.ts';

/** Mean loss of `state` on `records` (back to back, `recordBytes(spec)` each) under the job's loss. */
export function checkpointLoss(spec: Pick<JobSpec, 'model' | 'data'>, state: readonly Tensor[], records: Uint8Array): number {
  if (!('activation' in spec.model)) throw new RangeError('the explorer computes losses of version-1 (MLP) jobs only');
  const model = spec.model;
  const size = recordBytes(spec);
  const layers = model.layers;
  const L = layers.length - 1;
  const inputs = layers[0] as number;
  const outputs = layers[L] as number;
  const n = Math.floor(records.length / size);
  if (n === 0) throw new RangeError('no records to compute a loss on');
  const params = state.slice(state.length / 2);
  if (params.length !== 2 * L) throw new RangeError(`a ${layers.join('-')} MLP has ${4 * L} state tensors, the checkpoint ${state.length}`);
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  const act = model.activation === 'relu' ? (x: number) => (x > 0 ? x : 0) : model.activation === 'tanh' ? Math.tanh : (x: number) => 1 / (1 + Math.exp(-x));
  let total = 0;
  let h: Float64Array;
  for (let r = 0; r < n; r++) {
    const base = r * size;
    h = new Float64Array(inputs);
    for (let f = 0; f < inputs; f++) h[f] = spec.data.featureEncoding === 'u8-unit' ? (records[base + f] as number) / 255 : view.getFloat32(base + 4 * f, true);
    for (let l = 0; l < L; l++) {
      const w = (params[2 * l] as Tensor).data;
      const b = (params[2 * l + 1] as Tensor).data;
      const nIn = layers[l] as number;
      const nOut = layers[l + 1] as number;
      const next = new Float64Array(nOut);
      for (let o = 0; o < nOut; o++) {
        let s = b[o] as number;
        const row = o * nIn;
        for (let i = 0; i < nIn; i++) s += (w[row + i] as number) * (h[i] as number);
        next[o] = l < L - 1 ? act(s) : s;
      }
      h = next;
    }
    const labelAt = base + (spec.data.featureEncoding === 'u8-unit' ? inputs : 4 * inputs);
    if (spec.model.loss === 'softmax-xent') {
      let max = -Infinity;
      for (let o = 0; o < outputs; o++) max = Math.max(max, h[o] as number);
      let sum = 0;
      for (let o = 0; o < outputs; o++) sum += Math.exp((h[o] as number) - max);
      const label = records[labelAt] as number;
      total += Math.log(sum) + max - (h[label] as number);
    } else {
      let s = 0;
      for (let o = 0; o < outputs; o++) {
        const d = (h[o] as number) - view.getFloat32(labelAt + 4 * o, true);
        s += d * d;
      }
      total += s / outputs;
    }
  }
  return total / n;
}
