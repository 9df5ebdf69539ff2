/**
 * Which input elements one output element reads (docs/PROTOCOL.md §4.1, "reads"), as fp32 bits:
 * what a verifier feeds to `checkElement` and what a solver must open in a dispute.
 */
import { OpKind, type OpDesc } from '../graph/graph.ts';
import { patchSource, permuteSource, poolSource } from '../graph/relayout.ts';

export interface ElementReads {
  readonly a: Uint32Array;
  readonly b: Uint32Array;
  /** MAXPOOL_GRAD: the element's position in its window. */
  readonly position: number;
}

/** A contiguous element range of one input tensor. */
export interface ReadRange {
  readonly first: number;
  readonly count: number;
}

/** No element: the output is a zero no input element feeds (padding, a pool's leftover rows). */
const NOTHING: ReadRange = { first: 0, count: 0 };

/** The element range of each input that output element `index` of `op` reads (§4.1). Not for loads. */
export function readRanges(op: OpDesc, index: number): ReadRange[] {
  const cols = op.shape[op.shape.length - 1] ?? 1;
  const row = Math.floor(index / cols);
  const col = index % cols;
  switch (op.kind) {
    case OpKind.MATMUL: {
      const k = op.inputs[0]?.shape[1] ?? 0;
      return [
        { first: row * k, count: k },
        { first: col * k, count: k },
      ];
    }
    case OpKind.ROW_MAX:
    case OpKind.ROW_SUM: {
      const n = op.inputs[0]?.shape[1] ?? 0;
      return [{ first: index * n, count: n }];
    }
    case OpKind.TRANSPOSE:
      return [{ first: col * (op.shape[0] ?? 0) + row, count: 1 }];
    case OpKind.BIAS_ADD:
      return [
        { first: index, count: 1 },
        { first: col, count: 1 },
      ];
    case OpKind.SUB_ROW:
    case OpKind.DIV_ROW:
      return [
        { first: index, count: 1 },
        { first: row, count: 1 },
      ];
    case OpKind.RESHAPE:
      return [{ first: index, count: 1 }];
    case OpKind.PATCHES:
    case OpKind.PERMUTE: {
      const src = op.kind === OpKind.PATCHES ? patchSource(op, row, col) : permuteSource(op, index);
      return [src < 0 ? NOTHING : { first: src, count: 1 }];
    }
    case OpKind.ROW_MEAN: {
      const n = op.inputs[0]?.shape[1] ?? 0;
      return [{ first: index * n, count: n }];
    }
    case OpKind.MAXPOOL_GRAD:
    case OpKind.AVGPOOL_GRAD: {
      const { row: r } = poolSource(op, index);
      const q = (op.params[0] as number) * (op.params[1] as number);
      if (op.kind === OpKind.AVGPOOL_GRAD) return [r < 0 ? NOTHING : { first: r, count: 1 }];
      return r < 0
        ? [NOTHING, NOTHING]
        : [
            { first: r * q, count: q },
            { first: r, count: 1 },
          ];
    }
    case OpKind.LOAD_X:
    case OpKind.LOAD_Y:
      throw new RangeError('data loads read a dataset record, not tensors');
    default:
      return op.inputs.map(() => ({ first: index, count: 1 }));
  }
}

const bitsOf = (t: Float32Array | undefined, start: number, count: number): Uint32Array =>
  t === undefined ? new Uint32Array(0) : new Uint32Array(t.buffer, t.byteOffset + 4 * start, count).slice();

/** The elements of `inputs` that output element `index` of `op` reads. Not for LOAD_X / LOAD_Y. */
export function elementReads(op: OpDesc, inputs: readonly Float32Array[], index: number): ElementReads {
  const [ra, rb] = readRanges(op, index);
  return {
    a: ra === undefined ? new Uint32Array(0) : bitsOf(inputs[0], ra.first, ra.count),
    b: rb === undefined ? new Uint32Array(0) : bitsOf(inputs[1], rb.first, rb.count),
    position: op.kind === OpKind.MAXPOOL_GRAD ? poolSource(op, index).position : 0,
  };
}
