/**
 * The tolerance rule over whole op outputs, in float64, for verifiers (docs/PROTOCOL.md §4).
 *
 * float64 evaluates x with an error around 2^-29 of the bound B, so an element flagged here with
 * the 2^-20 margin below is invalid by the exact rule too; confirm with `checkElement` before
 * risking a bond. Elements this check passes are valid with the same certainty.
 */
import { OpKind, type OpDesc } from '../graph/graph.ts';
import { gatherMap, poolSource } from '../graph/relayout.ts';
import { fp32FromBits } from '../spec/job-spec.ts';

const U = 2 ** -24;
const SIGMA = 2 ** -126;
const OMEGA = 2 ** 128 - 2 ** 103;
/** Default screen margin: flag only elements beyond B (1 + 2^-20), far above float64's error. */
export const SCREEN_MARGIN = 2 ** -20;
const gamma = (n: number): number => (n * U) / (1 - n * U);

export interface OutputCheck {
  readonly elements: number;
  /** Flat indices of the output elements that break the bound. */
  readonly violations: number[];
  /** max |y - x| / B over elements with B > 0: how much of the bound honest kernels use. */
  readonly worstRatio: number;
}

const TRANSCENDENTAL: Readonly<Record<number, { f: (a: number) => number; k: number; floor: number }>> = {
  [OpKind.EXP]: { f: Math.exp, k: 4, floor: SIGMA },
  [OpKind.TANH]: { f: Math.tanh, k: 4, floor: 2 ** -24 },
  [OpKind.SIGMOID]: { f: (a) => 1 / (1 + Math.exp(-a)), k: 8, floor: 2 ** -22 },
};

/**
 * Check every element of one op's output. `inputs` are the op's input tensors (row-major, in
 * the op's input order); for LOAD_X/LOAD_Y pass the expected batch tensor as the single input.
 * `margin` widens (or, negative, narrows) the bound relative to B.
 */
export function checkOutput(op: OpDesc, inputs: readonly Float32Array[], y: Float32Array, options: { margin?: number } = {}): OutputCheck {
  const scale = 1 + (options.margin ?? SCREEN_MARGIN);
  const a = inputs[0] ?? new Float32Array(0);
  const b = inputs[1] ?? new Float32Array(0);
  const c = fp32FromBits(op.params[0] ?? 0);
  const c1 = fp32FromBits(op.params[1] ?? 0);
  const c2 = fp32FromBits(op.params[2] ?? 0);
  const violations: number[] = [];
  let worst = 0;
  const judge = (index: number, x: number, bound: number, inputsFinite: boolean): void => {
    if (!inputsFinite) return;
    const yi = y[index] as number;
    if (Number.isNaN(yi)) {
      violations.push(index);
      return;
    }
    if (!Number.isFinite(yi)) {
      if (!(Math.sign(x) === Math.sign(yi) && Math.abs(x) + bound >= OMEGA)) violations.push(index);
      return;
    }
    const err = Math.abs(yi - x);
    if (bound > 0) worst = Math.max(worst, err / bound);
    if (err > bound * scale) violations.push(index);
  };
  const cols = op.shape[op.shape.length - 1] ?? 1;

  switch (op.kind) {
    case OpKind.MATMUL: {
      const [m, n] = op.shape as [number, number];
      const k = a.length / m;
      const g = gamma(k);
      const rowMax = (t: Float32Array, r: number): number => {
        let mx = 1;
        for (let i = 0; i < k; i++) mx = Math.max(mx, Math.abs(t[r * k + i] as number));
        return mx;
      };
      const bMax = Array.from({ length: n }, (_, j) => rowMax(b, j));
      for (let i = 0; i < m; i++) {
        const aMax = rowMax(a, i);
        for (let j = 0; j < n; j++) {
          let x = 0;
          let s = 0;
          for (let t = 0; t < k; t++) {
            const p = (a[i * k + t] as number) * (b[j * k + t] as number);
            x += p;
            s += Math.abs(p);
          }
          judge(i * n + j, x, g * s + 16 * k * SIGMA * aMax * (bMax[j] as number), Number.isFinite(s));
        }
      }
      break;
    }
    case OpKind.ROW_SUM:
    case OpKind.ROW_MAX: {
      const rows = op.shape[0] as number;
      const n = a.length / rows;
      for (let i = 0; i < rows; i++) {
        let x = op.kind === OpKind.ROW_SUM ? 0 : -Infinity;
        let s = 0;
        for (let t = 0; t < n; t++) {
          const v = a[i * n + t] as number;
          if (op.kind === OpKind.ROW_SUM) x += v;
          else x = Math.max(x, v);
          s += Math.abs(v);
        }
        judge(i, x, op.kind === OpKind.ROW_SUM ? gamma(n) * s + n * SIGMA : 0, Number.isFinite(s));
      }
      break;
    }
    case OpKind.TRANSPOSE: {
      const [rows, cs] = op.shape as [number, number];
      for (let i = 0; i < rows; i++) for (let j = 0; j < cs; j++) judge(i * cs + j, a[j * rows + i] as number, 0, Number.isFinite(a[j * rows + i]));
      break;
    }
    case OpKind.RESHAPE:
      for (let e = 0; e < y.length; e++) judge(e, a[e] as number, 0, Number.isFinite(a[e]));
      break;
    case OpKind.PATCHES:
    case OpKind.PERMUTE: {
      const map = gatherMap(op);
      for (let e = 0; e < y.length; e++) {
        const src = map[e] as number;
        const x = src < 0 ? 0 : (a[src] as number);
        judge(e, x, 0, Number.isFinite(x));
      }
      break;
    }
    case OpKind.ROW_MEAN: {
      const rows = op.shape[0] as number;
      const n = a.length / rows;
      for (let i = 0; i < rows; i++) {
        let x = 0;
        let s = 0;
        for (let t = 0; t < n; t++) {
          x += a[i * n + t] as number;
          s += Math.abs(a[i * n + t] as number);
        }
        judge(i, x / n, (gamma(n + 2) * s) / n + (n + 2) * SIGMA, Number.isFinite(s));
      }
      break;
    }
    case OpKind.MAXPOOL_GRAD:
    case OpKind.AVGPOOL_GRAD: {
      const q = (op.params[0] as number) * (op.params[1] as number);
      for (let e = 0; e < y.length; e++) {
        const { row, position } = poolSource(op, e);
        if (row < 0) {
          judge(e, 0, 0, true);
          continue;
        }
        if (op.kind === OpKind.AVGPOOL_GRAD) {
          const g = a[row] as number;
          judge(e, g / q, (gamma(2) * Math.abs(g)) / q + SIGMA, Number.isFinite(g));
          continue;
        }
        let first = 0;
        let finite = Number.isFinite(b[row]);
        for (let i = 0; i < q; i++) {
          const v = a[row * q + i] as number;
          finite &&= Number.isFinite(v);
          if (v > (a[row * q + first] as number)) first = i;
        }
        judge(e, position === first ? (b[row] as number) : 0, 0, finite);
      }
      break;
    }
    default:
      for (let e = 0; e < y.length; e++) {
        const ai = a[e] as number;
        const row = Math.floor(e / cols);
        const bi = (op.kind === OpKind.BIAS_ADD ? b[e % cols] : op.kind === OpKind.SUB_ROW || op.kind === OpKind.DIV_ROW ? b[row] : b[e]) ?? 0;
        const finite = Number.isFinite(ai) && Number.isFinite(bi);
        const [x, bound] = elementwise(op.kind, ai, bi, c, c1, c2);
        if (op.kind === OpKind.ADAM_DIR && finite) {
          // Rule 2 (a negative second moment), then rule 3a: where m/bc1 or v/bc2 may overflow any
          // non-finite y is valid, and where the denominator may be infinite also ±0 (exact.ts).
          const yi = y[e] as number;
          if (bi < 0) {
            if (Number.isFinite(yi)) violations.push(e);
            continue;
          }
          const denominatorMayOverflow = bi >= (c2 * OMEGA) / 2;
          if ((denominatorMayOverflow || Math.abs(ai) >= (c1 * OMEGA) / 2) && (!Number.isFinite(yi) || (denominatorMayOverflow && yi === 0))) continue;
        }
        if (op.kind === OpKind.DIV_ROW && bi === 0) {
          if (finite && Number.isFinite(y[e])) violations.push(e);
          continue;
        }
        judge(e, x, bound, finite);
      }
  }
  return { elements: y.length, violations, worstRatio: worst };
}

function elementwise(kind: number, a: number, b: number, c: number, c1: number, c2: number): [number, number] {
  const t = TRANSCENDENTAL[kind];
  if (t !== undefined) {
    const x = t.f(a);
    return [x, t.k * 2 ** -23 * Math.abs(x) + t.floor];
  }
  switch (kind) {
    case OpKind.LOAD_X:
    case OpKind.LOAD_Y:
      return [a, gamma(2) * Math.abs(a)];
    case OpKind.BIAS_ADD: {
      const x = a + b;
      return [x, U * Math.abs(x) + SIGMA];
    }
    case OpKind.SUB_ROW: {
      const x = a - b;
      return [x, U * Math.abs(x) + SIGMA];
    }
    case OpKind.DIV_ROW: {
      const x = a / b;
      return [x, gamma(2) * Math.abs(x) + SIGMA];
    }
    case OpKind.RELU:
      return [Math.max(a, 0), SIGMA];
    case OpKind.RELU_GRAD:
      return b > 0 && b < SIGMA ? [a, Math.abs(a) + SIGMA] : [b > 0 ? a : 0, SIGMA];
    case OpKind.TANH_GRAD: {
      const x = a * (1 - b * b);
      return [x, gamma(4) * Math.abs(a) * (Math.abs(1 - b * b) + b * b) + 4 * SIGMA];
    }
    case OpKind.SIGMOID_GRAD: {
      const x = a * b * (1 - b);
      return [x, gamma(4) * Math.abs(a * b) * (Math.abs(1 - b) + Math.abs(b)) + 4 * SIGMA];
    }
    case OpKind.SCALED_DIFF: {
      const x = (a - b) * c;
      return [x, gamma(2) * Math.abs(x) + 2 * SIGMA];
    }
    case OpKind.SGD_VELOCITY:
      return [c * a + b, gamma(2) * (Math.abs(c * a) + Math.abs(b)) + 2 * SIGMA];
    case OpKind.SGD_WEIGHT:
      return [a - c * b, gamma(2) * (Math.abs(a) + Math.abs(c * b)) + 2 * SIGMA];
    case OpKind.ADAM_M:
      return [c * a + c1 * b, gamma(2) * (Math.abs(c * a) + Math.abs(c1 * b)) + 2 * SIGMA];
    case OpKind.ADAM_V:
      return [c * a + c1 * b * b, gamma(3) * (Math.abs(c * a) + c1 * b * b) + 3 * SIGMA];
    case OpKind.ADAM_DIR: {
      const x = a / c1 / (Math.sqrt(b / c2) + c);
      return [x, gamma(16) * Math.abs(x) + 2 ** -90];
    }
    case OpKind.ADAMW_STEP:
      return [a - c1 * (b + c * a), gamma(4) * (Math.abs(a) + Math.abs(c1 * b) + Math.abs(c1 * c * a)) + 4 * SIGMA];
    default:
      throw new RangeError(`op kind ${kind} has no elementwise rule`);
  }
}
