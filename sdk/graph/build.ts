/**
 * Derives the canonical op graph of one step (§3.3, §3.4) from a model plan: loads, the forward
 * pass layer by layer, the loss gradient, the backward pass in reverse, and the optimizer update.
 * A v1 MLP and the same dense layers written as a v2 plan give the same graph.
 *
 * Convolutions are spelled as exact gathers plus matmuls so that every reduction reads two
 * contiguous rows: forward PATCHES(x) · Wtᵀ, weight gradient Gᵀ · PATCHES(x), input gradient
 * PATCHES(dilated, padded G) · (flipped W)ᵀ. Pools gather their windows the same way.
 */
import type { Shape } from '../commit/tensor.ts';
import { fp32Bits } from '../spec/job-spec.ts';
import { convAxis, inferShapes, modelPlan, type Layer, type LayerActivation } from '../spec/model.ts';
import {
  graphRootOf,
  OpKind,
  opsRootOf,
  Space,
  type Graph,
  type GraphSpec,
  type OpDesc,
  type OpInput,
  type OpKindCode,
  type StateTensorInfo,
} from './graph.ts';

// Functions, not constants: graph.ts re-exports this module, so OpKind is not yet defined while it loads.
const actKind = (a: LayerActivation): OpKindCode => ({ relu: OpKind.RELU, tanh: OpKind.TANH, sigmoid: OpKind.SIGMOID })[a];
const actGradKind = (a: LayerActivation): OpKindCode => ({ relu: OpKind.RELU_GRAD, tanh: OpKind.TANH_GRAD, sigmoid: OpKind.SIGMOID_GRAD })[a];

/** PATCHES params (§4.1): window, stride, leading padding, input dilation, output size, layout. */
export interface PatchGeometry {
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly pt: number;
  readonly pl: number;
  readonly dh: number;
  readonly dw: number;
  readonly oh: number;
  readonly ow: number;
  /** 0: rows (b, oh, ow), columns (kh, kw, c), as a conv reads; 1: rows (b, oh, ow, c), columns (kh, kw), as a pool reads. */
  readonly mode: 0 | 1;
}

export const patchParams = (g: PatchGeometry): number[] => [g.kh, g.kw, g.sh, g.sw, g.pt, g.pl, g.dh, g.dw, g.oh, g.ow, g.mode];

export function patchGeometry(params: readonly number[]): PatchGeometry {
  const [kh, kw, sh, sw, pt, pl, dh, dw, oh, ow, mode] = params as [number, number, number, number, number, number, number, number, number, number, number];
  return { kh, kw, sh, sw, pt, pl, dh, dw, oh, ow, mode: mode === 1 ? 1 : 0 };
}

type Forward =
  | { kind: 'dense'; tag: number; x: OpInput }
  | { kind: 'conv'; tag: number; x4: OpInput; patches: OpInput; layer: Extract<Layer, { type: 'conv2d' }>; pt: number; pl: number }
  | { kind: 'act'; act: LayerActivation; pre: OpInput; out: OpInput; prefix: string }
  | { kind: 'pool'; type: 'maxpool2d' | 'avgpool2d'; size: number; x4: OpInput; patches: OpInput; oh: number; ow: number; prefix: string }
  | { kind: 'flatten'; x: OpInput };

export function buildGraph(spec: GraphSpec): Graph {
  const plan = modelPlan(spec.model);
  const { shapes, issues } = inferShapes(plan);
  if (issues.length > 0) throw new RangeError(`invalid model: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  const B = spec.training.batchSize;
  const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

  // Parameters in layer order: Wt_l, b_l for every dense or conv layer (tag l from 1).
  const params: StateTensorInfo[] = [];
  let sample: readonly number[] = plan.input;
  plan.layers.forEach((layer, i) => {
    const tag = params.length / 2 + 1;
    if (layer.type === 'dense') {
      const n = sample[0] as number;
      params.push({ name: `Wt${tag}`, shape: [layer.units, n], init: { tag, fanSum: layer.units + n } });
      params.push({ name: `b${tag}`, shape: [layer.units] });
    } else if (layer.type === 'conv2d') {
      const c = sample[2] as number;
      const [kh, kw] = layer.kernel;
      params.push({ name: `Wt${tag}`, shape: [layer.filters, kh * kw * c], init: { tag, fanSum: kh * kw * (c + layer.filters) } });
      params.push({ name: `b${tag}`, shape: [layer.filters] });
    }
    sample = shapes[i] as readonly number[];
  });
  // State order: the optimizer's slots (SGD: velocities; AdamW: first, then second moments), then parameters (§3.2, §3.5).
  const slots = (prefix: string): StateTensorInfo[] => params.map((p) => ({ name: `${prefix}_${p.name}`, shape: p.shape }));
  const state: StateTensorInfo[] = spec.optimizer.kind === 'adamw' ? [...slots('m'), ...slots('v'), ...params] : [...slots('v'), ...params];
  const P = params.length;
  const paramStart = state.length - P;
  const stateRef = (i: number): OpInput => ({ space: Space.STATE, index: i, shape: (state[i] as StateTensorInfo).shape });
  const paramRef = (p: number): OpInput => stateRef(paramStart + p);

  const ops: OpDesc[] = [];
  const add = (name: string, kind: OpKindCode, shape: Shape, inputs: OpInput[], opParams: number[] = []): OpInput => {
    ops.push({ name, kind, shape, inputs, params: opParams });
    return { space: Space.OP, index: ops.length - 1, shape };
  };
  const reshape = (name: string, x: OpInput, shape: Shape): OpInput =>
    x.shape.length === shape.length && x.shape.every((d, i) => d === shape[i]) ? x : add(name, OpKind.RESHAPE, shape, [x]);

  const x0 = add('load.x', OpKind.LOAD_X, [B, numel(plan.input)], []);
  const out = numel(shapes.at(-1) as readonly number[]);
  const y = add('load.y', OpKind.LOAD_Y, [B, out], []);

  // Forward.
  const forward: Forward[] = [];
  let cur = x0;
  let shape: readonly number[] = plan.input;
  let prefix = 'input';
  let tag = 0;
  plan.layers.forEach((layer, i) => {
    const next = shapes[i] as readonly number[];
    switch (layer.type) {
      case 'dense': {
        tag++;
        prefix = `layer${tag}`;
        const x = reshape(`${prefix}.input`, cur, [B, shape[0] as number]);
        const z = add(`${prefix}.matmul`, OpKind.MATMUL, [B, layer.units], [x, paramRef(2 * (tag - 1))]);
        cur = add(`${prefix}.bias`, OpKind.BIAS_ADD, [B, layer.units], [z, paramRef(2 * (tag - 1) + 1)]);
        forward.push({ kind: 'dense', tag, x });
        break;
      }
      case 'conv2d': {
        tag++;
        prefix = `layer${tag}`;
        const [h, w, c] = shape as [number, number, number];
        const [oh, ow, f] = next as [number, number, number];
        const [kh, kw] = layer.kernel;
        const pt = convAxis(h, kh, layer.stride, layer.padding).padBefore;
        const pl = convAxis(w, kw, layer.stride, layer.padding).padBefore;
        const x4 = reshape(`${prefix}.input`, cur, [B, h, w, c]);
        const geometry: PatchGeometry = { kh, kw, sh: layer.stride, sw: layer.stride, pt, pl, dh: 1, dw: 1, oh, ow, mode: 0 };
        const patches = add(`${prefix}.patches`, OpKind.PATCHES, [B * oh * ow, kh * kw * c], [x4], patchParams(geometry));
        const z = add(`${prefix}.conv`, OpKind.MATMUL, [B * oh * ow, f], [patches, paramRef(2 * (tag - 1))]);
        cur = add(`${prefix}.bias`, OpKind.BIAS_ADD, [B * oh * ow, f], [z, paramRef(2 * (tag - 1) + 1)]);
        forward.push({ kind: 'conv', tag, x4, patches, layer, pt, pl });
        break;
      }
      case 'maxpool2d':
      case 'avgpool2d': {
        const [h, w, c] = shape as [number, number, number];
        const [oh, ow] = next as [number, number, number];
        const s = layer.size;
        const name = `${prefix}.${layer.type === 'maxpool2d' ? 'maxpool' : 'avgpool'}`;
        const x4 = reshape(`${name}.input`, cur, [B, h, w, c]);
        const geometry: PatchGeometry = { kh: s, kw: s, sh: s, sw: s, pt: 0, pl: 0, dh: 1, dw: 1, oh, ow, mode: 1 };
        const patches = add(`${name}.windows`, OpKind.PATCHES, [B * oh * ow * c, s * s], [x4], patchParams(geometry));
        cur = add(name, layer.type === 'maxpool2d' ? OpKind.ROW_MAX : OpKind.ROW_MEAN, [B * oh * ow * c], [patches]);
        forward.push({ kind: 'pool', type: layer.type, size: s, x4, patches, oh, ow, prefix: name });
        break;
      }
      case 'flatten':
        forward.push({ kind: 'flatten', x: cur });
        cur = reshape(`${prefix}.flatten`, cur, [B, next[0] as number]);
        break;
      default: {
        const pre = cur;
        cur = add(`${prefix}.${layer.type}`, actKind(layer.type), pre.shape, [pre]);
        forward.push({ kind: 'act', act: layer.type, pre, out: cur, prefix });
      }
    }
    shape = next;
  });

  // Loss gradient at the logits (or outputs).
  const logits = cur;
  let grad: OpInput;
  if (spec.model.loss === 'softmax-xent') {
    const m = add('loss.max', OpKind.ROW_MAX, [B], [logits]);
    const d = add('loss.shift', OpKind.SUB_ROW, [B, out], [logits, m]);
    const e = add('loss.exp', OpKind.EXP, [B, out], [d]);
    const s = add('loss.sum', OpKind.ROW_SUM, [B], [e]);
    const p = add('loss.softmax', OpKind.DIV_ROW, [B, out], [e, s]);
    grad = add('loss.grad', OpKind.SCALED_DIFF, [B, out], [p, y], [fp32Bits(1 / B)]);
  } else {
    grad = add('loss.grad', OpKind.SCALED_DIFF, [B, out], [logits, y], [fp32Bits(2 / (B * out))]);
  }

  // Backward, in reverse; a layer's input gradient is needed only if a parameter layer precedes it.
  const grads: OpInput[] = new Array<OpInput>(P);
  for (let i = forward.length - 1; i >= 0; i--) {
    const f = forward[i] as Forward;
    const needsInputGrad = forward.slice(0, i).some((g) => g.kind === 'dense' || g.kind === 'conv');
    // Layers before the first parameter layer (a leading flatten, pool or activation) need no gradient.
    if (!needsInputGrad && f.kind !== 'dense' && f.kind !== 'conv') continue;
    switch (f.kind) {
      case 'dense': {
        const p = `layer${f.tag}`;
        const [, n] = f.x.shape as [number, number];
        const u = grad.shape[1] as number;
        const gt = add(`${p}.grad.t`, OpKind.TRANSPOSE, [u, B], [grad]);
        grads[2 * (f.tag - 1) + 1] = add(`${p}.grad.b`, OpKind.ROW_SUM, [u], [gt]);
        const xt = add(`${p}.input.t`, OpKind.TRANSPOSE, [n, B], [f.x]);
        grads[2 * (f.tag - 1)] = add(`${p}.grad.w`, OpKind.MATMUL, [u, n], [gt, xt]);
        if (needsInputGrad) {
          const w = add(`${p}.w`, OpKind.TRANSPOSE, [n, u], [paramRef(2 * (f.tag - 1))]);
          grad = add(`${p}.grad.in`, OpKind.MATMUL, [B, n], [grad, w]);
        }
        break;
      }
      case 'conv': {
        const p = `layer${f.tag}`;
        const [, h, w, c] = f.x4.shape as [number, number, number, number];
        const [rows, r] = f.patches.shape as [number, number];
        const { filters, kernel, stride } = f.layer;
        const [kh, kw] = kernel;
        const g2 = reshape(`${p}.grad.rows`, grad, [rows, filters]);
        const gt = add(`${p}.grad.t`, OpKind.TRANSPOSE, [filters, rows], [g2]);
        grads[2 * (f.tag - 1) + 1] = add(`${p}.grad.b`, OpKind.ROW_SUM, [filters], [gt]);
        const pt = add(`${p}.patches.t`, OpKind.TRANSPOSE, [r, rows], [f.patches]);
        grads[2 * (f.tag - 1)] = add(`${p}.grad.w`, OpKind.MATMUL, [filters, r], [gt, pt]);
        if (needsInputGrad) {
          // dX = PATCHES(G dilated by the stride, padded by k - 1 - pad) · Wfᵀ, Wf[c, (kh', kw', f)] = W[f, KH-1-kh', KW-1-kw', c].
          const w4 = add(`${p}.w.4d`, OpKind.RESHAPE, [filters, kh, kw, c], [paramRef(2 * (f.tag - 1))]);
          const wf4 = add(`${p}.w.flip`, OpKind.PERMUTE, [c, kh, kw, filters], [w4], [4, 3, 1, 2, 0, 0b0110]);
          const wf = add(`${p}.w.flip.rows`, OpKind.RESHAPE, [c, kh * kw * filters], [wf4]);
          const outH = convAxis(h, kh, stride, f.layer.padding).out;
          const outW = convAxis(w, kw, stride, f.layer.padding).out;
          const g4 = reshape(`${p}.grad.4d`, g2, [B, outH, outW, filters]);
          const geometry: PatchGeometry = { kh, kw, sh: 1, sw: 1, pt: kh - 1 - f.pt, pl: kw - 1 - f.pl, dh: stride, dw: stride, oh: h, ow: w, mode: 0 };
          const gp = add(`${p}.grad.patches`, OpKind.PATCHES, [B * h * w, kh * kw * filters], [g4], patchParams(geometry));
          grad = add(`${p}.grad.in`, OpKind.MATMUL, [B * h * w, c], [gp, wf]);
        }
        break;
      }
      case 'pool': {
        const [, , , c] = f.x4.shape as [number, number, number, number];
        const g1 = reshape(`${f.prefix}.grad.rows`, grad, [B * f.oh * f.ow * c]);
        const geometry = [f.size, f.size, f.oh, f.ow];
        grad =
          f.type === 'maxpool2d'
            ? add(`${f.prefix}.grad`, OpKind.MAXPOOL_GRAD, f.x4.shape, [f.patches, g1], geometry)
            : add(`${f.prefix}.grad`, OpKind.AVGPOOL_GRAD, f.x4.shape, [g1], geometry);
        break;
      }
      case 'flatten':
        grad = reshape('flatten.grad', grad, f.x.shape);
        break;
      case 'act': {
        const g = reshape(`${f.prefix}.grad.${f.act}`, grad, f.pre.shape);
        // relu's derivative reads the pre-activation; tanh's and sigmoid's read the activation.
        grad = add(`${f.prefix}.grad.act`, actGradKind(f.act), f.pre.shape, [g, f.act === 'relu' ? f.pre : f.out]);
        break;
      }
    }
  }

  const o = spec.optimizer;
  if (o.kind === 'adamw') {
    // m' and v' first, then the directions u = m̂ / (sqrt(v̂) + ε), then the next state in state
    // order: exact copies of m' and v' (the last S ops must output it) and θ'.
    const [b1, b2] = [Math.fround(o.beta1), Math.fround(o.beta2)];
    const m = params.map((p, i) => add(`update.m_${p.name}`, OpKind.ADAM_M, p.shape, [stateRef(i), grads[i] as OpInput], [fp32Bits(b1), fp32Bits(1 - b1)]));
    const v = params.map((p, i) => add(`update.v_${p.name}`, OpKind.ADAM_V, p.shape, [stateRef(P + i), grads[i] as OpInput], [fp32Bits(b2), fp32Bits(1 - b2)]));
    const u = params.map((p, i) => add(`update.u_${p.name}`, OpKind.ADAM_DIR, p.shape, [m[i] as OpInput, v[i] as OpInput], [fp32Bits(o.epsilon)]));
    params.forEach((p, i) => add(`next.m_${p.name}`, OpKind.RESHAPE, p.shape, [m[i] as OpInput]));
    params.forEach((p, i) => add(`next.v_${p.name}`, OpKind.RESHAPE, p.shape, [v[i] as OpInput]));
    params.forEach((p, i) => add(`update.${p.name}`, OpKind.ADAMW_STEP, p.shape, [paramRef(i), u[i] as OpInput], [fp32Bits(o.weightDecay)]));
  } else {
    const mu = fp32Bits(o.momentum);
    const eta = fp32Bits(o.learningRate);
    const velocities = params.map((p, i) => add(`update.v_${p.name}`, OpKind.SGD_VELOCITY, p.shape, [stateRef(i), grads[i] as OpInput], [mu]));
    params.forEach((p, i) => add(`update.${p.name}`, OpKind.SGD_WEIGHT, p.shape, [paramRef(i), velocities[i] as OpInput], [eta]));
  }

  return { ops, state, root: graphRootOf(ops, state.length), opsRoot: opsRootOf(ops), logits: logits.index, paramStart };
}
