/**
 * The canonical op graph of one training step (docs/PROTOCOL.md §3), derived from a job spec.
 * The solver executes exactly this list; verifiers and the chain judge its elements one by one.
 */
import { bytesToHex, encodeAbiParameters, hexToBytes, type Hex } from 'viem';
import { merkleRoot } from '../commit/merkle.ts';
import { sha256 } from '../commit/sha256.ts';
import type { Shape } from '../commit/tensor.ts';
import { fp32Bits, type JobSpec } from '../spec/job-spec.ts';

/** Op kind codes (§4.1). */
export const OpKind = {
  LOAD_X: 1,
  LOAD_Y: 2,
  MATMUL: 3,
  BIAS_ADD: 4,
  RELU: 5,
  TANH: 6,
  SIGMOID: 7,
  RELU_GRAD: 8,
  TANH_GRAD: 9,
  SIGMOID_GRAD: 10,
  ROW_MAX: 11,
  SUB_ROW: 12,
  EXP: 13,
  ROW_SUM: 14,
  DIV_ROW: 15,
  SCALED_DIFF: 16,
  TRANSPOSE: 17,
  SGD_VELOCITY: 18,
  SGD_WEIGHT: 19,
} as const;
export type OpKindCode = (typeof OpKind)[keyof typeof OpKind];

export const OP_KIND_NAMES: Readonly<Record<OpKindCode, string>> = Object.fromEntries(Object.entries(OpKind).map(([name, code]) => [code, name])) as Record<
  OpKindCode,
  string
>;

/** Where an op input comes from: a tensor of the step's input state, or an earlier op's output. */
export const Space = { STATE: 0, OP: 1 } as const;
export type SpaceCode = (typeof Space)[keyof typeof Space];

export interface OpInput {
  readonly space: SpaceCode;
  readonly index: number;
  readonly shape: Shape;
}

export interface OpDesc {
  readonly kind: OpKindCode;
  readonly shape: Shape;
  readonly inputs: readonly OpInput[];
  /** fp32 bit patterns. */
  readonly params: readonly number[];
  /** A human-readable name (not committed), e.g. "layer2.matmul". */
  readonly name: string;
}

export interface StateTensorInfo {
  readonly name: string;
  readonly shape: Shape;
}

export interface Graph {
  readonly ops: readonly OpDesc[];
  /** The state's tensors in state order (§3.2). */
  readonly state: readonly StateTensorInfo[];
  /** graphRoot (§3.1). */
  readonly root: Hex;
  /** MerkleRoot over the op leaves, which graphRoot commits to with the counts. */
  readonly opsRoot: Hex;
}

export const OP_DESC_ABI = [
  {
    type: 'tuple',
    components: [
      { name: 'kind', type: 'uint8' },
      { name: 'shape', type: 'uint32[]' },
      {
        name: 'inputs',
        type: 'tuple[]',
        components: [
          { name: 'space', type: 'uint8' },
          { name: 'index', type: 'uint32' },
          { name: 'shape', type: 'uint32[]' },
        ],
      },
      { name: 'params', type: 'uint32[]' },
    ],
  },
] as const;

export function encodeOpDesc(op: OpDesc): Hex {
  return encodeAbiParameters(OP_DESC_ABI, [
    { kind: op.kind, shape: [...op.shape], inputs: op.inputs.map((i) => ({ space: i.space, index: i.index, shape: [...i.shape] })), params: [...op.params] },
  ]);
}

/** H(abi.encode(OpDesc)): the op's leaf in graphRoot. */
export function opLeaf(op: OpDesc): Uint8Array {
  return sha256(hexToBytes(encodeOpDesc(op)));
}

/** MerkleRoot over the op leaves, in graph order. */
export function opsRootOf(ops: readonly OpDesc[]): Hex {
  const leaves = new Uint8Array(ops.length * 32);
  ops.forEach((op, i) => {
    leaves.set(opLeaf(op), i * 32);
  });
  return bytesToHex(merkleRoot(leaves));
}

/** graphRoot = H(opCount (u32) || stateCount (u32) || opsRoot): the counts are committed too (§3.1). */
export function graphRootOf(ops: readonly OpDesc[], stateCount: number): Hex {
  const buf = new Uint8Array(40);
  const view = new DataView(buf.buffer);
  view.setUint32(0, ops.length);
  view.setUint32(4, stateCount);
  buf.set(hexToBytes(opsRootOf(ops)), 8);
  return bytesToHex(sha256(buf));
}

/** The parts of a spec the graph depends on. */
export type GraphSpec = Pick<JobSpec, 'model' | 'optimizer' | 'training'>;

/** Derive the canonical graph of one step (§3.3). */
export function buildGraph(spec: GraphSpec): Graph {
  const layers = spec.model.layers;
  const L = layers.length - 1;
  const B = spec.training.batchSize;
  const dim = (l: number): number => layers[l] as number;

  // State order: momentum slots, then parameters, each as Wt_1, b_1, ..., Wt_L, b_L.
  const params: StateTensorInfo[] = [];
  for (let l = 1; l <= L; l++) {
    params.push({ name: `Wt${l}`, shape: [dim(l), dim(l - 1)] });
    params.push({ name: `b${l}`, shape: [dim(l)] });
  }
  const state: StateTensorInfo[] = [...params.map((p) => ({ name: `v_${p.name}`, shape: p.shape })), ...params];
  const P = params.length;
  const stateRef = (i: number): OpInput => ({ space: Space.STATE, index: i, shape: (state[i] as StateTensorInfo).shape });
  const paramRef = (p: number): OpInput => stateRef(P + p);

  const ops: OpDesc[] = [];
  const add = (name: string, kind: OpKindCode, shape: Shape, inputs: OpInput[], opParams: number[] = []): OpInput => {
    ops.push({ name, kind, shape, inputs, params: opParams });
    return { space: Space.OP, index: ops.length - 1, shape };
  };

  const x0 = add('load.x', OpKind.LOAD_X, [B, dim(0)], []);
  const y = add('load.y', OpKind.LOAD_Y, [B, dim(L)], []);

  const act = { relu: OpKind.RELU, tanh: OpKind.TANH, sigmoid: OpKind.SIGMOID }[spec.model.activation];
  const xs: OpInput[] = [x0]; // X_0 .. X_{L-1}
  const pre: OpInput[] = []; // A_1 .. A_L (index l-1)
  for (let l = 1; l <= L; l++) {
    const z = add(`layer${l}.matmul`, OpKind.MATMUL, [B, dim(l)], [xs[l - 1] as OpInput, paramRef(2 * (l - 1))]);
    const a = add(`layer${l}.bias`, OpKind.BIAS_ADD, [B, dim(l)], [z, paramRef(2 * (l - 1) + 1)]);
    pre.push(a);
    if (l < L) xs.push(add(`layer${l}.${spec.model.activation}`, act, [B, dim(l)], [a]));
  }

  const logits = pre[L - 1] as OpInput;
  let grad: OpInput;
  if (spec.model.loss === 'softmax-xent') {
    const m = add('loss.max', OpKind.ROW_MAX, [B], [logits]);
    const d = add('loss.shift', OpKind.SUB_ROW, [B, dim(L)], [logits, m]);
    const e = add('loss.exp', OpKind.EXP, [B, dim(L)], [d]);
    const s = add('loss.sum', OpKind.ROW_SUM, [B], [e]);
    const p = add('loss.softmax', OpKind.DIV_ROW, [B, dim(L)], [e, s]);
    grad = add('loss.grad', OpKind.SCALED_DIFF, [B, dim(L)], [p, y], [fp32Bits(1 / B)]);
  } else {
    grad = add('loss.grad', OpKind.SCALED_DIFF, [B, dim(L)], [logits, y], [fp32Bits(2 / (B * dim(L)))]);
  }

  const actGrad = { relu: OpKind.RELU_GRAD, tanh: OpKind.TANH_GRAD, sigmoid: OpKind.SIGMOID_GRAD }[spec.model.activation];
  const grads: OpInput[] = new Array<OpInput>(P);
  for (let l = L; l >= 1; l--) {
    const gt = add(`layer${l}.grad.t`, OpKind.TRANSPOSE, [dim(l), B], [grad]);
    grads[2 * (l - 1) + 1] = add(`layer${l}.grad.b`, OpKind.ROW_SUM, [dim(l)], [gt]);
    const xt = add(`layer${l}.input.t`, OpKind.TRANSPOSE, [dim(l - 1), B], [xs[l - 1] as OpInput]);
    grads[2 * (l - 1)] = add(`layer${l}.grad.w`, OpKind.MATMUL, [dim(l), dim(l - 1)], [gt, xt]);
    if (l > 1) {
      const w = add(`layer${l}.w`, OpKind.TRANSPOSE, [dim(l - 1), dim(l)], [paramRef(2 * (l - 1))]);
      const dx = add(`layer${l - 1}.grad.out`, OpKind.MATMUL, [B, dim(l - 1)], [grad, w]);
      // relu's derivative reads the pre-activation; tanh's and sigmoid's read the activation.
      const second = spec.model.activation === 'relu' ? (pre[l - 2] as OpInput) : (xs[l - 1] as OpInput);
      grad = add(`layer${l - 1}.grad.act`, actGrad, [B, dim(l - 1)], [dx, second]);
    }
  }

  const mu = fp32Bits(spec.optimizer.momentum);
  const eta = fp32Bits(spec.optimizer.learningRate);
  const velocities = params.map((p, i) => add(`update.v_${p.name}`, OpKind.SGD_VELOCITY, p.shape, [stateRef(i), grads[i] as OpInput], [mu]));
  params.forEach((p, i) => add(`update.${p.name}`, OpKind.SGD_WEIGHT, p.shape, [paramRef(i), velocities[i] as OpInput], [eta]));

  return { ops, state, root: graphRootOf(ops, state.length), opsRoot: opsRootOf(ops) };
}
