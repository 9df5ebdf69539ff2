/**
 * Models as layer graphs (spec v2, docs/PROTOCOL.md §3.4): an input shape and an ordered list of
 * typed layers, with shape inference and validation. A v1 MLP (`layers` sizes + one activation)
 * is the same thing written shorter: `modelPlan` turns both into one plan, which the graph
 * builder, the initial state and the data loads read.
 */
import * as z from 'zod';
import { SpecError } from '../errors.ts';

export const LAYER_ACTIVATIONS = ['relu', 'tanh', 'sigmoid'] as const;
export type LayerActivation = (typeof LAYER_ACTIVATIONS)[number];

export type Layer =
  | { readonly type: 'dense'; readonly units: number }
  | {
      readonly type: 'conv2d';
      readonly filters: number;
      readonly kernel: readonly [number, number];
      readonly stride: number;
      readonly padding: 'valid' | 'same';
    }
  | { readonly type: 'maxpool2d' | 'avgpool2d'; readonly size: number }
  | { readonly type: 'flatten' }
  | { readonly type: LayerActivation };

/** A model: per-record input shape ([n] or [H, W, C], NHWC) and the layers in order. */
export interface ModelPlan {
  readonly input: readonly number[];
  readonly layers: readonly Layer[];
}

/** The shape of one record's activations after a layer: [n] (flat) or [H, W, C]. */
export type SampleShape = readonly number[];

const size = (max: number) => z.number().int('must be an integer').min(1, 'must be at least 1').max(max, `must be at most ${max}`);

export const layerSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('dense'), units: size(1 << 20) }),
  z.strictObject({
    type: z.literal('conv2d'),
    filters: size(4096),
    kernel: z.union([size(32), z.tuple([size(32), size(32)])]).transform((k): readonly [number, number] => (typeof k === 'number' ? [k, k] : k)),
    stride: size(16).default(1),
    padding: z.enum(['valid', 'same']).default('valid'),
  }),
  z.strictObject({ type: z.enum(['maxpool2d', 'avgpool2d']), size: size(16) }),
  z.strictObject({ type: z.literal('flatten') }),
  z.strictObject({ type: z.enum(LAYER_ACTIVATIONS) }),
]);

/** Output spatial size and the leading padding of a conv along one axis (TensorFlow's convention). */
export function convAxis(n: number, k: number, stride: number, padding: 'valid' | 'same'): { out: number; padBefore: number } {
  if (padding === 'valid') return { out: Math.floor((n - k) / stride) + 1, padBefore: 0 };
  const out = Math.ceil(n / stride);
  const total = Math.max((out - 1) * stride + k - n, 0);
  return { out, padBefore: Math.floor(total / 2) };
}

/**
 * The per-record shape after every layer (index i: after layer i), or the problems that make the
 * model invalid, each with the path of the layer it concerns.
 */
export function inferShapes(model: ModelPlan): { shapes: SampleShape[]; issues: { path: string; message: string }[] } {
  const issues: { path: string; message: string }[] = [];
  const shapes: SampleShape[] = [];
  let shape: SampleShape = model.input;
  model.layers.forEach((layer, i) => {
    const path = `model.layers.${i}`;
    const fail = (message: string): void => {
      issues.push({ path, message });
    };
    switch (layer.type) {
      case 'dense':
        if (shape.length !== 1) fail(`a dense layer needs flat input, got [${shape.join(', ')}]: add a flatten layer before it`);
        shape = [layer.units];
        break;
      case 'conv2d':
      case 'maxpool2d':
      case 'avgpool2d': {
        if (shape.length !== 3) {
          fail(`a ${layer.type} layer needs [H, W, C] input, got [${shape.join(', ')}]`);
          break;
        }
        const [h, w, c] = shape as [number, number, number];
        const [kh, kw] = layer.type === 'conv2d' ? layer.kernel : [layer.size, layer.size];
        const stride = layer.type === 'conv2d' ? layer.stride : layer.size;
        const padding = layer.type === 'conv2d' ? layer.padding : 'valid';
        if (padding === 'valid' && (kh > h || kw > w)) {
          fail(`window ${kh}x${kw} is larger than the input ${h}x${w}`);
          break;
        }
        const oh = convAxis(h, kh, stride, padding).out;
        const ow = convAxis(w, kw, stride, padding).out;
        shape = [oh, ow, layer.type === 'conv2d' ? layer.filters : c];
        break;
      }
      case 'flatten':
        if (shape.length === 1) fail('flatten needs [H, W, C] input; the input is already flat');
        shape = [shape.reduce((a, b) => a * b, 1)];
        break;
      default:
        break; // activations keep the shape
    }
    shapes.push(shape);
  });
  return { shapes, issues };
}

/** The output width of a model (the classes of softmax-xent, the targets of mse). */
export function outputWidth(model: ModelPlan): number {
  const { shapes } = inferShapes(model);
  return (shapes.at(-1) ?? model.input).reduce((a, b) => a * b, 1);
}

/** The values per record of the model's input. */
export function inputWidth(model: ModelPlan): number {
  return model.input.reduce((a, b) => a * b, 1);
}

/** A v1 MLP as a layer plan: dense layers with the activation between them. */
export function mlpPlan(sizes: readonly number[], activation: LayerActivation): ModelPlan {
  const layers: Layer[] = [];
  for (let l = 1; l < sizes.length; l++) {
    layers.push({ type: 'dense', units: sizes[l] as number });
    if (l < sizes.length - 1) layers.push({ type: activation });
  }
  return { input: [sizes[0] as number], layers };
}

/** The plan of either spec version's model section. */
export function modelPlan(model: { readonly layers: readonly number[]; readonly activation: LayerActivation } | ModelPlan): ModelPlan {
  if ('input' in model) return model;
  return mlpPlan(model.layers, model.activation);
}

/** Throw a SpecError when the plan has invalid layers (used where a plan is built from code). */
export function assertValidPlan(model: ModelPlan): void {
  const { issues } = inferShapes(model);
  if (issues.length > 0) throw new SpecError(issues);
}

/** One reduction of the graph a model defines: which layer, what it sums, and how many terms. */
export interface Reduction {
  readonly layer: number;
  readonly what: string;
  readonly length: number;
}

/**
 * The reductions (dot products and row sums) of one training step of `model` with batch `batch`:
 * forward, weight and bias gradients, and input gradients. The spec caps their length (§4).
 */
export function reductionLengths(model: ModelPlan, batch: number): Reduction[] {
  const { shapes } = inferShapes(model);
  const out: Reduction[] = [];
  let shape: SampleShape = model.input;
  model.layers.forEach((layer, i) => {
    const next = shapes[i] ?? shape;
    if (layer.type === 'dense') {
      const n = shape[0] ?? 0;
      out.push({ layer: i, what: 'the forward dot product', length: n });
      out.push({ layer: i, what: 'the weight gradient', length: batch });
      out.push({ layer: i, what: 'the input gradient', length: layer.units });
    } else if (layer.type === 'conv2d') {
      const [oh, ow] = next as [number, number, number];
      const c = shape[2] ?? 0;
      const [kh, kw] = layer.kernel;
      out.push({ layer: i, what: 'the forward dot product (kernel x channels)', length: kh * kw * c });
      out.push({ layer: i, what: 'the weight gradient (batch x output pixels)', length: batch * oh * ow });
      out.push({ layer: i, what: 'the input gradient (kernel x filters)', length: kh * kw * layer.filters });
    } else if (layer.type === 'avgpool2d') {
      out.push({ layer: i, what: 'the window mean', length: layer.size * layer.size });
    }
    shape = next;
  });
  return out;
}

/** Trainable parameters and forward multiply-adds per record of a model (for cost estimates). */
export function modelCost(model: ModelPlan): { parameters: number; macsPerRecord: number } {
  const { shapes } = inferShapes(model);
  let parameters = 0;
  let macsPerRecord = 0;
  let shape: SampleShape = model.input;
  model.layers.forEach((layer, i) => {
    const next = shapes[i] ?? shape;
    if (layer.type === 'dense') {
      const n = shape[0] ?? 0;
      parameters += n * layer.units + layer.units;
      macsPerRecord += n * layer.units;
    } else if (layer.type === 'conv2d') {
      const r = layer.kernel[0] * layer.kernel[1] * (shape[2] ?? 0);
      parameters += layer.filters * r + layer.filters;
      macsPerRecord += (next[0] ?? 0) * (next[1] ?? 0) * layer.filters * r;
    }
    shape = next;
  });
  return { parameters, macsPerRecord };
}

/** A one-line description of a model, e.g. "MLP 784-128-10 relu" or "conv2d 6x5x5 → relu → … → dense 10". */
export function describeModel(model: { readonly layers: readonly number[]; readonly activation: LayerActivation } | ModelPlan): string {
  if (!('input' in model)) return `MLP ${model.layers.join('-')} ${model.activation}`;
  const part = (l: Layer): string => {
    switch (l.type) {
      case 'dense':
        return `dense ${l.units}`;
      case 'conv2d':
        return `conv2d ${l.filters}x${l.kernel[0]}x${l.kernel[1]}${l.stride > 1 ? `/${l.stride}` : ''}${l.padding === 'same' ? ' same' : ''}`;
      case 'maxpool2d':
      case 'avgpool2d':
        return `${l.type} ${l.size}`;
      default:
        return l.type;
    }
  };
  return `[${model.input.join('x')}] ${model.layers.map(part).join(' → ')}`;
}
