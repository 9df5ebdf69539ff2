/**
 * The canonical op graph of one training step (docs/PROTOCOL.md §3), derived from a job spec.
 * The solver executes exactly this list; verifiers and the chain judge its elements one by one.
 */
import { bytesToHex, encodeAbiParameters, hexToBytes, type Hex } from 'viem';
import { merkleRoot } from '../commit/merkle.ts';
import { sha256 } from '../commit/sha256.ts';
import type { Shape } from '../commit/tensor.ts';
import type { JobSpec } from '../spec/job-spec.ts';

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
  RESHAPE: 20,
  PATCHES: 21,
  PERMUTE: 22,
  ROW_MEAN: 23,
  MAXPOOL_GRAD: 24,
  AVGPOOL_GRAD: 25,
  ADAM_M: 26,
  ADAM_V: 27,
  ADAM_DIR: 28,
  ADAMW_STEP: 29,
} as const;

/**
 * Kinds that also read the step's row of the schedule table (§3.5), appended to their params:
 * ADAM_DIR [ε] + [bc1, bc2], ADAMW_STEP [λ] + [lr]. `opForStep` makes the op of one step.
 */
export const STEP_PARAM_KINDS: ReadonlySet<number> = new Set([28, 29]);

/**
 * Kinds whose params are integers (geometry), not fp32 bit patterns: PATCHES
 * [KH, KW, SH, SW, PT, PL, DH, DW, OH, OW, mode], PERMUTE [rank, axes..., flipMask],
 * MAXPOOL_GRAD and AVGPOOL_GRAD [KH, KW, OH, OW] (§4.1).
 */
export const INTEGER_PARAM_KINDS: ReadonlySet<number> = new Set([21, 22, 24, 25]);
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
  /** How checkpoint 0 fills it (§3.2): Glorot-uniform with this seed tag and fan sum; zeros when absent. */
  readonly init?: { readonly tag: number; readonly fanSum: number };
}

export interface Graph {
  readonly ops: readonly OpDesc[];
  /** The state's tensors in state order (§3.2). */
  readonly state: readonly StateTensorInfo[];
  /** graphRoot (§3.1). */
  readonly root: Hex;
  /** MerkleRoot over the op leaves, which graphRoot commits to with the counts. */
  readonly opsRoot: Hex;
  /** The op that outputs the model's logits (or outputs): the forward pass ends there. Not committed. */
  readonly logits: number;
  /** Index of the first parameter in the state (the optimizer's slots come first). Not committed. */
  readonly paramStart: number;
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

export { buildGraph } from './build.ts';
