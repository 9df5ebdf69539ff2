/**
 * An independent reference for the rational elementwise kinds of docs/PROTOCOL.md §4: the claim
 * |y - x| <= B in exact dyadic arithmetic, with no scale and no slack. sdk/tolerance/exact.ts (and
 * the chain) must agree with it on every case; the differential tests and `npm run fuzz:exact`
 * check that they do.
 */
import { OpKind } from '../graph/graph.ts';
import { fp32Bits } from '../spec/job-spec.ts';
import { decode, type Dy } from './exact.ts';

const toBig = (d: Dy, e: number): bigint => d.n << BigInt(d.e - e);
const mul = (a: Dy, b: Dy): Dy => ({ n: a.n * b.n, e: a.e + b.e });
const neg = (a: Dy): Dy => ({ n: -a.n, e: a.e });
const D = (x: number): Dy => decode(fp32Bits(x));

function valid(terms: Dy[], y: Dy, num: bigint, den: bigint, m: Dy[], absX: boolean, floor: Dy): boolean {
  const all = [...terms, y, ...m, floor].filter((d) => d.n !== 0n);
  const e = Math.min(0, ...all.map((d) => d.e));
  const B = (d: Dy) => (d.n === 0n ? 0n : toBig(d, e));
  const xs = terms.reduce((s, d) => s + B(d), 0n);
  const diff = B(y) > xs ? B(y) - xs : xs - B(y);
  let mm = m.reduce((s, d) => {
    const v = B(d);
    return s + (v < 0n ? -v : v);
  }, 0n);
  if (absX) mm += xs < 0n ? -xs : xs;
  return den * diff <= num * mm + den * B(floor);
}
const sig = (k: number): Dy => ({ n: BigInt(k), e: -126 });
const U = 2n ** 24n;
/** The exact verdict for y of BIAS_ADD, SUB_ROW, TANH_GRAD, SIGMOID_GRAD, SCALED_DIFF and the SGD kinds. */
export function exactVerdict(kind: number, a: number, b: number, c: number, y: number): boolean {
  const [A, Bv, C, Y] = [D(a), D(b), D(c), D(y)];
  switch (kind) {
    case OpKind.BIAS_ADD:
      return valid([A, Bv], Y, 1n, U, [], true, sig(1));
    case OpKind.SUB_ROW:
      return valid([A, neg(Bv)], Y, 1n, U, [], true, sig(1));
    case OpKind.TANH_GRAD: {
      const ab2 = mul(A, mul(Bv, Bv));
      return valid([A, neg(ab2)], Y, 4n, U - 4n, [ab2], true, sig(4));
    }
    case OpKind.SIGMOID_GRAD: {
      const ab = mul(A, Bv);
      const ab2 = mul(ab, Bv);
      return valid([ab, neg(ab2)], Y, 4n, U - 4n, [ab2], true, sig(4));
    }
    case OpKind.SCALED_DIFF:
      return valid([mul(A, C), neg(mul(Bv, C))], Y, 2n, U - 2n, [], true, sig(2));
    case OpKind.SGD_VELOCITY: {
      const t = [mul(C, A), Bv];
      return valid(t, Y, 2n, U - 2n, t, false, sig(2));
    }
    case OpKind.SGD_WEIGHT: {
      const t = [A, neg(mul(C, Bv))];
      return valid(t, Y, 2n, U - 2n, t, false, sig(2));
    }
  }
  throw new RangeError(`op kind ${kind} has no exact reference here`);
}
