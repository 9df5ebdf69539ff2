/**
 * The loss of a committed checkpoint on labelled records, computed by the explorer itself: a
 * float64 forward pass of the job's model, an MLP (v1) or a layer graph (v2: dense, conv2d, pools,
 * flatten, activations; docs/PROTOCOL.md §3.4), from the parameters at the end of the state (the
 * optimizer's slots come first: §3.2), and the job's own loss. Nobody has to trust a solver's word
 * for it: anyone with the checkpoint (checked against its on-chain root) and the records gets the
 * same number.
 */
import type { Tensor } from '../sdk/commit/tensor.ts';
import { recordBytes, type JobSpec } from '../sdk/spec/job-spec.ts';
import { convAxis, inferShapes, inputWidth, modelPlan, outputWidth, type Layer, type ModelPlan } from '../sdk/spec/model.ts';

const ACTIVATIONS: Readonly<Record<string, (x: number) => number>> = {
  relu: (x) => (x > 0 ? x : 0),
  tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
};

/** One record's activations through `plan` (shapes from inferShapes), with parameters `params` (Wt_l, b_l per parameter layer). */
function forward(plan: ModelPlan, shapes: readonly (readonly number[])[], params: readonly Tensor[], input: Float64Array): Float64Array {
  let x = input;
  let p = 0;
  plan.layers.forEach((layer: Layer, i) => {
    const inShape = (i === 0 ? plan.input : shapes[i - 1]) as readonly number[];
    const outShape = shapes[i] as readonly number[];
    const next = new Float64Array(outShape.reduce((a, b) => a * b, 1));
    if (layer.type === 'dense' || layer.type === 'conv2d') {
      const w = (params[p++] as Tensor).data;
      const b = (params[p++] as Tensor).data;
      if (layer.type === 'dense') {
        const nIn = x.length;
        for (let o = 0; o < layer.units; o++) {
          let s = b[o] as number;
          for (let j = 0; j < nIn; j++) s += (w[o * nIn + j] as number) * (x[j] as number);
          next[o] = s;
        }
      } else {
        const [h, wd, c] = inShape as [number, number, number];
        const [oh, ow, f] = outShape as [number, number, number];
        const [kh, kw] = layer.kernel;
        const pt = convAxis(h, kh, layer.stride, layer.padding).padBefore;
        const pl = convAxis(wd, kw, layer.stride, layer.padding).padBefore;
        const r = kh * kw * c;
        for (let oy = 0; oy < oh; oy++)
          for (let ox = 0; ox < ow; ox++)
            for (let k = 0; k < f; k++) {
              let s = b[k] as number;
              for (let ky = 0; ky < kh; ky++) {
                const y = oy * layer.stride - pt + ky;
                if (y < 0 || y >= h) continue;
                for (let kx = 0; kx < kw; kx++) {
                  const xx = ox * layer.stride - pl + kx;
                  if (xx < 0 || xx >= wd) continue;
                  for (let ch = 0; ch < c; ch++) s += (w[k * r + (ky * kw + kx) * c + ch] as number) * (x[(y * wd + xx) * c + ch] as number);
                }
              }
              next[(oy * ow + ox) * f + k] = s;
            }
      }
    } else if (layer.type === 'maxpool2d' || layer.type === 'avgpool2d') {
      const [, wd, c] = inShape as [number, number, number];
      const [oh, ow] = outShape as [number, number, number];
      const q = layer.size;
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++)
          for (let ch = 0; ch < c; ch++) {
            let acc = layer.type === 'maxpool2d' ? -Infinity : 0;
            for (let ky = 0; ky < q; ky++)
              for (let kx = 0; kx < q; kx++) {
                const v = x[((oy * q + ky) * wd + ox * q + kx) * c + ch] as number;
                acc = layer.type === 'maxpool2d' ? Math.max(acc, v) : acc + v;
              }
            next[(oy * ow + ox) * c + ch] = layer.type === 'maxpool2d' ? acc : acc / (q * q);
          }
    } else if (layer.type === 'flatten') {
      next.set(x);
    } else {
      const act = ACTIVATIONS[layer.type] as (x: number) => number;
      for (let j = 0; j < x.length; j++) next[j] = act(x[j] as number);
    }
    x = next;
  });
  return x;
}

/** Mean loss of `state` on `records` (back to back, `recordBytes(spec)` each) under the job's loss. */
export function checkpointLoss(spec: Pick<JobSpec, 'model' | 'data'>, state: readonly Tensor[], records: Uint8Array): number {
  const plan = modelPlan(spec.model);
  const { shapes, issues } = inferShapes(plan);
  if (issues.length > 0) throw new RangeError(`the job's model is invalid: ${issues[0]?.message ?? ''}`);
  // Wt_l [out, in] and b_l [out] per parameter layer, at the end of the state.
  const expected: number[] = [];
  plan.layers.forEach((layer, i) => {
    const inShape = (i === 0 ? plan.input : shapes[i - 1]) as readonly number[];
    if (layer.type === 'dense') expected.push(layer.units * inShape.reduce((a, b) => a * b, 1), layer.units);
    if (layer.type === 'conv2d') expected.push(layer.filters * layer.kernel[0] * layer.kernel[1] * (inShape[2] as number), layer.filters);
  });
  const params = state.slice(state.length - expected.length);
  if (params.length !== expected.length || params.some((t, i) => t.data.length !== expected[i]))
    throw new RangeError(`the checkpoint (${state.length} tensors) does not hold the parameters of the job's model (${expected.length} tensors)`);
  const size = recordBytes(spec);
  const inputs = inputWidth(plan);
  const outputs = outputWidth(plan);
  const n = Math.floor(records.length / size);
  if (n === 0) throw new RangeError('no records to compute a loss on');
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  let total = 0;
  for (let r = 0; r < n; r++) {
    const base = r * size;
    const x = new Float64Array(inputs);
    for (let f = 0; f < inputs; f++) x[f] = spec.data.featureEncoding === 'u8-unit' ? (records[base + f] as number) / 255 : view.getFloat32(base + 4 * f, true);
    const h = forward(plan, shapes, params, x);
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
