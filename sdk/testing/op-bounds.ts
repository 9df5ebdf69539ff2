/**
 * How much of its tolerance bound (docs/PROTOCOL.md §4.1) each op kind uses on the current tfjs
 * backend: every kind run through the engine's own kernels (`runOp`) on random and adversarial
 * inputs, every element judged by the float64 screen. For tests and `npm run bench:backends`.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { runOp } from '../engine/executor.ts';
import { OP_KIND_NAMES, OpKind, type OpDesc, type OpKindCode } from '../graph/graph.ts';
import { fp32Bits } from '../spec/job-spec.ts';
import { checkOutput } from '../tolerance/vector.ts';

export interface OpBoundReport {
  readonly kind: string;
  readonly elements: number;
  /** max |y − x| / B over every element (B > 0). */
  readonly worstRatio: number;
  /** Elements outside their bound. */
  readonly violations: number;
}

interface Case {
  readonly kind: OpKindCode;
  readonly shape: number[];
  readonly inputs: { data: Float32Array; shape: number[] }[];
  readonly param?: number;
}

/** xorshift32, so every run checks the same inputs. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

const fill = (n: number, f: (i: number) => number): Float32Array => Float32Array.from({ length: n }, (_, i) => f(i));

/** Every fp32 value of a sweep: `count` evenly spaced points of [lo, hi] plus random bit patterns in it. */
function sweep(lo: number, hi: number, count: number, next: () => number): Float32Array {
  const out = new Float32Array(count * 2);
  for (let i = 0; i < count; i++) out[i] = lo + ((hi - lo) * i) / (count - 1);
  for (let i = count; i < 2 * count; i++) {
    // Log-uniform magnitudes: tiny and huge arguments as often as ordinary ones.
    const mag = 2 ** (next() * 140 - 133);
    const v = (next() < 0.5 ? -1 : 1) * mag;
    out[i] = v < lo || v > hi ? lo + (hi - lo) * next() : v;
  }
  return out;
}

/** Values of one sign-mixed tensor spanning 2^-e..2^e with cancellations. */
function wide(n: number, e: number, next: () => number): Float32Array {
  return fill(n, () => (next() < 0.5 ? -1 : 1) * 2 ** ((next() * 2 - 1) * e) * (1 + next()));
}

function cases(seed: number): Case[] {
  const next = rng(seed);
  const normal = (n: number, scale = 1): Float32Array => fill(n, () => scale * (next() + next() + next() - 1.5) * 2);
  const out: Case[] = [];
  // MATMUL: the graph's shapes, a long reduction with a small output (where tfjs-webgpu would pick
  // SplitK), odd sizes, and cancelling rows.
  for (const [m, k, n, gen] of [
    [64, 784, 32, (c: number) => normal(c)],
    [8, 4096, 8, (c: number) => normal(c)],
    [33, 129, 17, (c: number) => wide(c, 20, next)],
    [16, 512, 16, (c: number) => fill(c, (i) => (i % 2 === 0 ? 1e4 : -1e4) * (1 + next() * 2 ** -20))],
  ] as const) {
    out.push({
      kind: OpKind.MATMUL,
      shape: [m, n],
      inputs: [
        { data: gen(m * k), shape: [m, k] },
        { data: gen(n * k), shape: [n, k] },
      ],
    });
  }
  const R = 64;
  const C = 100;
  const ab = (): Case['inputs'] => [
    { data: wide(R * C, 30, next), shape: [R, C] },
    { data: wide(R * C, 30, next), shape: [R, C] },
  ];
  out.push({
    kind: OpKind.BIAS_ADD,
    shape: [R, C],
    inputs: [
      { data: wide(R * C, 30, next), shape: [R, C] },
      { data: wide(C, 30, next), shape: [C] },
    ],
  });
  out.push({ kind: OpKind.RELU, shape: [R, C], inputs: [{ data: wide(R * C, 130, next), shape: [R, C] }] });
  out.push({ kind: OpKind.RELU_GRAD, shape: [R, C], inputs: ab() });
  out.push({
    kind: OpKind.TANH_GRAD,
    shape: [R, C],
    inputs: [
      { data: wide(R * C, 30, next), shape: [R, C] },
      { data: fill(R * C, () => next() * 2 - 1), shape: [R, C] },
    ],
  });
  out.push({
    kind: OpKind.SIGMOID_GRAD,
    shape: [R, C],
    inputs: [
      { data: wide(R * C, 30, next), shape: [R, C] },
      { data: fill(R * C, () => next()), shape: [R, C] },
    ],
  });
  out.push({ kind: OpKind.ROW_MAX, shape: [R], inputs: [{ data: wide(R * C, 30, next), shape: [R, C] }] });
  out.push({
    kind: OpKind.SUB_ROW,
    shape: [R, C],
    inputs: [
      { data: wide(R * C, 30, next), shape: [R, C] },
      { data: wide(R, 30, next), shape: [R] },
    ],
  });
  out.push({ kind: OpKind.ROW_SUM, shape: [R], inputs: [{ data: wide(R * 3000, 10, next), shape: [R, 3000] }] });
  out.push({ kind: OpKind.SCALED_DIFF, shape: [R, C], inputs: ab(), param: 1 / 64 });
  out.push({ kind: OpKind.SCALED_DIFF, shape: [R, C], inputs: ab(), param: 3.7 });
  out.push({ kind: OpKind.TRANSPOSE, shape: [C, R], inputs: [{ data: wide(R * C, 30, next), shape: [R, C] }] });
  out.push({ kind: OpKind.SGD_VELOCITY, shape: [R, C], inputs: ab(), param: 0.9 });
  out.push({ kind: OpKind.SGD_WEIGHT, shape: [R, C], inputs: ab(), param: 0.05 });
  // Transcendentals: dense sweeps over the whole range where the result is neither 0 nor ∞,
  // log-uniform magnitudes (tiny arguments), the algorithms' branch points and their neighbours.
  const edges = (xs: number[]): number[] => xs.flatMap((x) => [x, Math.fround(x * (1 + 2 ** -23)), Math.fround(x * (1 - 2 ** -23)), -x]);
  const unary = (kind: OpKindCode, data: Float32Array): void => {
    const cols = 1024;
    const rows = Math.ceil(data.length / cols);
    const padded = new Float32Array(rows * cols);
    padded.set(data);
    out.push({ kind, shape: [rows, cols], inputs: [{ data: padded, shape: [rows, cols] }] });
  };
  const joined = (a: Float32Array, b: number[]): Float32Array => {
    const o = new Float32Array(a.length + b.length);
    o.set(a);
    o.set(b, a.length);
    return o;
  };
  unary(
    OpKind.EXP,
    joined(sweep(-104, 89, 1 << 19, next), edges([0.34657359, 0.5, 1, 10, 87.33654, 88.72283, 88.7228, 89, 103.97, 104, 2 ** -126, 2 ** -149])),
  );
  unary(OpKind.TANH, joined(sweep(-12, 12, 1 << 19, next), edges([0.625, 10, 2 ** -12, 2 ** -60, 2 ** -126, 2 ** -149, 0.3466, 9.01])));
  unary(OpKind.SIGMOID, joined(sweep(-110, 100, 1 << 19, next), edges([0, 1, 16.6, 44.4, 87.33654, 88.72283, 89, 103.97, 104, 2 ** -126])));
  // DIV_ROW: softmax rows (exponentials over their sum), and quotients over the whole exponent range.
  const E = fill(R * C, () => Math.exp(-30 * next()));
  const sums = fill(R, (r) => {
    let s = 0;
    for (let j = 0; j < C; j++) s += E[r * C + j] as number;
    return s;
  });
  out.push({
    kind: OpKind.DIV_ROW,
    shape: [R, C],
    inputs: [
      { data: E, shape: [R, C] },
      { data: sums, shape: [R] },
    ],
  });
  out.push({
    kind: OpKind.DIV_ROW,
    shape: [R, C],
    inputs: [
      { data: wide(R * C, 120, next), shape: [R, C] },
      { data: wide(R, 120, next), shape: [R] },
    ],
  });
  return out;
}

/** Runs every case through the engine's kernels on `tf`'s current backend and judges it. */
export async function measureOpBounds(tf: typeof tfjs, options: { seed?: number } = {}): Promise<OpBoundReport[]> {
  const byKind = new Map<string, { elements: number; worstRatio: number; violations: number }>();
  for (const c of cases(options.seed ?? 1)) {
    const op: OpDesc = {
      kind: c.kind,
      shape: c.shape,
      inputs: c.inputs.map((input, index) => ({ space: 0, index, shape: input.shape })),
      params: c.param === undefined ? [] : [fp32Bits(c.param)],
      name: OP_KIND_NAMES[c.kind],
    };
    const tensors = c.inputs.map((input) => tf.tensor(input.data, input.shape));
    const value = runOp(tf, op, tensors, { x: new Float32Array(0), y: new Float32Array(0) } as never);
    const result = 'transposeOf' in value ? tf.transpose(value.transposeOf) : value;
    const y = (await result.data()) as Float32Array;
    for (const t of [...tensors, result]) t.dispose();
    const check = checkOutput(
      op,
      c.inputs.map((input) => input.data),
      y,
      { margin: 0 },
    );
    const name = OP_KIND_NAMES[c.kind];
    const acc = byKind.get(name) ?? { elements: 0, worstRatio: 0, violations: 0 };
    acc.elements += check.elements;
    acc.worstRatio = Math.max(acc.worstRatio, check.worstRatio);
    acc.violations += check.violations.length;
    byKind.set(name, acc);
  }
  return [...byKind].map(([kind, r]) => ({ kind, ...r }));
}
