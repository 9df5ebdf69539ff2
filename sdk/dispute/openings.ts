/**
 * Everything the solver sends to open a pointed element (docs/PROTOCOL.md §5 step 4), built from
 * its own step data: the op descriptor and its proof against the ops root, the input slices and
 * the output element with their proofs against the trace root, the dataset record, or the link
 * between a state leaf and the trace's copy of it.
 */
import { bytesToHex, type Hex } from 'viem';
import { DatasetTree } from '../commit/dataset.ts';
import { MerkleTree } from '../commit/merkle.ts';
import { stateRootFromTensorRoots } from '../commit/state.ts';
import { ELEMENT_BYTES, elementCount, STATE_LEAF_BYTES, tensorRootBytes, TensorTree, TRACE_LEAF_BYTES, type Tensor } from '../commit/tensor.ts';
import { opLeaf, Space, type Graph, type OpDesc } from '../graph/graph.ts';
import { readRanges } from '../tolerance/reads.ts';
import type { StepData } from './trajectory.ts';

export interface StateLinkArg {
  shape: number[];
  block: Hex;
  stateLeafProof: Hex[];
  stateRootProof: Hex[];
  traceLeafProof: Hex[];
  traceRootProof: Hex[];
}

/** A state leaf opened under a state root alone (IDisputeGame.openInitialState). */
export interface StateLeafArg {
  shape: number[];
  block: Hex;
  leafProof: Hex[];
  rootProof: Hex[];
}

/** Which state a link point is about: the trace's copy of the state before (STATE_COPY) or the next state (NEXT_STATE). */
export type LinkSide = 'copy' | 'next';

/** A link point's element: tensor · 2^32 + element of that tensor (§5.1). */
export const linkPoint = (tensor: number, element: number): bigint => (BigInt(tensor) << 32n) | BigInt(element);
export const linkTensor = (point: bigint): number => Number(point >> 32n);
export const linkElement = (point: bigint): number => Number(point & 0xffff_ffffn);

export interface OpDescArg {
  kind: number;
  shape: number[];
  inputs: { space: number; index: number; shape: number[] }[];
  params: number[];
}

export interface TensorOpeningArg {
  leaves: Hex;
  leafProof: Hex[];
  rootProof: Hex[];
}

export const opArg = (op: OpDesc): OpDescArg => ({
  kind: op.kind,
  shape: [...op.shape],
  inputs: op.inputs.map((i) => ({ space: i.space, index: i.index, shape: [...i.shape] })),
  params: [...op.params],
});

/** The opening of an input range of count 0 (nothing read, §4.1): the chain proves nothing for it. */
const noOpening = (): TensorOpeningArg => ({ leaves: '0x', leafProof: [], rootProof: [] });

function concatRoots(roots: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(roots.length * 32);
  roots.forEach((r, i) => {
    out.set(r, i * 32);
  });
  return out;
}

type TraceData = Pick<StepData, 'before' | 'trace'>;

/** The trace's tensors (§3.1): the state the step starts from, then every op output in graph order. */
function traceTensors(graph: Graph, step: TraceData): Tensor[] {
  return [...step.before, ...graph.ops.map((op, i) => ({ shape: op.shape, data: step.trace[i] as Float32Array }))];
}

/** traceRoot (§3.1): Merkle root over the trace tensors' roots in the trace layout. */
export function traceRootOf(graph: Graph, step: TraceData): Hex {
  return stateRootFromTensorRoots(traceTensors(graph, step).map((t) => tensorRootBytes(t, TRACE_LEAF_BYTES)));
}

/** Proof trees of one step, reused for every opening of it. */
export class StepProofs {
  readonly graph: Graph;
  readonly step: StepData;
  readonly #ops: MerkleTree;
  readonly #trace: MerkleTree;
  readonly #tensors: Tensor[];

  /** The trace's tensors (§3.1): the state before, then every op output. */
  get tensors(): readonly Tensor[] {
    return this.#tensors;
  }

  constructor(graph: Graph, step: StepData) {
    this.graph = graph;
    this.step = step;
    this.#ops = new MerkleTree(concatRoots(graph.ops.map(opLeaf)));
    this.#tensors = traceTensors(graph, step);
    this.#trace = new MerkleTree(concatRoots(this.#tensors.map((t) => tensorRootBytes(t, TRACE_LEAF_BYTES))));
  }

  get traceRoot(): Hex {
    return this.#trace.root;
  }

  opProof(opIndex: number): Hex[] {
    return [...this.#ops.rangeProof(opIndex, 1).siblings];
  }

  /** Elements [first, first + count) of trace tensor `position`, with its proof in the trace root. */
  #open(position: number, first: number, count: number): TensorOpeningArg {
    const opening = new TensorTree(this.#tensors[position] as Tensor, TRACE_LEAF_BYTES).open(first, count);
    return { leaves: bytesToHex(opening.leaves), leafProof: [...opening.proof.siblings], rootProof: [...this.#trace.rangeProof(position, 1).siblings] };
  }

  /** The output element opening plus the input slices it reads. */
  element(opIndex: number, element: number): { op: OpDescArg; opProof: Hex[]; inputs: TensorOpeningArg[]; output: TensorOpeningArg } {
    const op = this.graph.ops[opIndex] as OpDesc;
    const ranges = readRanges(op, element);
    const S = this.graph.state.length;
    const inputs = op.inputs.map((input, i) => {
      const range = ranges[i] as { first: number; count: number };
      // A padding element (PATCHES) or one no pool window covers reads nothing: the chain ignores that opening.
      if (range.count === 0) return noOpening();
      return this.#open(input.space === Space.STATE ? input.index : S + input.index, range.first, range.count);
    });
    return { op: opArg(op), opProof: this.opProof(opIndex), inputs, output: this.output(opIndex, element) };
  }

  /**
   * Terms [offset, offset + count) of the rows a reduction element reads (one opening per input,
   * §5 step 4b: the chunk the challenger picked).
   */
  rowSlices(opIndex: number, element: number, offset: number, count: number): TensorOpeningArg[] {
    const op = this.graph.ops[opIndex] as OpDesc;
    const ranges = readRanges(op, element);
    const S = this.graph.state.length;
    return op.inputs.map((input, i) => {
      const range = ranges[i] as { first: number; count: number };
      return this.#open(input.space === Space.STATE ? input.index : S + input.index, range.first + offset, count);
    });
  }

  output(opIndex: number, element: number): TensorOpeningArg {
    return this.#open(this.graph.state.length + opIndex, element, 1);
  }

  /** A data-load element: the batch slot's record with its proof in the dataset. */
  load(
    opIndex: number,
    element: number,
    dataset: DatasetTree,
    recordIndex: bigint,
  ): { op: OpDescArg; opProof: Hex[]; record: { record: Hex; proof: Hex[] }; output: TensorOpeningArg } {
    const op = this.graph.ops[opIndex] as OpDesc;
    const index = Number(recordIndex);
    return {
      op: opArg(op),
      opProof: this.opProof(opIndex),
      record: { record: bytesToHex(dataset.record(index)), proof: [...dataset.prove(index).siblings] },
      output: this.output(opIndex, element),
    };
  }

  /**
   * The state leaf holding element `element` of state tensor `t` of the state before the step
   * (checkpoint 0 for an INITIAL_STATE point), proved under its state root. An element past the
   * tensor's end is opened at its last leaf.
   */
  stateLeaf(t: number, element: number): StateLeafArg {
    const states = this.step.before;
    const state = states[t] as Tensor;
    const opening = new TensorTree(state).open(Math.min(element, elementCount(state.shape) - 1), 1);
    return {
      shape: [...state.shape],
      block: bytesToHex(opening.leaves),
      leafProof: [...opening.proof.siblings],
      rootProof: [...new MerkleTree(concatRoots(states.map((s) => tensorRootBytes(s)))).rangeProof(t, 1).siblings],
    };
  }

  /**
   * The state leaf holding element `element` of state tensor `t` (the next state, or the state
   * before for the trace's copy), proved in the state layout and, as 16 trace leaves, in the trace.
   * An element past the tensor's end is opened at its last leaf (§5.1).
   */
  stateLink(side: LinkSide, t: number, element: number): StateLinkArg {
    const next = side === 'next';
    // Built here, not up front: a dispute opens at most one link, and most open none.
    const states = next ? this.step.after : this.step.before;
    const state = states[t] as Tensor;
    const position = next ? this.graph.ops.length + t : t;
    const e = Math.min(element, elementCount(state.shape) - 1);
    const perLeaf = STATE_LEAF_BYTES / ELEMENT_BYTES;
    const first = Math.floor(e / perLeaf) * perLeaf;
    const stateOpening = new TensorTree(state).open(e, 1);
    const traceTensor = this.#tensors[position] as Tensor;
    const traceOpening = new TensorTree(traceTensor, TRACE_LEAF_BYTES).open(first, Math.min(perLeaf, traceTensor.data.length - first));
    return {
      shape: [...state.shape],
      block: bytesToHex(stateOpening.leaves),
      stateLeafProof: [...stateOpening.proof.siblings],
      stateRootProof: [...new MerkleTree(concatRoots(states.map((s) => tensorRootBytes(s)))).rangeProof(t, 1).siblings],
      traceLeafProof: [...traceOpening.proof.siblings],
      traceRootProof: [...this.#trace.rangeProof(position, 1).siblings],
    };
  }
}
