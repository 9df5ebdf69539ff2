import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { OpKind } from '../graph/graph.ts';
import { fp32Bits, fp32FromBits } from '../spec/job-spec.ts';
import { checkElement, checkLoadX, checkLoadY, decode, type Dy } from './exact.ts';

const f = Math.fround;
const bits = fp32Bits;
const A = (...xs: number[]): Uint32Array => Uint32Array.from(xs.map(bits));
const NONE = new Uint32Array();
/** fp32 values over the whole exponent range, subnormals included, no NaN/Inf. */
const anyF32 = fc.float({ noNaN: true, noDefaultInfinity: true });
/** fp32 values of training-like magnitude. */
const midF32 = fc.float({ min: f(-1e4), max: f(1e4), noNaN: true }).filter((x) => x === 0 || Math.abs(x) > 1e-30);

/** fp32 neighbour `steps` ulps away (crossing zero handled through the integer line). */
function stepUlps(x: number, steps: number): number {
  const order = (b: number): number => (b >>> 31 ? -(b & 0x7fffffff) : b);
  const fromOrder = (o: number): number => (o < 0 ? (0x80000000 | -o) >>> 0 : o);
  return fp32FromBits(fromOrder(order(bits(x)) + steps));
}

// Independent oracle for the rational kinds: exact dyadic arithmetic, no scaling, no slack.
const toBig = (d: Dy, e: number): bigint => d.n << BigInt(d.e - e);
function exactWithin(x: Dy[], y: number, num: bigint, den: bigint, m: Dy[], floor: Dy): boolean {
  const all = [...x, decode(bits(y)), ...m, floor].filter((d) => d.n !== 0n);
  const e = Math.min(0, ...all.map((d) => d.e));
  const xs = x.reduce((s, d) => s + toBig(d, e), 0n);
  const yv = toBig(decode(bits(y)), e);
  const diff = yv > xs ? yv - xs : xs - yv;
  const mm = m.reduce((s, d) => s + (toBig(d, e) < 0n ? -toBig(d, e) : toBig(d, e)), 0n);
  return den * diff <= num * mm + den * toBig(floor, e);
}
const mulDy = (a: Dy, b: Dy): Dy => ({ n: a.n * b.n, e: a.e + b.e });
const SIGMA: Dy = { n: 1n, e: -126 };

describe('exact element checks (§4)', () => {
  it('honest fp32 results are valid for every elementwise kind', () => {
    fc.assert(
      fc.property(midF32, midF32, fc.float({ min: 0, max: f(0.99), noNaN: true }), (a, b, c) => {
        assert.ok(checkElement(OpKind.BIAS_ADD, [], A(a), A(b), bits(f(a + b))));
        assert.ok(checkElement(OpKind.SUB_ROW, [], A(a), A(b), bits(f(a - b))));
        assert.ok(checkElement(OpKind.RELU, [], A(a), NONE, bits(Math.max(a, 0))));
        assert.ok(checkElement(OpKind.RELU_GRAD, [], A(a), A(b), bits(b > 0 ? a : 0)));
        assert.ok(checkElement(OpKind.SCALED_DIFF, [bits(c)], A(a), A(b), bits(f(f(a - b) * c))));
        assert.ok(checkElement(OpKind.SGD_VELOCITY, [bits(c)], A(a), A(b), bits(f(f(c * a) + b))));
        assert.ok(checkElement(OpKind.SGD_WEIGHT, [bits(c)], A(a), A(b), bits(f(a - f(c * b)))));
        assert.ok(checkElement(OpKind.TANH_GRAD, [], A(a), A(Math.tanh(c)), bits(f(a * f(1 - f(f(Math.tanh(c)) * f(Math.tanh(c))))))));
        if (b !== 0) assert.ok(checkElement(OpKind.DIV_ROW, [], A(a), A(b), bits(f(a / b))));
        for (const [kind, fn] of [
          [OpKind.EXP, Math.exp],
          [OpKind.TANH, Math.tanh],
          [OpKind.SIGMOID, (x: number) => 1 / (1 + Math.exp(-x))],
        ] as const) {
          const x = c * 20 - 10;
          assert.ok(checkElement(kind, [], A(x), NONE, bits(f(fn(f(x))))), `kind ${kind} at ${x}`);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('honest matmuls are valid in any summation order, with or without FMA', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(midF32, midF32), { minLength: 1, maxLength: 64 }), (pairs) => {
        const a = A(...pairs.map((p) => p[0]));
        const b = A(...pairs.map((p) => p[1]));
        let forward = 0;
        for (const [x, w] of pairs) forward = f(forward + f(x * w));
        let backward = 0;
        for (const [x, w] of [...pairs].reverse()) backward = f(backward + x * w); // fused multiply-add: one rounding
        const product = (i: number): number => f((pairs[i]?.[0] ?? 0) * (pairs[i]?.[1] ?? 0));
        const pairwise = (lo: number, hi: number): number => (hi - lo === 1 ? product(lo) : f(pairwise(lo, (lo + hi) >> 1) + pairwise((lo + hi) >> 1, hi)));
        for (const y of [forward, backward, pairwise(0, pairs.length)]) assert.ok(checkElement(OpKind.MATMUL, [], a, b, bits(y)));
      }),
      { numRuns: 200 },
    );
  });

  it('agrees with an exact oracle for results near the bound', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(anyF32, anyF32), { minLength: 1, maxLength: 16 }), fc.integer({ min: -40, max: 40 }), (pairs, steps) => {
        const a = A(...pairs.map((p) => p[0]));
        const b = A(...pairs.map((p) => p[1]));
        const products = pairs.map(([x, w]) => mulDy(decode(bits(x)), decode(bits(w))));
        let approx = 0;
        for (const [x, w] of pairs) approx += x * w;
        const y = stepUlps(f(approx), steps);
        if (!Number.isFinite(y)) return;
        const k = pairs.length;
        const maxA = Math.max(1, ...pairs.map((p) => Math.abs(p[0])));
        const maxB = Math.max(1, ...pairs.map((p) => Math.abs(p[1])));
        const floor = mulDy(mulDy({ n: BigInt(16 * k), e: -126 }, decode(bits(maxA))), decode(bits(maxB)));
        const expected = exactWithin(products, y, BigInt(k), (1n << 24n) - BigInt(k), products, floor);
        assert.equal(checkElement(OpKind.MATMUL, [], a, b, bits(y)), expected);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(anyF32, anyF32, fc.integer({ min: -4, max: 4 }), (a, b, steps) => {
        const y = stepUlps(f(a + b), steps);
        if (!Number.isFinite(y)) return;
        const x = [decode(bits(a)), decode(bits(b))];
        const sum = x.reduce((s, d) => ({ n: (s.n << BigInt(s.e - Math.min(s.e, d.e))) + (d.n << BigInt(d.e - Math.min(s.e, d.e))), e: Math.min(s.e, d.e) }));
        const absSum = { n: sum.n < 0n ? -sum.n : sum.n, e: sum.e };
        assert.equal(checkElement(OpKind.BIAS_ADD, [], A(a), A(b), bits(y)), exactWithin(x, y, 1n, 1n << 24n, [absSum], SIGMA));
      }),
      { numRuns: 500 },
    );
  });

  it('rejects results just beyond the bound', () => {
    // 1·1 + 1·2^-30 = 1 + 2^-30 exactly: B = γ_2 (1 + 2^-30) + floor ≈ 2^-23
    const a = A(1, 1);
    const b = A(1, 2 ** -30);
    assert.ok(checkElement(OpKind.MATMUL, [], a, b, bits(1 + 2 ** -23)));
    assert.ok(!checkElement(OpKind.MATMUL, [], a, b, bits(1 + 2 ** -22)));
    assert.ok(!checkElement(OpKind.MATMUL, [], a, b, bits(1 - 2 ** -22)));
    // exp(1): 4 ulps of budget at e (ulp 2^-22 ... budget 4·2^-23·e ≈ 5.4 ulps of 2^-22)
    const e = bits(f(Math.E));
    assert.ok(checkElement(OpKind.EXP, [], A(1), NONE, e + 5));
    assert.ok(!checkElement(OpKind.EXP, [], A(1), NONE, e + 6));
    assert.ok(!checkElement(OpKind.RELU, [], A(-1), NONE, bits(1e-30)));
  });

  it('applies the special-value rules', () => {
    const inf = bits(Infinity);
    const nan = 0x7fc00000;
    assert.ok(checkElement(OpKind.BIAS_ADD, [], A(Infinity), A(1), bits(3)), 'infinite input: unconstrained');
    assert.ok(!checkElement(OpKind.BIAS_ADD, [], A(1), A(1), nan), 'NaN output of finite inputs');
    assert.ok(checkElement(OpKind.DIV_ROW, [], A(1), A(0), inf), 'division by zero');
    assert.ok(!checkElement(OpKind.DIV_ROW, [], A(1), A(0), bits(1)));
    assert.ok(checkElement(OpKind.BIAS_ADD, [], A(3e38), A(3e38), inf), 'overflow rounds to +Inf');
    assert.ok(!checkElement(OpKind.BIAS_ADD, [], A(3e38), A(3e38), bits(-Infinity)), 'wrong sign');
    assert.ok(!checkElement(OpKind.BIAS_ADD, [], A(1e38), A(1e38), inf), 'no overflow');
    assert.ok(checkElement(OpKind.EXP, [], A(89), NONE, inf));
    assert.ok(!checkElement(OpKind.EXP, [], A(80), NONE, inf));
    assert.ok(checkElement(OpKind.EXP, [], A(-200), NONE, bits(0)), 'underflow to zero');
    assert.ok(checkElement(OpKind.RELU, [], A(-0), NONE, bits(0)) && checkElement(OpKind.RELU, [], A(2), NONE, bits(2)));
  });

  it('tolerates flush-to-zero of subnormals', () => {
    const sub = 2 ** -140;
    assert.ok(checkElement(OpKind.BIAS_ADD, [], A(sub), A(0), bits(0)));
    assert.ok(checkElement(OpKind.MATMUL, [], A(sub, 1), A(1, 1), bits(1)));
    assert.ok(checkElement(OpKind.RELU_GRAD, [], A(5), A(sub), bits(0)), 'flushed pre-activation');
    assert.ok(checkElement(OpKind.RELU_GRAD, [], A(5), A(sub), bits(5)));
  });

  it('checks data loads exactly', () => {
    for (let v = 0; v < 256; v++) {
      assert.ok(checkLoadX(1, v, bits(f(v / 255))));
      assert.ok(checkLoadX(1, v, bits(f(v * f(1 / 255)))));
    }
    assert.ok(!checkLoadX(1, 200, bits(f(201 / 255))));
    assert.ok(checkLoadY(1, 3, 3, bits(1)) && checkLoadY(1, 3, 4, bits(0)) && !checkLoadY(1, 3, 4, bits(1)));
    assert.ok(checkLoadX(2, bits(0.25), bits(0.25)) && !checkLoadX(2, bits(0.25), bits(0.5)));
  });
});

describe('rule 3a: an overflowed partial sum or product is what correct implementations return', () => {
  const INF = 0x7f800000;
  const NEG_INF = 0xff800000;
  const NAN = 0x7fc00000;
  /** Σ in float32, left to right: each partial sum rounded, as a sequential kernel computes it. */
  const leftToRight = (xs: readonly number[]): number => xs.reduce((s, x) => f(s + x), 0);
  /** Pairwise Σ in float32, as a tree-reducing (SIMD or GPU) kernel computes it. */
  const pairwise = (xs: readonly number[]): number =>
    xs.length === 1 ? (xs[0] as number) : f(pairwise(xs.slice(0, xs.length >> 1)) + pairwise(xs.slice(xs.length >> 1)));

  it('a row whose exact sum is 1.3e38 may come back as +Inf or finite, and both are valid', () => {
    const row = [f(2e38), f(2e38), f(-2.7e38)];
    assert.equal(leftToRight(row), Infinity, 'the first partial sum overflows');
    assert.ok(Number.isFinite(leftToRight([row[0] as number, row[2] as number, row[1] as number])), 'another order does not');
    for (const kind of [OpKind.MATMUL, OpKind.ROW_SUM]) {
      const b = kind === OpKind.MATMUL ? A(1, 1, 1) : NONE;
      assert.equal(checkElement(kind, [], A(...row), b, INF), true, `kind ${kind}: +Inf`);
      assert.equal(
        checkElement(kind, [], A(...row), b, bits(leftToRight([row[0] as number, row[2] as number, row[1] as number]))),
        true,
        `kind ${kind}: finite`,
      );
    }
  });

  it('Inf - Inf gives NaN in a pairwise order: valid where the intermediates reach Ω', () => {
    const row = [f(3e38), f(3e38), f(-3e38), f(-3e38)];
    assert.ok(Number.isNaN(pairwise(row)));
    assert.equal(checkElement(OpKind.ROW_SUM, [], A(...row), NONE, NAN), true);
    assert.equal(checkElement(OpKind.MATMUL, [], A(...row), A(1, 1, 1, 1), NEG_INF), true);
  });

  it('the sign follows the terms that can overflow: all positive terms give +Inf only', () => {
    const row = [f(2e38), f(2e38), f(1)];
    assert.equal(checkElement(OpKind.ROW_SUM, [], A(...row), NONE, INF), true);
    assert.equal(checkElement(OpKind.ROW_SUM, [], A(...row), NONE, NEG_INF), false, 'no negative partial sum can reach -Ω');
    assert.equal(checkElement(OpKind.ROW_SUM, [], A(...row), NONE, NAN), false, 'Inf - Inf needs both signs');
  });

  it('far below Ω nothing can overflow: ±Inf and NaN stay invalid', () => {
    const row = [f(1e37), f(1e37), f(-1e37)];
    for (const y of [INF, NEG_INF, NAN]) {
      assert.equal(checkElement(OpKind.ROW_SUM, [], A(...row), NONE, y), false);
      assert.equal(checkElement(OpKind.MATMUL, [], A(...row), A(1, 1, 1), y), false);
    }
  });

  it('SGD and SCALED_DIFF: an overflowed product or difference may reach the output', () => {
    // velocity c·a + b with c·a = 0.9·3.4e38·... : a product above Ω is Inf without FMA.
    assert.equal(checkElement(OpKind.SGD_VELOCITY, [bits(2)], A(3e38), A(-3e38), INF), true, 'c·a overflows, x = 3e38');
    // MSE gradient (a - b)·c with a - b above Ω and c = 2/(B·n): x finite, the difference is Inf.
    const c = f(2 / 640);
    assert.equal(f(f(3e38 - -3e38) * c), Infinity);
    assert.equal(checkElement(OpKind.SCALED_DIFF, [bits(c)], A(3e38), A(-3e38), INF), true);
    assert.equal(checkElement(OpKind.SCALED_DIFF, [bits(c)], A(1e38), A(-1e38), INF), false, 'a - b = 2e38 cannot overflow');
  });
});
