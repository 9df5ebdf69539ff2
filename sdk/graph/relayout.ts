/**
 * Where the exact relayout ops read (§4.1): for each output element of PATCHES, PERMUTE,
 * MAXPOOL_GRAD and AVGPOOL_GRAD, the flat index of the input element it copies (or the window row
 * it routes from), or -1 where it is a zero (padding, dilation holes, pool leftovers). The engine
 * gathers with these maps and the tolerance rule reads with them, so both agree by construction.
 */
import { patchGeometry } from './build.ts';
import { OpKind, type OpDesc } from './graph.ts';

const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** PATCHES: the flat input index output element (row, col) copies, or -1 for a zero. */
export function patchSource(op: OpDesc, row: number, col: number): number {
  const [, H, W, C] = op.inputs[0]?.shape as [number, number, number, number];
  const g = patchGeometry(op.params);
  let b: number, oh: number, ow: number, c: number, kh: number, kw: number;
  if (g.mode === 0) {
    ow = row % g.ow;
    oh = Math.floor(row / g.ow) % g.oh;
    b = Math.floor(row / (g.ow * g.oh));
    c = col % C;
    kw = Math.floor(col / C) % g.kw;
    kh = Math.floor(col / (C * g.kw));
  } else {
    c = row % C;
    ow = Math.floor(row / C) % g.ow;
    oh = Math.floor(row / (C * g.ow)) % g.oh;
    b = Math.floor(row / (C * g.ow * g.oh));
    kw = col % g.kw;
    kh = Math.floor(col / g.kw);
  }
  const ph = oh * g.sh + kh - g.pt;
  const pw = ow * g.sw + kw - g.pl;
  if (ph < 0 || pw < 0 || ph > (H - 1) * g.dh || pw > (W - 1) * g.dw || ph % g.dh !== 0 || pw % g.dw !== 0) return -1;
  return ((b * H + ph / g.dh) * W + pw / g.dw) * C + c;
}

/** PERMUTE: the flat input index of output element `e` (params [rank, axes..., flipMask]). */
export function permuteSource(op: OpDesc, e: number): number {
  const rank = op.params[0] as number;
  const axes = op.params.slice(1, 1 + rank);
  const flips = op.params[1 + rank] as number;
  const inShape = op.inputs[0]?.shape as readonly number[];
  const outShape = op.shape;
  const idx = new Array<number>(rank).fill(0);
  let rest = e;
  for (let i = rank - 1; i >= 0; i--) {
    const d = outShape[i] as number;
    const o = rest % d;
    rest = Math.floor(rest / d);
    idx[axes[i] as number] = (flips >> i) & 1 ? d - 1 - o : o;
  }
  let flat = 0;
  for (let a = 0; a < rank; a++) flat = flat * (inShape[a] as number) + (idx[a] as number);
  return flat;
}

/**
 * MAXPOOL_GRAD / AVGPOOL_GRAD (params [KH, KW, OH, OW], output [B, H, W, C]): the window row
 * that output element `e` takes its gradient from and its position in the window, or row -1
 * for an element no window covers.
 */
export function poolSource(op: OpDesc, e: number): { row: number; position: number } {
  const [, H, W, C] = op.shape as [number, number, number, number];
  const [kh, kw, oh, ow] = op.params as [number, number, number, number];
  const c = e % C;
  const w = Math.floor(e / C) % W;
  const h = Math.floor(e / (C * W)) % H;
  const b = Math.floor(e / (C * W * H));
  const wh = Math.floor(h / kh);
  const ww = Math.floor(w / kw);
  if (wh >= oh || ww >= ow) return { row: -1, position: 0 };
  return { row: ((b * oh + wh) * ow + ww) * C + c, position: (h % kh) * kw + (w % kw) };
}

const maps = new WeakMap<OpDesc, Int32Array>();

/**
 * For a relayout op, the gather map over its output: the flat index (into the input for PATCHES
 * and PERMUTE; into the routed window values, row * KH*KW + position, for MAXPOOL_GRAD; into the
 * rows for AVGPOOL_GRAD), or -1. Cached per op descriptor.
 */
export function gatherMap(op: OpDesc): Int32Array {
  const cached = maps.get(op);
  if (cached !== undefined) return cached;
  const n = numel(op.shape);
  const map = new Int32Array(n);
  const cols = op.shape[op.shape.length - 1] as number;
  const q = (op.params[0] as number) * (op.params[1] as number);
  for (let e = 0; e < n; e++) {
    switch (op.kind) {
      case OpKind.PATCHES:
        map[e] = patchSource(op, Math.floor(e / cols), e % cols);
        break;
      case OpKind.PERMUTE:
        map[e] = permuteSource(op, e);
        break;
      case OpKind.MAXPOOL_GRAD: {
        const s = poolSource(op, e);
        map[e] = s.row < 0 ? -1 : s.row * q + s.position;
        break;
      }
      case OpKind.AVGPOOL_GRAD:
        map[e] = poolSource(op, e).row;
        break;
      default:
        throw new RangeError(`op kind ${op.kind} is not a relayout`);
    }
  }
  maps.set(op, map);
  return map;
}
