/**
 * Everything the solver sends to open a pointed element (docs/PROTOCOL.md §5 step 4), built from
 * its own step data: the op descriptor and its proof against the ops root, the input slices with
 * their proofs against the state or trace root, the output element, or the dataset record.
 */
import { bytesToHex, type Hex } from 'viem';
import { DatasetTree } from '../commit/dataset.ts';
import { MerkleTree } from '../commit/merkle.ts';
import { stateRootFromTensorRoots } from '../commit/state.ts';
import { tensorRootBytes, TensorTree, type Tensor } from '../commit/tensor.ts';
import { opLeaf, Space, type Graph, type OpDesc } from '../graph/graph.ts';
import { readRanges } from '../tolerance/reads.ts';
import type { StepData } from './trajectory.ts';

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

function concatRoots(roots: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(roots.length * 32);
  roots.forEach((r, i) => { out.set(r, i * 32); });
  return out;
}

/** The tensor roots of a step's op outputs, in graph order. */
export function traceTensorRoots(graph: Graph, trace: readonly Float32Array[]): Uint8Array[] {
  return graph.ops.map((op, i) => tensorRootBytes({ shape: op.shape, data: trace[i] as Float32Array }));
}

/** traceRoot (§3.1): Merkle root over the op output tensor roots. */
export function traceRootOf(graph: Graph, trace: readonly Float32Array[]): Hex {
  return stateRootFromTensorRoots(traceTensorRoots(graph, trace));
}

/** Proof trees of one step, reused for every opening of it. */
export class StepProofs {
  readonly graph: Graph;
  readonly step: StepData;
  readonly #ops: MerkleTree;
  readonly #state: MerkleTree;
  readonly #trace: MerkleTree;
  readonly #after: MerkleTree;
  readonly #traceRoots: Uint8Array[];

  constructor(graph: Graph, step: StepData) {
    this.graph = graph;
    this.step = step;
    this.#ops = new MerkleTree(concatRoots(graph.ops.map(opLeaf)));
    this.#state = new MerkleTree(concatRoots(step.before.map(tensorRootBytes)));
    this.#traceRoots = traceTensorRoots(graph, step.trace);
    this.#trace = new MerkleTree(concatRoots(this.#traceRoots));
    this.#after = new MerkleTree(concatRoots(step.after.map(tensorRootBytes)));
  }

  get traceRoot(): Hex {
    return this.#trace.root;
  }

  opProof(opIndex: number): Hex[] {
    return [...this.#ops.rangeProof(opIndex, 1).siblings];
  }

  #open(tensor: Tensor, first: number, count: number, rootProof: readonly Hex[]): TensorOpeningArg {
    const opening = new TensorTree(tensor).open(first, count);
    return { leaves: bytesToHex(opening.leaves), leafProof: [...opening.proof.siblings], rootProof: [...rootProof] };
  }

  /** The output element opening plus the input slices it reads. */
  element(opIndex: number, element: number): { op: OpDescArg; opProof: Hex[]; inputs: TensorOpeningArg[]; output: TensorOpeningArg } {
    const op = this.graph.ops[opIndex] as OpDesc;
    const ranges = readRanges(op, element);
    const inputs = op.inputs.map((input, i) => {
      const range = ranges[i] as { first: number; count: number };
      const fromState = input.space === Space.STATE;
      const tensor: Tensor = fromState
        ? (this.step.before[input.index] as Tensor)
        : { shape: input.shape, data: this.step.trace[input.index] as Float32Array };
      const rootProof = (fromState ? this.#state : this.#trace).rangeProof(input.index, 1).siblings;
      return this.#open(tensor, range.first, range.count, rootProof);
    });
    return { op: opArg(op), opProof: this.opProof(opIndex), inputs, output: this.output(opIndex, element) };
  }

  output(opIndex: number, element: number): TensorOpeningArg {
    const op = this.graph.ops[opIndex] as OpDesc;
    return this.#open({ shape: op.shape, data: this.step.trace[opIndex] as Float32Array }, element, 1, this.#trace.rangeProof(opIndex, 1).siblings);
  }

  /** A data-load element: the batch slot's record with its proof in the dataset. */
  load(opIndex: number, element: number, dataset: DatasetTree, recordIndex: bigint): { op: OpDescArg; opProof: Hex[]; record: { record: Hex; proof: Hex[] }; output: TensorOpeningArg } {
    const op = this.graph.ops[opIndex] as OpDesc;
    const index = Number(recordIndex);
    return {
      op: opArg(op),
      opProof: this.opProof(opIndex),
      record: { record: bytesToHex(dataset.record(index)), proof: [...dataset.prove(index).siblings] },
      output: this.output(opIndex, element),
    };
  }

  /** Next-state tensor t: its root in the trace (op n - S + t) and in the state after the step. */
  nextState(t: number): { tensorRoot: Hex; traceProof: Hex[]; stateProof: Hex[] } {
    const n = this.graph.ops.length;
    const S = this.graph.state.length;
    return {
      tensorRoot: bytesToHex(this.#traceRoots[n - S + t] as Uint8Array),
      traceProof: [...this.#trace.rangeProof(n - S + t, 1).siblings],
      stateProof: [...this.#after.rangeProof(t, 1).siblings],
    };
  }
}
