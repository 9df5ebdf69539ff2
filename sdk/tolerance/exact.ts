/**
 * The tolerance rule of docs/PROTOCOL.md §4, decided exactly for one output element.
 *
 * This is the reference the chain's LibOpCheck mirrors verdict for verdict: values are decoded
 * to dyadic rationals n * 2^e (BigInt n), every op becomes a claim "|y - Σ terms| <= (num/den) * M + F",
 * and the claim is evaluated at the scale 2^(E - 190) of §4.3, with every part below that scale
 * counted as one unit of slack in the solver's favour. All inputs are fp32 bit patterns (uint32).
 */
import { INTEGER_PARAM_KINDS, OpKind } from '../graph/graph.ts';

/** A dyadic rational n * 2^e. */
export interface Dy {
  readonly n: bigint;
  readonly e: number;
}

const ZERO: Dy = { n: 0n, e: 0 };
const SCALE_BITS = 190;
const EXACT_WINDOW = 250;
/** Smallest magnitude that rounds to infinity: 2^128 - 2^103. */
const OMEGA: Dy = { n: (1n << 25n) - 1n, e: 103 };
const SIGMA: Dy = { n: 1n, e: -126 };
const U_DEN = 1n << 24n;

type Fp32Class = 'finite' | 'inf' | 'nan';

export function fp32Class(bits: number): Fp32Class {
  const exp = (bits >>> 23) & 0xff;
  if (exp !== 0xff) return 'finite';
  return (bits & 0x7fffff) === 0 ? 'inf' : 'nan';
}

function isNegative(bits: number): boolean {
  return bits >>> 31 === 1;
}

/** The exact value of a finite fp32 bit pattern. */
export function decode(bits: number): Dy {
  const exp = (bits >>> 23) & 0xff;
  const frac = bits & 0x7fffff;
  const m = BigInt(exp === 0 ? frac : frac | 0x800000);
  const n = isNegative(bits) ? -m : m;
  return n === 0n ? ZERO : { n, e: (exp === 0 ? 1 : exp) - 150 };
}

const mul = (a: Dy, b: Dy): Dy => (a.n === 0n || b.n === 0n ? ZERO : { n: a.n * b.n, e: a.e + b.e });
const neg = (a: Dy): Dy => ({ n: -a.n, e: a.e });
const abs = (a: Dy): Dy => (a.n < 0n ? neg(a) : a);
const small = (n: bigint, e: number): Dy => ({ n, e });

function add(a: Dy, b: Dy): Dy {
  if (a.n === 0n) return b;
  if (b.n === 0n) return a;
  const e = Math.min(a.e, b.e);
  return { n: (a.n << BigInt(a.e - e)) + (b.n << BigInt(b.e - e)), e };
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : (n < 0n ? -n : n).toString(2).length;
}

/** 2^(top-1) <= |v| < 2^top. */
function top(v: Dy): number {
  return v.e + bitLength(v.n);
}

/** A claim |y - Σ terms| <= (num/den) * (absX ? |x| : 0) + (num/den) * Σ|boundTerms| + floor. */
export interface Claim {
  readonly terms: readonly Dy[];
  readonly y: Dy;
  readonly absX: boolean;
  readonly boundTerms: readonly Dy[];
  readonly num: bigint;
  readonly den: bigint;
  readonly floor: Dy;
  /**
   * Evaluate at the smallest ulp of the values when they span at most EXACT_WINDOW bits, with no
   * slack: the verdict of exact rational arithmetic (the rational scalar kinds). False for the long
   * sums (evaluated like the chain's dot pass) and the transcendental enclosures.
   */
  readonly exact: boolean;
}

interface Scaled {
  x: bigint;
  y: bigint;
  m: bigint;
  f: bigint;
  r: bigint;
}

/** Evaluate a claim's parts at scale 2^(E-190) (§4.3); null when every value is zero. */
function atScale(c: Claim, extra: readonly Dy[] = []): { scaled: Scaled; s: number } | null {
  let emax = -Infinity;
  for (const v of [...c.terms, c.y, ...c.boundTerms, c.floor, ...extra]) if (v.n !== 0n) emax = Math.max(emax, top(v));
  if (emax === -Infinity) return null;
  let s = emax - SCALE_BITS;
  if (c.exact) {
    const qmin = Math.min(...[...c.terms, c.y, ...c.boundTerms, c.floor].filter((v) => v.n !== 0n).map((v) => v.e));
    if (qmin < s && emax - qmin <= EXACT_WINDOW) s = qmin;
  }
  let r = 0n;
  const big = (v: Dy): bigint => {
    if (v.n === 0n) return 0n;
    if (v.e >= s) return v.n << BigInt(v.e - s);
    const shift = BigInt(s - v.e);
    const mag = v.n < 0n ? -v.n : v.n;
    const q = mag >> shift;
    if (q << shift !== mag) r += 1n;
    return v.n < 0n ? -q : q;
  };
  const x = c.terms.reduce((acc, t) => acc + big(t), 0n);
  const y = big(c.y);
  let m = c.boundTerms.reduce((acc, t) => {
    const b = big(t);
    return acc + (b < 0n ? -b : b);
  }, 0n);
  if (c.absX) m += x < 0n ? -x : x;
  const f = big(c.floor);
  return { scaled: { x, y, m, f, r }, s };
}

/** Rule 5: |y - x| <= B, favourable to y by the slack below the scale. */
export function decideClaim(c: Claim): boolean {
  const at = atScale(c);
  if (at === null) return true;
  const { x, y, m, f, r } = at.scaled;
  const d = y > x ? y - x : x - y;
  const lhs = c.den * (d > r ? d - r : 0n);
  return lhs <= c.num * (m + r) + c.den * (f + r);
}

/** Rule 4 for y = ±Inf: same sign as x and |x| + B >= Ω. */
function decideInfinite(c: Claim, negative: boolean): boolean {
  const at = atScale({ ...c, y: ZERO }, [OMEGA]);
  if (at === null) return false;
  const { x, m, f, r } = at.scaled;
  if (x !== 0n && x < 0n !== negative) return false;
  const omega = OMEGA.n << BigInt(OMEGA.e - at.s); // Ω is the largest value here, so it is exact at the scale
  const ax = x < 0n ? -x : x;
  return c.den * (ax + r) + c.num * (m + r) + c.den * (f + r) >= c.den * omega;
}

/**
 * Rule 3a: some evaluation order may overflow an intermediate value (a product or a partial sum),
 * so a correct implementation returns ±Inf or NaN for a finite x. The claim's terms are the signed
 * intermediates, its bound terms their magnitudes, num/den = γ_n: +Inf needs
 * (1 + γ_n)·Σ(positive terms) >= Ω, -Inf the same of the negative ones, NaN (Inf - Inf) both.
 * At the scale of rule 4 (Ω among the values), the slack in y's favour: Σ± = (M ± X) / 2.
 */
function mayOverflow(c: Claim, y: 'inf' | '-inf' | 'nan'): boolean {
  const at = atScale({ ...c, y: ZERO }, [OMEGA]);
  if (at === null) return false;
  const { x, m, r } = at.scaled;
  const omega = OMEGA.n << BigInt(OMEGA.e - at.s);
  const reaches = (side: bigint): boolean => 2n * c.den * omega <= (c.num + c.den) * (side + 2n * r);
  const up = reaches(m + x);
  const down = reaches(m - x);
  return y === 'nan' ? up && down : y === '-inf' ? down : up;
}

/** Rule 3a for an op whose evaluation has an intermediate that can overflow although x is finite. */
function intermediatesMayOverflow(kind: number, c: number, a: Uint32Array, b: Uint32Array, cl: Claim, y: 'inf' | '-inf' | 'nan'): boolean {
  switch (kind) {
    case OpKind.MATMUL:
    case OpKind.ROW_SUM:
    case OpKind.SGD_VELOCITY:
    case OpKind.SGD_WEIGHT:
    case OpKind.ADAM_M:
    case OpKind.ADAM_V:
    case OpKind.ADAMW_STEP:
      return mayOverflow(cl, y); // products, then partial sums of them: the claim's terms
    case OpKind.SCALED_DIFF: {
      // (a - b)·c, or ac - bc when |c| > 1, signed as the intermediates reach the output
      let [a0, b0] = [decode(a[0] ?? 0), decode(b[0] ?? 0)];
      const cc = decode(c);
      if (compare(abs(cc), ONE) > 0) [a0, b0] = [mul(a0, cc), mul(b0, cc)];
      else if (cc.n < 0n) [a0, b0] = [neg(a0), neg(b0)];
      const terms = [a0, neg(b0)];
      const ov = claim(terms, ZERO, gamma(2), ZERO, { boundTerms: terms });
      // c = 0: an overflowed a - b times 0 is NaN, whatever the sign.
      if (cc.n === 0n) return y === 'nan' && (mayOverflow(ov, 'inf') || mayOverflow(ov, '-inf'));
      return mayOverflow(ov, y);
    }
    default:
      return false;
  }
}

const gamma = (n: number): { num: bigint; den: bigint } => ({ num: BigInt(n), den: U_DEN - BigInt(n) });
const U = { num: 1n, den: U_DEN };
const EXACT = { num: 0n, den: 1n };
const scaleSigma = (k: number): Dy => ({ n: BigInt(k), e: -126 });

function claim(terms: Dy[], y: Dy, coef: { num: bigint; den: bigint }, floor: Dy, opts: { absX?: boolean; boundTerms?: Dy[]; exact?: boolean } = {}): Claim {
  return { terms, y, absX: opts.absX ?? false, boundTerms: opts.boundTerms ?? [], num: coef.num, den: coef.den, floor, exact: opts.exact ?? true };
}

function maxAbs(values: Uint32Array): Dy {
  let best = ZERO;
  for (const bits of values) {
    const v = abs(decode(bits));
    if (best.n === 0n || (v.n !== 0n && compare(v, best) > 0)) best = v;
  }
  return best;
}

function compare(a: Dy, b: Dy): number {
  const d = add(a, neg(b));
  return d.n === 0n ? 0 : d.n > 0n ? 1 : -1;
}

const ONE: Dy = { n: 1n, e: 0 };
const atLeastOne = (v: Dy): Dy => (compare(v, ONE) > 0 ? v : ONE);

/**
 * [x + z] as one exact value (aligned at the lower ulp) when the two span at most `maxSpan` bits,
 * else [x, z]: the same sum, with no cancellation left to the scale (LibOpCheck._sumTerms).
 */
function sumTerms(x: Dy, z: Dy, maxSpan: number): Dy[] {
  if (x.n === 0n) return [z];
  if (z.n === 0n) return [x];
  const e = Math.min(x.e, z.e);
  if (Math.max(top(x), top(z)) - e > maxSpan) return [x, z];
  const n = (x.n << BigInt(x.e - e)) + (z.n << BigInt(z.e - e));
  return [n === 0n ? ZERO : { n, e }];
}

/** Claims of the rational kinds; DIV_ROW, EXP, TANH, SIGMOID are handled apart. */
function rationalClaim(kind: number, c: number, a: Uint32Array, b: Uint32Array, y: Dy, params1?: number): Claim {
  const a0 = decode(a[0] ?? 0);
  const b0 = decode(b[0] ?? 0);
  const cc = decode(c);
  switch (kind) {
    case OpKind.MATMUL: {
      const k = a.length;
      const products = Array.from(a, (ai, i) => mul(decode(ai), decode(b[i] ?? 0)));
      // F = 16 K σ max(1, max|a|) max(1, max|b|)
      const floor = mul(mul(scaleSigma(16 * k), atLeastOne(maxAbs(a))), atLeastOne(maxAbs(b)));
      return claim(products, y, gamma(k), floor, { boundTerms: products, exact: false });
    }
    case OpKind.ROW_SUM: {
      const terms = Array.from(a, decode);
      return claim(terms, y, gamma(a.length), scaleSigma(a.length), { boundTerms: terms, exact: false });
    }
    case OpKind.ROW_MAX: {
      let best = decode(a[0] ?? 0);
      for (const bits of a) if (compare(decode(bits), best) > 0) best = decode(bits);
      return claim([best], y, EXACT, ZERO);
    }
    case OpKind.BIAS_ADD:
      return claim(sumTerms(a0, b0, 250), y, U, SIGMA, { absX: true });
    case OpKind.SUB_ROW:
      return claim(sumTerms(a0, neg(b0), 250), y, U, SIGMA, { absX: true });
    case OpKind.RELU:
      return claim([a0.n > 0n ? a0 : ZERO], y, EXACT, SIGMA);
    case OpKind.RELU_GRAD: {
      const flushable = b0.n > 0n && compare(b0, SIGMA) < 0;
      return flushable ? claim([a0], y, { num: 1n, den: 1n }, SIGMA, { boundTerms: [a0] }) : claim([b0.n > 0n ? a0 : ZERO], y, EXACT, SIGMA);
    }
    case OpKind.TANH_GRAD: {
      const ab2 = mul(a0, mul(b0, b0));
      return claim([a0, neg(ab2)], y, gamma(4), scaleSigma(4), { absX: true, boundTerms: [ab2] });
    }
    case OpKind.SIGMOID_GRAD: {
      const ab = mul(a0, b0);
      const ab2 = mul(ab, b0);
      return claim([ab, neg(ab2)], y, gamma(4), scaleSigma(4), { absX: true, boundTerms: [ab2] });
    }
    case OpKind.SCALED_DIFF: {
      const d = sumTerms(a0, neg(b0), 200);
      return claim(d.length === 1 ? [mul(d[0] as Dy, cc)] : [mul(a0, cc), neg(mul(b0, cc))], y, gamma(2), scaleSigma(2), { absX: true });
    }
    case OpKind.TRANSPOSE:
    case OpKind.RESHAPE:
    case OpKind.PATCHES:
    case OpKind.PERMUTE:
      return claim([a0], y, EXACT, ZERO); // a copy, or +0 where nothing is read (padding)
    case OpKind.ROW_MEAN: {
      // |y - Σa/N| <= γ_{N+2}·Σ|a|/N + (N+2)σ, multiplied through by N (a sum, then a division or a product with fl(1/N))
      const n = a.length;
      const terms = Array.from(a, decode);
      return claim(terms, mul({ n: BigInt(n), e: 0 }, y), gamma(n + 2), scaleSigma(n * (n + 2)), { boundTerms: terms, exact: false });
    }
    case OpKind.AVGPOOL_GRAD: {
      // |y - a/Q| <= γ_2·|a|/Q + σ, multiplied through by Q = KH·KW
      const q = BigInt(c * (params1 ?? 0));
      return claim([a0], mul({ n: q, e: 0 }, y), gamma(2), scaleSigma(Number(q)), { boundTerms: [a0] });
    }
    case OpKind.SGD_VELOCITY: {
      const terms = [mul(cc, a0), b0];
      return claim(terms, y, gamma(2), scaleSigma(2), { boundTerms: terms });
    }
    case OpKind.SGD_WEIGHT: {
      const terms = [a0, neg(mul(cc, b0))];
      return claim(terms, y, gamma(2), scaleSigma(2), { boundTerms: terms });
    }
    case OpKind.ADAM_M: {
      const terms = [mul(cc, a0), mul(decode(params1 ?? 0), b0)];
      return claim(terms, y, gamma(2), scaleSigma(2), { boundTerms: terms });
    }
    case OpKind.ADAM_V: {
      const terms = [mul(cc, a0), mul(decode(params1 ?? 0), mul(b0, b0))];
      return claim(terms, y, gamma(3), scaleSigma(3), { boundTerms: terms });
    }
    case OpKind.ADAMW_STEP: {
      // θ − lr·(u + λθ), params [λ, lr]: at most four roundings on any term's path
      const lr = decode(params1 ?? 0);
      const terms = [a0, neg(mul(lr, b0)), neg(mul(lr, mul(cc, a0)))];
      return claim(terms, y, gamma(4), scaleSigma(4), { boundTerms: terms });
    }
    default:
      throw new RangeError(`op kind ${kind} has no element check`);
  }
}

// ---- transcendental enclosures (relative error far below 2^-100) ----

const P = 320;
const PB = BigInt(P);
const FIX_ONE = 1n << PB;
/** ln 2 as a P-bit fixed-point number: Σ 1/(k 2^k). */
const LN2 = (() => {
  const extra = 32n;
  let sum = 0n;
  for (let k = 1n; k <= PB + 40n; k++) sum += (1n << (PB + extra)) / (k << k);
  return sum >> extra;
})();

/** e^a for |a| <= 1100, as a dyadic with ~P bits of precision. */
function expDy(a: Dy): Dy {
  const fixed = a.e + P >= 0 ? a.n << BigInt(a.e + P) : a.n >> BigInt(-(a.e + P));
  const k = (fixed + (fixed >= 0n ? LN2 / 2n : -LN2 / 2n)) / LN2;
  const r = fixed - k * LN2;
  let sum = FIX_ONE;
  let term = FIX_ONE;
  for (let i = 1n; term !== 0n; i++) {
    term = (term * r) / (i << PB);
    sum += term;
  }
  return { n: sum, e: Number(k) - P };
}

/** num/den with about P bits of precision. */
function divDy(num: Dy, den: Dy): Dy {
  if (num.n === 0n) return ZERO;
  const shift = P + bitLength(den.n) - bitLength(num.n);
  return { n: (num.n << BigInt(Math.max(0, shift))) / den.n, e: num.e - den.e - Math.max(0, shift) };
}

const LIMIT: Dy = { n: 1100n, e: 0 };

/** Enclosures x̃ of e^a, tanh a, sigmoid a for a finite fp32 a. */
export function transcendental(kind: number, a: Dy): Dy {
  const big = compare(abs(a), LIMIT) > 0;
  switch (kind) {
    case OpKind.EXP:
      if (big) return a.n > 0n ? { n: 1n, e: 2000 } : ZERO;
      return expDy(a);
    case OpKind.TANH: {
      if (a.n === 0n) return ZERO;
      if (top(a) < -60) return a; // tanh a = a (1 - a²/3 + ...): relative error below 2^-120
      if (compare(abs(a), { n: 100n, e: 0 }) > 0) return { n: a.n > 0n ? 1n : -1n, e: 0 };
      const t = expDy(abs(mul(a, { n: 2n, e: 0 })));
      const r = divDy(add(t, neg(ONE)), add(t, ONE));
      return a.n > 0n ? r : neg(r);
    }
    case OpKind.SIGMOID: {
      if (big) return a.n > 0n ? ONE : ZERO;
      if (a.n >= 0n) return divDy(ONE, add(ONE, expDy(neg(a))));
      const e = expDy(a);
      return divDy(e, add(ONE, e));
    }
    default:
      throw new RangeError(`op kind ${kind} is not transcendental`);
  }
}

/** Ulp budget k (B = k 2^-23 |x| + floor) and absolute floor of each transcendental kind. */
const TRANSCENDENTAL_BOUND: Readonly<Record<number, { k: bigint; floor: Dy }>> = {
  [OpKind.EXP]: { k: 4n, floor: SIGMA },
  [OpKind.TANH]: { k: 4n, floor: small(1n, -24) },
  [OpKind.SIGMOID]: { k: 8n, floor: small(1n, -22) },
};

function transcendentalClaim(kind: number, a: Dy, y: Dy): Claim {
  const x = transcendental(kind, a);
  const { k, floor } = TRANSCENDENTAL_BOUND[kind] as { k: bigint; floor: Dy };
  // B(|x̃|) + 2^-96 |x̃| + 2^-190 = ((k 2^73 + 1) / 2^96) |x̃| + floor + 2^-190   (§4.3)
  return claim([x], y, { num: (k << 73n) + 1n, den: 1n << 96n }, add(floor, small(1n, -190)), { boundTerms: [x], exact: false });
}

/**
 * Is `y` a valid output element of an op of `kind` that read the elements `a` and `b`
 * (fp32 bits) with parameters `params`? Kinds 3..25 of §4.1; loads use checkLoadX/Y. `position` is, for
 * MAXPOOL_GRAD, the element's position in its window (`poolSource`).
 */
export function checkElement(kind: number, params: readonly number[], a: Uint32Array, b: Uint32Array, y: number, position = 0): boolean {
  // Rule 1: a NaN or infinite input leaves the output unconstrained. (Geometry params are integers, not fp32.)
  for (const v of [...a, ...b, ...(INTEGER_PARAM_KINDS.has(kind) ? [] : params)]) if (fp32Class(v) !== 'finite') return true;
  const yClass = fp32Class(y);
  const c = params[0] ?? 0;

  if (kind === OpKind.MAXPOOL_GRAD) {
    // The window's gradient goes to its first maximum (row-major in the window); every other element is +0.
    if (yClass !== 'finite') return false;
    let first = 0;
    for (let i = 1; i < a.length; i++) if (compare(decode(a[i] as number), decode(a[first] as number)) > 0) first = i;
    const x = a.length > 0 && position === first ? decode(b[0] ?? 0) : ZERO;
    return compare(decode(y), x) === 0;
  }
  if (kind === OpKind.ADAM_DIR) return checkAdamDirection(params, decode(a[0] ?? 0), decode(b[0] ?? 0), y);
  if (kind === OpKind.AVGPOOL_GRAD && yClass === 'inf' && (params[0] ?? 0) * (params[1] ?? 0) > 1) {
    // Rule 4 is |g/Q| + B >= Ω; the claim below is multiplied through by Q but Ω is not, so for
    // Q >= 2 it would accept +-Inf for |g| near the fp32 maximum. |g/Q|(1 + γ_2) + σ < Ω for every
    // finite g when Q >= 2: an infinite y is never valid there.
    return false;
  }
  if (kind === OpKind.ROW_MEAN && yClass !== 'finite') {
    // Rules 3a and 4 at once: an infinite mean needs an infinite sum, so only an overflowing sum excuses ±Inf or NaN.
    const terms = Array.from(a, decode);
    return mayOverflow(
      claim(terms, ZERO, gamma(a.length + 2), ZERO, { boundTerms: terms, exact: false }),
      yClass === 'nan' ? 'nan' : isNegative(y) ? '-inf' : 'inf',
    );
  }

  if (kind === OpKind.DIV_ROW) {
    const num = decode(a[0] ?? 0);
    const den = decode(b[0] ?? 0);
    if (den.n === 0n) return yClass !== 'finite'; // Rule 2
    if (yClass === 'nan') return false;
    if (yClass === 'inf') {
      // |a/b| (1 + γ_2) + σ >= Ω  <=>  (roughly) |a| + 2u|a| + σ|b| >= Ω|b|, favourable
      const quotientNegative = num.n < 0n !== den.n < 0n;
      return num.n !== 0n && quotientNegative === isNegative(y) && atLeastOmegaTimes(abs(num), abs(den));
    }
    // |y - a/b| <= γ_2|a/b| + σ  <=>  |a - y b| <= γ_2|a| + σ|b|   (γ_2: a division may be a * (1/b))
    return decideClaim(claim([num, neg(mul(decode(y), den))], ZERO, gamma(2), mul(SIGMA, abs(den)), { boundTerms: [num] }));
  }

  const transcendentalKind = kind === OpKind.EXP || kind === OpKind.TANH || kind === OpKind.SIGMOID;
  const yv = yClass === 'finite' ? decode(y) : ZERO;
  const cl = transcendentalKind ? transcendentalClaim(kind, decode(a[0] ?? 0), yv) : rationalClaim(kind, c, a, b, yv, params[1]);
  if (yClass !== 'finite' && !transcendentalKind) {
    const special = yClass === 'nan' ? 'nan' : isNegative(y) ? '-inf' : 'inf';
    if (intermediatesMayOverflow(kind, c, a, b, cl, special)) return true; // Rule 3a
  }
  if (yClass === 'nan') return false; // Rule 3
  if (yClass === 'inf') return decideInfinite(cl, isNegative(y)); // Rule 4
  return decideClaim(cl); // Rule 5
}

/** Square root of a non-negative dyadic with about P bits of precision (truncated). */
function sqrtDy(v: Dy): Dy {
  if (v.n === 0n) return ZERO;
  // v = n·2^e; make the exponent even and give the integer root P bits.
  let shift = Math.max(0, 2 * P - bitLength(v.n) + 2);
  if ((v.e - shift) % 2 !== 0) shift++;
  const n = v.n << BigInt(shift);
  const e = v.e - shift;
  let r = 1n << BigInt(Math.ceil(bitLength(n) / 2));
  for (;;) {
    const next = (r + n / r) >> 1n;
    if (next >= r) break;
    r = next;
  }
  while (r * r > n) r -= 1n;
  return { n: r, e: e / 2 };
}

/** ADAM_DIR's budget: γ_16 relative (two divisions or reciprocal products, a sqrt of up to 4 ulps, an addition) plus the 2^-96 slack of §4.3. */
const ADAM_DIR_COEF = { num: 16n * (1n << 96n) + (U_DEN - 16n), den: (U_DEN - 16n) << 96n };
const ADAM_DIR_FLOOR: Dy = { n: 1n, e: -90 };
const HALF_OMEGA: Dy = { n: OMEGA.n, e: OMEGA.e - 1 };

/**
 * ADAM_DIR (§4.1 code 28): y ≈ (m/bc1) / (sqrt(v/bc2) + ε), params [ε, bc1, bc2]; ε must be
 * positive (a descriptor with ε <= 0 does not fit the kind: RangeError, as the chain reverts). The
 * value is irrational, so it is enclosed to ~2^-300 and judged like the transcendental kinds
 * (§4.3). A negative v (a fraud at ADAM_V, provable there) or a schedule factor <= 0 leaves x
 * undefined (rule 2). Rule 3a: where m/bc1 or v/bc2 may overflow (|m| >= bc1·Ω/2, v >= bc2·Ω/2)
 * although x is finite, any non-finite y is valid, and where the denominator may be infinite
 * also y = ±0 (a finite m/bc1 over sqrt(+Inf)). Otherwise rules 3-5 on the enclosure: an
 * infinite y is valid iff the quotient itself reaches Ω (rule 4).
 */
function checkAdamDirection(params: readonly number[], m: Dy, v: Dy, y: number): boolean {
  const eps = decode(params[0] ?? 0);
  const bc1 = decode(params[1] ?? 0);
  const bc2 = decode(params[2] ?? 0);
  if (eps.n <= 0n) throw new RangeError('ADAM_DIR needs ε > 0');
  const yClass = fp32Class(y);
  if (v.n < 0n || bc1.n <= 0n || bc2.n <= 0n) return yClass !== 'finite';
  const denominatorMayOverflow = compare(v, mul(HALF_OMEGA, bc2)) >= 0;
  if (yClass !== 'finite' && (denominatorMayOverflow || compare(abs(m), mul(HALF_OMEGA, bc1)) >= 0)) return true;
  if (denominatorMayOverflow && (y & 0x7fffffff) === 0) return true;
  if (yClass === 'nan') return false; // Rule 3
  const x = divDy(divDy(m, bc1), add(sqrtDy(divDy(v, bc2)), eps));
  const cl = claim([x], yClass === 'finite' ? decode(y) : ZERO, ADAM_DIR_COEF, add(ADAM_DIR_FLOOR, small(1n, -190)), { boundTerms: [x], exact: false });
  return yClass === 'inf' ? decideInfinite(cl, isNegative(y)) : decideClaim(cl);
}

/** |a|(1 + 2u) + σ|b| >= Ω|b| for DIV_ROW's rule 4 (γ_2 < 2u(1 + 2^-22): favourable at the scale). */
function atLeastOmegaTimes(absA: Dy, absB: Dy): boolean {
  const lhs = claim([absA, mul(absA, small(1n, -23)), mul(SIGMA, absB)], ZERO, EXACT, ZERO, { exact: false });
  const omegaB = mul(OMEGA, absB);
  const at = atScale(lhs, [omegaB]);
  if (at === null) return false;
  const sh = omegaB.e - at.s;
  const omega = sh >= 0 ? omegaB.n << BigInt(sh) : omegaB.n >> BigInt(-sh);
  return at.scaled.x + at.scaled.r >= omega;
}

/** LOAD_X (§4.1 code 1): `raw` is the feature byte (u8-unit) or fp32 bits (f32). */
export function checkLoadX(featureEncoding: number, raw: number, y: number): boolean {
  if (featureEncoding === 2) {
    if (fp32Class(raw) !== 'finite') return true;
    return fp32Class(y) === 'finite' && compare(decode(raw), decode(y)) === 0;
  }
  if (fp32Class(y) !== 'finite') return false;
  // |y - v/255| <= γ_2 v/255  <=>  |v - 255 y| <= γ_2 v
  const v: Dy = raw === 0 ? ZERO : { n: BigInt(raw), e: 0 };
  return decideClaim(claim([v, neg(mul({ n: 255n, e: 0 }, decode(y)))], ZERO, gamma(2), ZERO, { boundTerms: [v] }));
}

/** LOAD_Y (§4.1 code 2): `raw` is the class byte (class-u8) or fp32 bits (f32). */
export function checkLoadY(labelEncoding: number, raw: number, column: number, y: number): boolean {
  if (labelEncoding === 2) {
    if (fp32Class(raw) !== 'finite') return true;
    return fp32Class(y) === 'finite' && compare(decode(raw), decode(y)) === 0;
  }
  if (fp32Class(y) !== 'finite') return false;
  return compare(decode(y), raw === column ? ONE : ZERO) === 0;
}
