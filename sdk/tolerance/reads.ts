/**
 * Which input elements one output element reads (docs/PROTOCOL.md §4.1, "reads"), as fp32 bits:
 * what a verifier feeds to `checkElement` and what a solver must open in a dispute.
 */
import { OpKind, type OpDesc } from '../graph/graph.ts';

export interface ElementReads {
  readonly a: Uint32Array;
  readonly b: Uint32Array;
}

const bitsOf = (t: Float32Array | undefined, start: number, count: number): Uint32Array =>
  t === undefined ? new Uint32Array(0) : new Uint32Array(t.buffer, t.byteOffset + 4 * start, count).slice();

/** The elements of `inputs` that output element `index` of `op` reads. Not for LOAD_X / LOAD_Y. */
export function elementReads(op: OpDesc, inputs: readonly Float32Array[], index: number): ElementReads {
  const [a, b] = inputs;
  const cols = op.shape[op.shape.length - 1] ?? 1;
  const row = Math.floor(index / cols);
  const col = index % cols;
  switch (op.kind) {
    case OpKind.MATMUL: {
      const k = (op.inputs[0]?.shape[1] ?? 0);
      return { a: bitsOf(a, row * k, k), b: bitsOf(b, col * k, k) };
    }
    case OpKind.ROW_MAX:
    case OpKind.ROW_SUM: {
      const n = op.inputs[0]?.shape[1] ?? 0;
      return { a: bitsOf(a, index * n, n), b: new Uint32Array(0) };
    }
    case OpKind.TRANSPOSE: {
      const rows = op.shape[0] ?? 0;
      return { a: bitsOf(a, col * rows + row, 1), b: new Uint32Array(0) };
    }
    case OpKind.BIAS_ADD:
      return { a: bitsOf(a, index, 1), b: bitsOf(b, col, 1) };
    case OpKind.SUB_ROW:
    case OpKind.DIV_ROW:
      return { a: bitsOf(a, index, 1), b: bitsOf(b, row, 1) };
    case OpKind.LOAD_X:
    case OpKind.LOAD_Y:
      throw new RangeError('data loads read a dataset record, not tensors');
    default:
      return { a: bitsOf(a, index, 1), b: b === undefined ? new Uint32Array(0) : bitsOf(b, index, 1) };
  }
}
