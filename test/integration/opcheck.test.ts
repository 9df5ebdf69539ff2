// Differential tests: the on-chain element checker (contracts/libraries/LibOpCheck.sol) against the
// TypeScript reference (sdk/tolerance/exact.ts) on a real EVM (Hardhat's in-process network).
// Thousands of generated cases per run, batched into few eth_calls: honest results, values just
// inside and just outside the bound (found by searching the fp32 line with the reference), huge
// exponent spreads, cancellation, subnormals, NaN and Inf. The verdicts must agree one for one.
// A second part proves real openings (SDK trees) through the proof-carrying entry points and
// checks that tampering with any proof reverts.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { network } from 'hardhat';
import { bytesToHex, type Hex } from 'viem';
import {
  batchRecordIndex,
  checkElement,
  checkLoadX,
  checkLoadY,
  DatasetTree,
  exactVerdict,
  fp32Bits,
  fp32Class,
  fp32FromBits,
  MerkleTree,
  opLeaf,
  OpKind,
  TensorTree,
  TRACE_LEAF_BYTES,
  type OpDesc,
  type Tensor,
} from '../../sdk/index.ts';

const { viem } = await network.create();

// ------------------------------------------------------------------ fp32 generators

const f32 = Math.fround;
const SPECIALS = [
  0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00001, 0x00000001, 0x80000001, 0x007fffff, 0x00800000, 0x80800000, 0x7f7fffff, 0xff7fffff,
  0x3f800000, 0xbf800000, 0x33800000, 0x4b800000,
];
/** Any bit pattern (NaN and Inf included). */
const anyBits = fc.nat({ max: 0xffffffff });
/** Finite values of training-like magnitude. */
const midBits = fc.float({ min: f32(-1e4), max: f32(1e4), noNaN: true, noDefaultInfinity: true }).map(fp32Bits);
/** Finite values over the whole exponent range. */
const wideBits = fc.float({ noNaN: true, noDefaultInfinity: true }).map(fp32Bits);
/** Subnormals and values near σ = 2^-126. */
const tinyBits = fc.tuple(fc.boolean(), fc.nat({ max: 0x00ffffff })).map(([s, m]) => ((s ? 0x80000000 : 0) | m) >>> 0);
const specialBits = fc.constantFrom(...SPECIALS);
/** The mixture every kind draws its inputs from. */
const valueBits = fc.oneof(
  { weight: 6, arbitrary: midBits },
  { weight: 3, arbitrary: wideBits },
  { weight: 2, arbitrary: tinyBits },
  { weight: 1, arbitrary: specialBits },
  { weight: 1, arbitrary: anyBits },
);

/** Order-preserving integer of finite bits (±0 both 0), and back. */
const order = (b: number): number => (b >>> 31 ? -(b & 0x7fffffff) : b);
const fromOrder = (o: number): number => (o < 0 ? (0x80000000 | -o) >>> 0 : o);
const MAX_ORDER = 0x7f800000; // +Inf
const stepBits = (b: number, steps: number): number => fromOrder(Math.max(-MAX_ORDER, Math.min(MAX_ORDER, order(b) + steps)));
const isNaNBits = (b: number): boolean => (b & 0x7fffffff) > 0x7f800000;

// ------------------------------------------------------------------ honest results (float64, rounded once)

const val = (b: number): number => fp32FromBits(b);
function honest(kind: number, params: readonly number[], a: Uint32Array, b: Uint32Array): number {
  const a0 = val(a[0] ?? 0);
  const b0 = val(b[0] ?? 0);
  const c = val(params[0] ?? 0);
  switch (kind) {
    case OpKind.MATMUL:
      return fp32Bits(Array.from(a).reduce((s, ai, i) => s + val(ai) * val(b[i] ?? 0), 0));
    case OpKind.ROW_SUM:
      return fp32Bits(Array.from(a).reduce((s, ai) => s + val(ai), 0));
    case OpKind.ROW_MAX:
      return fp32Bits(Math.max(...Array.from(a, val)));
    case OpKind.BIAS_ADD:
      return fp32Bits(a0 + b0);
    case OpKind.SUB_ROW:
      return fp32Bits(a0 - b0);
    case OpKind.DIV_ROW:
      return fp32Bits(a0 / b0);
    case OpKind.RELU:
      return fp32Bits(Math.max(a0, 0));
    case OpKind.RELU_GRAD:
      return fp32Bits(b0 > 0 ? a0 : 0);
    case OpKind.TANH:
      return fp32Bits(Math.tanh(a0));
    case OpKind.SIGMOID:
      return fp32Bits(1 / (1 + Math.exp(-a0)));
    case OpKind.EXP:
      return fp32Bits(Math.exp(a0));
    case OpKind.TANH_GRAD:
      return fp32Bits(a0 * (1 - b0 * b0));
    case OpKind.SIGMOID_GRAD:
      return fp32Bits(a0 * b0 * (1 - b0));
    case OpKind.SCALED_DIFF:
      return fp32Bits((a0 - b0) * c);
    case OpKind.TRANSPOSE:
      return a[0] ?? 0;
    case OpKind.SGD_VELOCITY:
      return fp32Bits(c * a0 + b0);
    case OpKind.SGD_WEIGHT:
      return fp32Bits(a0 - c * b0);
    default:
      throw new RangeError(`kind ${kind}`);
  }
}

// ------------------------------------------------------------------ cases

interface Case {
  kind: number;
  params: number[];
  a: Uint32Array;
  b: Uint32Array;
  y: number;
}

const UNARY = new Set<number>([OpKind.RELU, OpKind.TANH, OpKind.SIGMOID, OpKind.EXP, OpKind.TRANSPOSE]);
const PARAM = new Set<number>([OpKind.SCALED_DIFF, OpKind.SGD_VELOCITY, OpKind.SGD_WEIGHT]);
const ELEMENTWISE = [4, 5, 6, 7, 8, 9, 10, 12, 13, 15, 16, 17, 18, 19];
const ROWS = [OpKind.MATMUL, OpKind.ROW_SUM, OpKind.ROW_MAX];

/** Param c: training-like (learning rate, momentum, 1/B) or anything. */
const paramBits = fc.oneof(
  { weight: 3, arbitrary: fc.float({ min: f32(1e-4), max: f32(0.999), noNaN: true }).map(fp32Bits) },
  { weight: 1, arbitrary: valueBits },
);

/** Row operands: independent, cancelling pairs, or a huge spread of exponents. */
const rowPair = (maxK: number): fc.Arbitrary<{ a: Uint32Array; b: Uint32Array }> =>
  fc.integer({ min: 1, max: maxK }).chain((k) =>
    fc
      .oneof(
        fc.tuple(fc.array(valueBits, { minLength: k, maxLength: k }), fc.array(valueBits, { minLength: k, maxLength: k })),
        fc.tuple(fc.array(midBits, { minLength: k, maxLength: k }), fc.array(midBits, { minLength: k, maxLength: k })),
        // Cancellation: the second half repeats the first with one operand negated, plus a tiny term.
        fc.tuple(fc.array(wideBits, { minLength: k, maxLength: k }), fc.array(wideBits, { minLength: k, maxLength: k }), tinyBits).map(
          ([x, z, t]) =>
            [
              [...x, ...x, t],
              [...z, ...z.map((v) => (v ^ 0x80000000) >>> 0), 0x3f800000],
            ] as [number[], number[]],
        ),
      )
      .map(([x, z]) => ({ a: Uint32Array.from(x), b: Uint32Array.from(z) })),
  );

/** Operands of one case of `kind`. */
function operands(kind: number, maxK: number): fc.Arbitrary<Omit<Case, 'y'>> {
  if (kind === OpKind.MATMUL) return rowPair(maxK).map(({ a, b }) => ({ kind, params: [], a, b }));
  if (kind === OpKind.ROW_SUM || kind === OpKind.ROW_MAX) {
    return rowPair(maxK).map(({ a }) => ({ kind, params: [], a, b: new Uint32Array(0) }));
  }
  const aArb =
    kind === OpKind.EXP || kind === OpKind.SIGMOID || kind === OpKind.TANH
      ? fc.oneof(valueBits, fc.float({ min: f32(-150), max: f32(150), noNaN: true }).map(fp32Bits))
      : valueBits;
  return fc.tuple(aArb, valueBits, paramBits).map(([a, b, c]) => ({
    kind,
    params: PARAM.has(kind) ? [c] : [],
    a: Uint32Array.of(a),
    b: UNARY.has(kind) ? new Uint32Array(0) : Uint32Array.of(b),
  }));
}

const ref = (c: Omit<Case, 'y'>, y: number): boolean => checkElement(c.kind, c.params, c.a, c.b, y);

/** The last fp32 in direction `dir` from a valid y0 that the reference still accepts. */
function edge(c: Omit<Case, 'y'>, y0: number, dir: 1 | -1): number {
  let lo = 0; // valid
  let step = 1;
  while (step < 2 * MAX_ORDER && ref(c, stepBits(y0, dir * step))) {
    lo = step;
    step *= 2;
  }
  let hi = step; // invalid (or past the end)
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (ref(c, stepBits(y0, dir * mid))) lo = mid;
    else hi = mid;
  }
  return stepBits(y0, dir * lo);
}

/** y values for one operand set: honest, the edges of the valid interval and their outer
 *  neighbours, random perturbations, and random bits. */
function yValues(c: Omit<Case, 'y'>, rnd: () => number): number[] {
  const h = honest(c.kind, c.params, c.a, c.b);
  const ys = [h, stepBits(h, 1), stepBits(h, -1), stepBits(h, Math.floor(rnd() * 4096) - 2048), Math.floor(rnd() * 2 ** 32) >>> 0];
  if (!isNaNBits(h) && (h & 0x7f800000) !== 0x7f800000 && ref(c, h)) {
    const up = edge(c, h, 1);
    const down = edge(c, h, -1);
    ys.push(up, stepBits(up, 1), down, stepBits(down, -1));
  }
  ys.push(0x7f800000, 0xff800000, 0x7fc00000, 0, 0x80000000);
  return ys;
}

/** A deterministic stream of cases for `kind`. */
function casesFor(kind: number, operandSets: number, maxK: number, seed: number): Case[] {
  const ops = fc.sample(operands(kind, maxK), { numRuns: operandSets, seed });
  let s = seed;
  const rnd = (): number => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
  return ops.flatMap((o) => yValues(o, rnd).map((y) => ({ ...o, y })));
}

// ------------------------------------------------------------------ tests

describe('LibOpCheck agrees with sdk/tolerance/exact.ts', () => {
  let harness: Awaited<ReturnType<typeof viem.deployContract<'OpCheckHarness'>>>;
  before(async () => {
    harness = await viem.deployContract('OpCheckHarness');
  });

  async function compare(cases: Case[], batch: number): Promise<{ valid: number; invalid: number }> {
    let valid = 0;
    for (let i = 0; i < cases.length; i += batch) {
      const chunk = cases.slice(i, i + batch);
      const onChain = await harness.read.checkElements([chunk.map((c) => ({ kind: c.kind, params: c.params, a: [...c.a], b: [...c.b], y: c.y }))]);
      chunk.forEach((c, j) => {
        const want = ref(c, c.y);
        if (onChain[j] !== want) {
          const hex = (xs: Iterable<number>): string => Array.from(xs, (v) => v.toString(16)).join(',');
          assert.fail(
            `kind ${c.kind} params [${hex(c.params)}] a [${hex(c.a)}] b [${hex(c.b)}] y ${c.y.toString(16)}: ` +
              `chain ${String(onChain[j])}, reference ${String(want)}`,
          );
        }
        if (want) valid++;
      });
    }
    return { valid, invalid: cases.length - valid };
  }

  /** Compares a campaign of at least `min` cases (its generator did not shrink) in which both verdicts occur. */
  async function campaign(cases: Case[], batch: number, min: number): Promise<{ valid: number; invalid: number }> {
    assert.ok(cases.length >= min, `${cases.length} cases, expected at least ${min}`);
    const counts = await compare(cases, batch);
    assert.ok(counts.valid > 0 && counts.invalid > 0, `both verdicts exercised (${counts.valid} valid, ${counts.invalid} invalid)`);
    return counts;
  }

  for (const kind of ELEMENTWISE) {
    it(`kind ${kind}: elementwise verdicts agree (boundary, spread, specials)`, async () => {
      // 100 operand sets, 10 to 14 values of y each.
      await campaign(casesFor(kind, 100, 1, 1000 + kind), 200, 1_000);
    });
  }

  for (const kind of ROWS) {
    it(`kind ${kind}: row verdicts agree (K up to 64, cancellation, spread)`, async () => {
      await campaign(casesFor(kind, 80, 64, 2000 + kind), 100, 800);
    });
  }

  it('matmul verdicts agree at K = 1024 on training-like rows, at the edges of the bound', async () => {
    const rows = fc.sample(fc.tuple(fc.array(midBits, { minLength: 1024, maxLength: 1024 }), fc.array(midBits, { minLength: 1024, maxLength: 1024 })), {
      numRuns: 3,
      seed: 7,
    });
    const cases: Case[] = rows.flatMap(([x, z]) => {
      const o = { kind: OpKind.MATMUL, params: [], a: Uint32Array.from(x), b: Uint32Array.from(z) };
      const h = honest(o.kind, o.params, o.a, o.b);
      const up = edge(o, h, 1);
      const down = edge(o, h, -1);
      return [h, up, stepBits(up, 1), down, stepBits(down, -1)].map((y) => ({ ...o, y }));
    });
    // Per row: the honest result and both edges are valid, one ulp beyond either edge is not.
    const { valid, invalid } = await compare(cases, 5);
    assert.deepEqual({ valid, invalid }, { valid: 3 * rows.length, invalid: 2 * rows.length });
  });

  it('row verdicts agree at K = 300 over the whole fp32 range', async () => {
    await campaign(
      [OpKind.MATMUL, OpKind.ROW_SUM].flatMap((kind) => casesFor(kind, 6, 300, 3000 + kind)),
      10,
      120,
    );
  });

  it('LOAD_X and LOAD_Y verdicts agree', async () => {
    const xs = fc.sample(fc.tuple(fc.nat({ max: 255 }), fc.integer({ min: -3, max: 3 }), valueBits, fc.boolean()), { numRuns: 400, seed: 11 });
    const enc: number[] = [];
    const raw: number[] = [];
    const ys: number[] = [];
    for (const [v, d, any, f32enc] of xs) {
      enc.push(f32enc ? 2 : 1);
      raw.push(f32enc ? any : v);
      ys.push(f32enc ? (d === 0 ? any : stepBits(any, d)) : stepBits(fp32Bits(v / 255), d));
    }
    const onChain = await harness.read.checkLoadXs([enc, raw, ys]);
    onChain.forEach((got, i) => {
      assert.equal(got, checkLoadX(enc[i] as number, raw[i] as number, ys[i] as number), `load x case ${i}`);
    });

    const ls = fc.sample(
      fc.tuple(fc.nat({ max: 9 }), fc.nat({ max: 9 }), fc.constantFrom(0, 0x80000000, 0x3f800000, 0x3f800001, 0xbf800000), valueBits, fc.boolean()),
      { numRuns: 400, seed: 12 },
    );
    const lEnc = ls.map(([, , , , f]) => (f ? 2 : 1));
    const lRaw = ls.map(([cls, , , any, f]) => (f ? any : cls));
    const lCol = ls.map(([, col]) => col);
    const lY = ls.map(([, , y, any, f]) => (f ? stepBits(any, y === 0 ? 0 : 1) : y));
    const onChainY = await harness.read.checkLoadYs([lEnc, lRaw, lCol, lY]);
    onChainY.forEach((got, i) => {
      assert.equal(got, checkLoadY(lEnc[i] as number, lRaw[i] as number, lCol[i] as number, lY[i] as number), `load y case ${i}`);
    });
  });

  it('rule 3a: where a product or partial sum may overflow, both agree that ±Inf and NaN are valid, and not below', async () => {
    const INF = 0x7f800000;
    const NAN = 0x7fc00000;
    const big = fc.float({ min: f32(1e37), max: f32(3.4e38), noNaN: true }).map((v) => fp32Bits(v));
    const signed = fc.tuple(big, fc.boolean()).map(([v, n]) => (n ? (v | 0x80000000) >>> 0 : v));
    const rows = fc.sample(fc.array(signed, { minLength: 2, maxLength: 8 }), { numRuns: 120, seed: 31 });
    const cases: Case[] = rows.flatMap((row) => {
      const a = Uint32Array.from(row);
      const ones = Uint32Array.from(row, () => 0x3f800000);
      const halves = Uint32Array.from(row, () => 0x3f000000); // products of half the size: below Ω more often
      return [INF, (INF | 0x80000000) >>> 0, NAN].flatMap((y) => [
        { kind: OpKind.MATMUL, params: [], a, b: ones, y },
        { kind: OpKind.MATMUL, params: [], a, b: halves, y },
        { kind: OpKind.ROW_SUM, params: [], a, b: new Uint32Array(0), y },
      ]);
    });
    const pairs = fc.sample(fc.tuple(signed, signed, fc.constantFrom(0x3f666666, 0x3c800000, 0x40000000)), { numRuns: 150, seed: 32 });
    for (const [x, z, c] of pairs) {
      for (const y of [INF, (INF | 0x80000000) >>> 0, NAN]) {
        for (const kind of [OpKind.SGD_VELOCITY, OpKind.SGD_WEIGHT, OpKind.SCALED_DIFF])
          cases.push({ kind, params: [c], a: Uint32Array.of(x), b: Uint32Array.of(z), y });
      }
    }
    const { valid, invalid } = await compare(cases, 60);
    assert.ok(valid > 100 && invalid > 100, `both verdicts exercised (${valid} valid, ${invalid} invalid)`);
  });

  it('both agree with an independent exact-rational reference where huge terms cancel (values >= 2^38)', async () => {
    const kinds = [OpKind.BIAS_ADD, OpKind.SUB_ROW, OpKind.TANH_GRAD, OpKind.SIGMOID_GRAD, OpKind.SCALED_DIFF, OpKind.SGD_VELOCITY, OpKind.SGD_WEIGHT];
    const draws = fc.sample(
      fc.tuple(
        fc.constantFrom(...kinds),
        fc.integer({ min: 38, max: 126 }),
        fc.double({ min: 0.5, max: 1, noNaN: true }),
        fc.integer({ min: -125, max: 100 }),
        fc.integer({ min: 20, max: 25 }),
        fc.boolean(),
      ),
      { numRuns: 500, seed: 41 },
    );
    const cases: Case[] = [];
    for (const [kind, ea, fa, ec, k, nudge] of draws) {
      const a = f32(fa * 2 ** ea);
      const c = f32(2 ** ec * 0.75);
      const b =
        kind === OpKind.BIAS_ADD
          ? -a
          : kind === OpKind.SUB_ROW || kind === OpKind.SCALED_DIFF
            ? nudge
              ? f32(a * (1 + 2 ** -23))
              : a
            : kind === OpKind.SGD_VELOCITY
              ? f32(-c * a)
              : kind === OpKind.SGD_WEIGHT
                ? f32(a / c)
                : nudge
                  ? f32(1 + 2 ** -23)
                  : 1;
      if (![a, b, c].every(Number.isFinite)) continue;
      // y around the bound of a cancelled x: a few ulps either side of 2^-k of the largest magnitude, and σ-sized.
      for (const y0 of [0, f32(Math.abs(a) * 2 ** -k), f32(-Math.abs(a) * 2 ** -k), 2 ** -125, 2 ** -60]) {
        for (const d of [-1, 0, 1]) {
          const y = stepBits(fp32Bits(y0), d);
          if (fp32Class(y) !== 'finite') continue;
          const params = kind === OpKind.SCALED_DIFF || kind === OpKind.SGD_VELOCITY || kind === OpKind.SGD_WEIGHT ? [fp32Bits(c)] : [];
          cases.push({ kind, params, a: Uint32Array.of(fp32Bits(a)), b: Uint32Array.of(fp32Bits(b)), y });
        }
      }
    }
    for (const c of cases) {
      const want = exactVerdict(c.kind, fp32FromBits(c.a[0] ?? 0), fp32FromBits(c.b[0] ?? 0), fp32FromBits(c.params[0] ?? 0), fp32FromBits(c.y));
      assert.equal(
        ref(c, c.y),
        want,
        `kind ${c.kind}: the SDK departs from exact arithmetic (a ${c.a[0]?.toString(16)}, b ${c.b[0]?.toString(16)}, y ${c.y.toString(16)})`,
      );
    }
    const { valid, invalid } = await compare(cases, 200);
    assert.ok(valid > 100 && invalid > 100, `both verdicts exercised (${valid} valid, ${invalid} invalid)`);
  });
});

// ------------------------------------------------------------------ proof-carrying entry points

const toHex = (b: Uint8Array): Hex => bytesToHex(b);
const randomData = (n: number, seed: number): Float32Array => {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    out[i] = (s / 2 ** 31 - 0.5) * 2;
  }
  return out;
};

/**
 * A small step: state tensors, an op trace and a graph, with trees for every opening. The trace
 * (§3.1) is the state in the trace layout, then the op outputs; ops read state tensors there.
 */
function buildStep(ops: OpDesc[], outputs: Tensor[], state: Tensor[]) {
  const traceTensors = [...state, ...outputs];
  const traceTrees = traceTensors.map((t) => new TensorTree(t, TRACE_LEAF_BYTES));
  const leaves = (roots: Hex[]): Uint8Array => Uint8Array.from(roots.flatMap((r) => [...Buffer.from(r.slice(2), 'hex')]));
  const stateTree = new MerkleTree(leaves(state.map((t) => new TensorTree(t).root)));
  const traceTree = new MerkleTree(leaves(traceTrees.map((t) => t.root)));
  const graphTree = new MerkleTree(Uint8Array.from(ops.flatMap((o) => [...opLeaf(o)])));
  const roots = { graphRoot: graphTree.root, opCount: BigInt(ops.length), stateCount: BigInt(state.length), traceRoot: traceTree.root };
  const opening = (space: number, index: number, first: number, count: number) => {
    const position = space === 0 ? index : state.length + index;
    const tree = traceTrees[position];
    if (tree === undefined) throw new RangeError('no such tensor');
    const o = tree.open(first, count);
    return { leaves: toHex(o.leaves), leafProof: [...o.proof.siblings], rootProof: [...traceTree.rangeProof(position, 1).siblings] };
  };
  /** checkStateLink's arguments for element `e` of state tensor `t` and its copy at trace position t. */
  const link = (t: number, e: number) => {
    const tensor = state[t] as Tensor;
    const n = tensor.data.length;
    const at = Math.min(e, n - 1);
    const s = new TensorTree(tensor).open(at, 1);
    const first = Math.floor(at / 512) * 512;
    const tr = (traceTrees[t] as TensorTree).open(first, Math.min(512, n - first));
    const opening = {
      shape: [...tensor.shape],
      block: toHex(s.leaves),
      stateLeafProof: [...s.proof.siblings],
      stateRootProof: [...stateTree.rangeProof(t, 1).siblings],
      traceLeafProof: [...tr.proof.siblings],
      traceRootProof: [...traceTree.rangeProof(t, 1).siblings],
    };
    return [stateTree.root, BigInt(state.length), BigInt(t), traceTree.root, BigInt(traceTensors.length), BigInt(t), BigInt(e), opening] as const;
  };
  const desc = (op: OpDesc) => ({
    kind: op.kind,
    shape: [...op.shape],
    inputs: op.inputs.map((i) => ({ space: i.space, index: i.index, shape: [...i.shape] })),
    params: [...op.params],
  });
  return { roots, opening, link, desc, opProof: (i: number) => [...graphTree.rangeProof(i, 1).siblings] };
}

describe('LibOpCheck proof-carrying entry points', () => {
  let harness: Awaited<ReturnType<typeof viem.deployContract<'OpCheckProofHarness'>>>;
  let loads: Awaited<ReturnType<typeof viem.deployContract<'OpCheckLoadHarness'>>>;
  /** checkOpElement's verdict (reverts propagate). */
  const verdict = async (args: Parameters<typeof harness.read.checkOpElementGas>[0]): Promise<boolean> => (await harness.read.checkOpElementGas(args))[0];
  before(async () => {
    harness = await viem.deployContract('OpCheckProofHarness');
    loads = await viem.deployContract('OpCheckLoadHarness');
  });

  // Graph: 0 MATMUL(X [4,600] trace-free state 0, W [3,600] state 1) -> [4,3]; 1 BIAS_ADD(op0, state 2 [3]) -> [4,3];
  // 2 TRANSPOSE(op1) -> [3,4]; 3 ROW_SUM(op2) -> [3]; 4 SGD_WEIGHT(state 2, op3) -> [3].
  const K = 600;
  const x: Tensor = { shape: [4, K], data: randomData(4 * K, 1) };
  const w: Tensor = { shape: [3, K], data: randomData(3 * K, 2) };
  const bias: Tensor = { shape: [3], data: randomData(3, 3) };
  const z = new Float32Array(12);
  for (let i = 0; i < 4; i++)
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += (x.data[i * K + k] as number) * (w.data[j * K + k] as number);
      z[i * 3 + j] = s;
    }
  const zb = z.map((v, e) => v + (bias.data[e % 3] as number));
  const zt = new Float32Array(12);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) zt[i * 4 + j] = zb[j * 3 + i] as number;
  const rs = Float32Array.from([0, 1, 2], (i) => (zt[i * 4] as number) + (zt[i * 4 + 1] as number) + (zt[i * 4 + 2] as number) + (zt[i * 4 + 3] as number));
  const eta = fp32Bits(0.01);
  const upd = Float32Array.from([0, 1, 2], (i) => (bias.data[i] as number) - Math.fround(0.01) * (rs[i] as number));
  upd[1] = (upd[1] as number) + 1; // element 1 of the update is a fraud
  const ops: OpDesc[] = [
    {
      name: 'mm',
      kind: OpKind.MATMUL,
      shape: [4, 3],
      inputs: [
        { space: 0, index: 0, shape: [4, K] },
        { space: 0, index: 1, shape: [3, K] },
      ],
      params: [],
    },
    {
      name: 'bias',
      kind: OpKind.BIAS_ADD,
      shape: [4, 3],
      inputs: [
        { space: 1, index: 0, shape: [4, 3] },
        { space: 0, index: 2, shape: [3] },
      ],
      params: [],
    },
    { name: 't', kind: OpKind.TRANSPOSE, shape: [3, 4], inputs: [{ space: 1, index: 1, shape: [4, 3] }], params: [] },
    { name: 'sum', kind: OpKind.ROW_SUM, shape: [3], inputs: [{ space: 1, index: 2, shape: [3, 4] }], params: [] },
    {
      name: 'sgd',
      kind: OpKind.SGD_WEIGHT,
      shape: [3],
      inputs: [
        { space: 0, index: 2, shape: [3] },
        { space: 1, index: 3, shape: [3] },
      ],
      params: [eta],
    },
  ];
  const outputs: Tensor[] = [
    { shape: [4, 3], data: z },
    { shape: [4, 3], data: zb },
    { shape: [3, 4], data: zt },
    { shape: [3], data: rs },
    { shape: [3], data: upd },
  ];
  const step = buildStep(ops, outputs, [x, w, bias]);

  /** Arguments of checkOpElement for element `e` of op `i`. */
  function args(i: number, e: number) {
    const op = ops[i] as OpDesc;
    const cols = op.shape[op.shape.length - 1] as number;
    const ranges: [number, number][] = (() => {
      switch (op.kind) {
        case OpKind.MATMUL:
          return [
            [Math.floor(e / cols) * K, K],
            [(e % cols) * K, K],
          ];
        case OpKind.BIAS_ADD:
          return [
            [e, 1],
            [e % cols, 1],
          ];
        case OpKind.TRANSPOSE:
          return [[(e % cols) * (op.shape[0] as number) + Math.floor(e / cols), 1]];
        case OpKind.ROW_SUM:
          return [[e * 4, 4]];
        default:
          return [
            [e, 1],
            [e, 1],
          ];
      }
    })();
    const inputs = op.inputs.map((inp, j) => step.opening(inp.space, inp.index, ...(ranges[j] as [number, number])));
    return [step.roots, step.desc(op), BigInt(i), step.opProof(i), BigInt(e), inputs, step.opening(1, i, e, 1)] as const;
  }

  it('descriptor leaves agree with the SDK (sha256 of abi.encode)', async () => {
    for (const op of ops) assert.equal(await loads.read.opLeaf([step.desc(op)]), bytesToHex(opLeaf(op)));
  });

  it('honest elements of every op are valid and the fraud is caught', async () => {
    for (let i = 0; i < ops.length; i++) {
      const n = (outputs[i] as Tensor).data.length;
      for (let e = 0; e < n; e++) {
        const got = await verdict(args(i, e));
        assert.equal(got, !(i === 4 && e === 1), `op ${i} element ${e}`);
      }
    }
  });

  it('a tampered descriptor, input, output or root proof reverts', async () => {
    const [roots, desc, idx, opProof, e, inputs, output] = args(0, 5);
    const flip = (h: Hex): Hex => `0x${h.slice(2, 65)}${h.endsWith('0') ? '1' : '0'}`;
    await assert.rejects(verdict([roots, { ...desc, params: [1] }, idx, opProof, e, inputs, output]), /OpCheckDescriptorInvalid/);
    await assert.rejects(verdict([roots, desc, 1n, opProof, e, inputs, output]), /OpCheckDescriptorInvalid/);
    const badLeaves = { ...inputs[1], leaves: `0x00${(inputs[1]?.leaves ?? '0x').slice(4)}` as Hex } as (typeof inputs)[number];
    await assert.rejects(verdict([roots, desc, idx, opProof, e, [inputs[0] as (typeof inputs)[number], badLeaves], output]), /OpCheckOpeningInvalid/);
    const badRoot = { ...inputs[0], rootProof: (inputs[0]?.rootProof ?? []).map(flip) } as (typeof inputs)[number];
    await assert.rejects(verdict([roots, desc, idx, opProof, e, [badRoot, inputs[1] as (typeof inputs)[number]], output]), /OpCheckOpeningInvalid/);
    const badOut = { ...output, rootProof: output.rootProof.map(flip) };
    await assert.rejects(verdict([roots, desc, idx, opProof, e, inputs, badOut]), /OpCheckOpeningInvalid/);
    // A different y in the output leaf (the claimed element itself) breaks the output's root.
    const yAt = 2 + 5 * 8;
    const badY = {
      ...output,
      leaves: `${output.leaves.slice(0, yAt)}${output.leaves.slice(yAt, yAt + 2) === 'ff' ? '00' : 'ff'}${output.leaves.slice(yAt + 2)}` as Hex,
    };
    await assert.rejects(verdict([roots, desc, idx, opProof, e, inputs, badY]), /OpCheckOpeningInvalid/);
    await assert.rejects(verdict([roots, desc, idx, opProof, e, inputs.slice(0, 1), output]), /OpCheckInputCountInvalid/);
    // The right leaves at the wrong element: the proof of another row fails.
    await assert.rejects(verdict([roots, desc, idx, opProof, 0n, inputs, output]), /OpCheckOpeningInvalid|TensorLeavesLengthInvalid|MerkleProofLengthInvalid/);
  });

  it('a state leaf links to the trace copy of it; another block, tensor or position does not', async () => {
    const holds = async (a: Parameters<typeof harness.read.checkStateLinkGas>[0]): Promise<boolean> => (await harness.read.checkStateLinkGas(a))[0];
    // w has 1800 elements: state leaves 0..3 (the last one partial), trace leaves 0..56.
    for (const e of [0, 511, 512, 1700, 1799, 5000]) assert.equal(await holds(step.link(1, e)), true, `element ${e}`);
    const [sr, sc, t, tr, tc, pos, e, o] = step.link(1, 700);
    const flipped = `0x${o.block.slice(2, 10)}${o.block.slice(10, 12) === 'ff' ? '00' : 'ff'}${o.block.slice(12)}` as Hex;
    await assert.rejects(holds([sr, sc, t, tr, tc, pos, e, { ...o, block: flipped }]), /OpCheckStateLeafInvalid/);
    await assert.rejects(holds([sr, sc, 0n, tr, tc, pos, e, o]), /OpCheckStateLeafInvalid/);
    // The state leaf of element 700 is block 1, not block 2.
    await assert.rejects(holds([sr, sc, t, tr, tc, pos, 1100n, o]), /OpCheckStateLeafInvalid/);
    // The right state leaf, linked to the wrong trace tensor: the link does not hold.
    assert.equal(await holds([sr, sc, t, tr, tc, 0n, e, o]), false);
  });

  it('a trace copy that differs from the state in one element does not link there', async () => {
    const wrong = { ...w, data: w.data.slice() };
    wrong.data[1000] = (wrong.data[1000] as number) + 1;
    const forged = buildStep(ops, outputs, [x, wrong, bias]);
    // The forged trace copies `wrong`; the state root commits to w: the state's leaf does not link.
    const [sr, sc, t, , tc, pos, e, honest] = step.link(1, 1000);
    const forgedTrace = forged.roots.traceRoot;
    assert.equal((await harness.read.checkStateLinkGas([sr, sc, t, forgedTrace, tc, pos, e, honest]))[0], false);
    // Nor can the forged leaf be passed off as the state's.
    const [, , , , , , , o] = forged.link(1, 1000);
    await assert.rejects(harness.read.checkStateLinkGas([sr, sc, t, forgedTrace, tc, pos, e, o]), /OpCheckStateLeafInvalid/);
  });

  it('for random sizes and elements, a state leaf links iff the trace copy holds its bytes', async () => {
    const other: Tensor = { shape: [5], data: randomData(5, 9) };
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 3000 }), fc.nat(), fc.nat(), fc.boolean(), async (n, a, b, tamper) => {
        const tensor: Tensor = { shape: [n], data: randomData(n, n) };
        const e = a % (n + 600); // past the end now and then: the last leaf is opened
        const block = Math.floor(Math.min(e, n - 1) / 512);
        const copy = tensor.data.slice();
        if (tamper) {
          const i = block * 512 + (b % Math.min(512, n - block * 512));
          copy[i] = (copy[i] as number) + 1;
        }
        const forged = buildStep(ops, outputs, [{ shape: [n], data: copy }, other]);
        const honest = buildStep(ops, outputs, [tensor, other]);
        const [sr, sc, t, , tc, pos, el, o] = honest.link(0, e);
        const [holds] = await harness.read.checkStateLinkGas([sr, sc, t, forged.roots.traceRoot, tc, pos, el, o]);
        assert.equal(holds, !tamper);
        // The solver's own client builds the same opening from the forged trace: it fails the same way.
        const [, , , , , , , own] = forged.link(0, e);
        if (tamper) await assert.rejects(harness.read.checkStateLinkGas([sr, sc, t, forged.roots.traceRoot, tc, pos, el, own]), /OpCheckStateLeafInvalid/);
      }),
      { numRuns: 40 },
    );
  });

  it('data loads: records proved against the dataset root, u8-unit features and class labels', async () => {
    const features = 5;
    const classes = 3;
    const recordBytes = features + 1;
    const R = 7;
    const records = new Uint8Array(R * recordBytes);
    for (let r = 0; r < R; r++) {
      for (let f = 0; f < features; f++) records[r * recordBytes + f] = (r * 37 + f * 11) % 256;
      records[r * recordBytes + features] = r % classes;
    }
    const ds = new DatasetTree(records, recordBytes);
    const seed: Hex = `0x${'ab'.repeat(32)}`;
    const stepNo = 3n;
    const B = 2;
    const xs = new Float32Array(B * features);
    const ys = new Float32Array(B * classes);
    for (let b = 0; b < B; b++) {
      const idx = Number(batchRecordIndex(seed, stepNo, b, BigInt(R)));
      for (let f = 0; f < features; f++) xs[b * features + f] = (records[idx * recordBytes + f] as number) / 255;
      ys[b * classes + (records[idx * recordBytes + features] as number)] = 1;
    }
    xs[3] = (xs[3] as number) * 1.001; // fraud
    const loadOps: OpDesc[] = [
      { name: 'x', kind: OpKind.LOAD_X, shape: [B, features], inputs: [], params: [] },
      { name: 'y', kind: OpKind.LOAD_Y, shape: [B, classes], inputs: [], params: [] },
    ];
    const st = buildStep(
      loadOps,
      [
        { shape: [B, features], data: xs },
        { shape: [B, classes], data: ys },
      ],
      [{ shape: [1], data: new Float32Array(1) }],
    );
    const data = {
      datasetRoot: ds.root,
      recordCount: BigInt(R),
      dataSeed: seed,
      step: stepNo,
      featureCount: features,
      outputCount: classes,
      featureEncoding: 1,
      labelEncoding: 1,
    };
    for (const [i, width] of [
      [0, features],
      [1, classes],
    ] as const) {
      for (let e = 0; e < B * width; e++) {
        const idx = Number(batchRecordIndex(seed, stepNo, Math.floor(e / width), BigInt(R)));
        const rec = { record: toHex(ds.record(idx)), proof: [...ds.prove(idx).siblings] };
        const call = [st.roots, st.desc(loadOps[i] as OpDesc), BigInt(i), st.opProof(i), BigInt(e), data, rec, st.opening(1, i, e, 1)] as const;
        assert.equal(await loads.read.checkLoadElement(call), !(i === 0 && e === 3), `load op ${i} element ${e}`);
        if (e === 0) {
          const other = (idx + 1) % R;
          const wrong = { record: toHex(ds.record(other)), proof: [...ds.prove(other).siblings] };
          await assert.rejects(loads.read.checkLoadElement([call[0], call[1], call[2], call[3], call[4], data, wrong, call[7]]), /OpCheckRecordInvalid/);
        }
      }
    }
  });
  it('data loads: f32 features and f32 labels are read little-endian from the record', async () => {
    const features = 3;
    const outputs = 2;
    const recordBytes = 4 * (features + outputs);
    const R = 5;
    const values = Float32Array.from({ length: R * (features + outputs) }, (_, i) => (i % 7) - 2.5 + i / 64);
    const records = new Uint8Array(values.buffer.slice(0));
    const ds = new DatasetTree(records, recordBytes);
    const seed: Hex = `0x${'cd'.repeat(32)}`;
    const stepNo = 9n;
    const B = 3;
    const xs = new Float32Array(B * features);
    const ys = new Float32Array(B * outputs);
    for (let b = 0; b < B; b++) {
      const idx = Number(batchRecordIndex(seed, stepNo, b, BigInt(R)));
      for (let f = 0; f < features; f++) xs[b * features + f] = values[idx * (features + outputs) + f] as number;
      for (let o = 0; o < outputs; o++) ys[b * outputs + o] = values[idx * (features + outputs) + features + o] as number;
    }
    ys[5] = (ys[5] as number) + 2 ** -20; // fraud: B = 0 for f32 labels
    const loadOps: OpDesc[] = [
      { name: 'x', kind: OpKind.LOAD_X, shape: [B, features], inputs: [], params: [] },
      { name: 'y', kind: OpKind.LOAD_Y, shape: [B, outputs], inputs: [], params: [] },
    ];
    const st = buildStep(
      loadOps,
      [
        { shape: [B, features], data: xs },
        { shape: [B, outputs], data: ys },
      ],
      [{ shape: [1], data: new Float32Array(1) }],
    );
    const data = {
      datasetRoot: ds.root,
      recordCount: BigInt(R),
      dataSeed: seed,
      step: stepNo,
      featureCount: features,
      outputCount: outputs,
      featureEncoding: 2,
      labelEncoding: 2,
    };
    for (const [i, width] of [
      [0, features],
      [1, outputs],
    ] as const) {
      for (let e = 0; e < B * width; e++) {
        const idx = Number(batchRecordIndex(seed, stepNo, Math.floor(e / width), BigInt(R)));
        const rec = { record: toHex(ds.record(idx)), proof: [...ds.prove(idx).siblings] };
        const got = await loads.read.checkLoadElement([
          st.roots,
          st.desc(loadOps[i] as OpDesc),
          BigInt(i),
          st.opProof(i),
          BigInt(e),
          data,
          rec,
          st.opening(1, i, e, 1),
        ]);
        assert.equal(got, !(i === 1 && e === 5), `f32 load op ${i} element ${e}`);
      }
    }
    const short = { record: toHex(ds.record(0).subarray(1)), proof: [...ds.prove(0).siblings] };
    await assert.rejects(
      loads.read.checkLoadElement([st.roots, st.desc(loadOps[0] as OpDesc), 0n, st.opProof(0), 0n, data, short, st.opening(1, 0, 0, 1)]),
      /OpCheckRecordLengthInvalid/,
    );
  });
});
