/**
 * Claims over the chunks of a long reduction (docs/PROTOCOL.md §4.5, §5 step 4b), bit-identical
 * to contracts/libraries/LibChunk.sol. The K terms of an element's row (a_k·b_k for MATMUL, a_k for
 * ROW_SUM) are cut into chunks of CHUNK_TERMS; a claim about a range states what the chain's dot
 * pass computes over it at the element's scale 2^s: the truncated sum and sum of magnitudes, how
 * many terms lost bits, the largest term top, the largest |a| and |b| and whether an input is NaN
 * or ±Inf. Claims of adjacent ranges combine exactly, so the top claim decides the element as the
 * direct check does, and a wrong top claim has a wrong chunk under it.
 */
import { encodeAbiParameters, hexToBytes, sha256, type Hex } from 'viem';
import { MerkleTree } from '../commit/merkle.ts';
import { OpKind, Space, type OpDesc } from '../graph/graph.ts';
import { elementReads } from '../tolerance/reads.ts';

/** Terms per chunk (LibChunk.CHUNK_TERMS). */
export const CHUNK_TERMS = 256;
/** Claims per move (LibChunk.FAN_OUT). */
export const FAN_OUT = 16;
/** The longest reduction a dispute judges (LibChunk.MAX_TERMS, the spec's MAX_FAN_IN). */
export const MAX_TERMS = 2 ** 20;
/** Up to this many terms the solver opens an element directly (openElement, ≤ ~0.9M gas). */
export const DIRECT_MAX_TERMS = 1024;
/** "No nonzero term" (LibChunk.NO_TOP). */
export const NO_TOP = -(2 ** 31);
const WINDOW = 190;
const ONE_BITS = 0x3f800000;
const OMEGA_TOP = 128; // top(2^128 - 2^103)

/** LibChunk.Claim, field for field (ABI: int256, uint256, uint32, int32, uint32, uint32, bool). */
export interface ReductionClaim {
  readonly sum: bigint;
  readonly absSum: bigint;
  readonly inexact: number;
  readonly top: number;
  readonly maxA: number;
  readonly maxB: number;
  readonly special: boolean;
}

export const SPECIAL_CLAIM: ReductionClaim = { sum: 0n, absSum: 0n, inexact: 0, top: NO_TOP, maxA: 0, maxB: 0, special: true };

/** Whether `kind` reads a row of terms whose element the claim game judges. */
export const isReduction = (kind: number): boolean => kind === OpKind.MATMUL || kind === OpKind.ROW_SUM;

/** K of an op's element (MATMUL: input 0's columns; ROW_SUM: the row length). */
export const reductionLength = (op: OpDesc): number => op.inputs[0]?.shape[1] ?? 0;

/** Whether the solver opens this op's elements by claims (K above DIRECT_MAX_TERMS). */
export const opensByClaims = (op: OpDesc): boolean => isReduction(op.kind) && reductionLength(op) > DIRECT_MAX_TERMS;

const isSpecialBits = (bits: number): boolean => ((bits >>> 23) & 0xff) === 0xff;

/** Significand and exponent of finite fp32 bits (magnitude only). */
function mag(bits: number): { m: bigint; e: number } {
  const exp = (bits >>> 23) & 0xff;
  const frac = bits & 0x7fffff;
  return { m: BigInt(exp === 0 ? frac : frac | 0x800000), e: (exp === 0 ? 1 : exp) - 150 };
}

const bitLength = (n: bigint): number => (n === 0n ? 0 : n.toString(2).length);

/** The rows an element reads: a, and b for MATMUL (undefined for ROW_SUM: b_k = 1). */
export interface ReductionRows {
  readonly a: Uint32Array;
  readonly b: Uint32Array | undefined;
}

/** The scale-independent part of a range's claim: special, top, maxA, maxB. */
function rangeShape(rows: ReductionRows, first: number, count: number): { special: boolean; top: number; maxA: number; maxB: number } {
  let top = NO_TOP;
  let maxA = 0;
  let maxB = rows.b === undefined ? ONE_BITS : 0;
  for (let i = first; i < first + count; i++) {
    const a = rows.a[i] as number;
    const b = rows.b === undefined ? ONE_BITS : (rows.b[i] as number);
    if (isSpecialBits(a) || isSpecialBits(b)) return { special: true, top: NO_TOP, maxA: 0, maxB: 0 };
    maxA = Math.max(maxA, a & 0x7fffffff);
    maxB = Math.max(maxB, b & 0x7fffffff);
    if ((a & 0x7fffffff) === 0 || (b & 0x7fffffff) === 0) continue;
    const x = mag(a);
    const y = mag(b);
    top = Math.max(top, x.e + y.e + bitLength(x.m * y.m));
  }
  return { special: false, top, maxA, maxB };
}

/** The claim of terms [first, first + count) at scale 2^s (LibChunk.chunkHolds' truth). */
export function rangeClaim(rows: ReductionRows, first: number, count: number, s: number): ReductionClaim {
  const shape = rangeShape(rows, first, count);
  if (shape.special) return SPECIAL_CLAIM;
  let sum = 0n;
  let absSum = 0n;
  let inexact = 0;
  for (let i = first; i < first + count; i++) {
    const a = rows.a[i] as number;
    const b = rows.b === undefined ? ONE_BITS : (rows.b[i] as number);
    if ((a & 0x7fffffff) === 0 || (b & 0x7fffffff) === 0) continue;
    const x = mag(a);
    const y = mag(b);
    const m = x.m * y.m;
    const sh = x.e + y.e - s;
    let v: bigint;
    if (sh >= 0) v = m << BigInt(sh);
    else {
      v = m >> BigInt(-sh);
      if (v << BigInt(-sh) !== m) inexact++;
    }
    absSum += v;
    sum += (a ^ b) >>> 31 === 1 ? -v : v;
  }
  return { sum, absSum, inexact, top: shape.top, maxA: shape.maxA, maxB: shape.maxB, special: false };
}

/** The claim over the union of the ranges (LibChunk.combine). */
export function combineClaims(claims: readonly ReductionClaim[]): ReductionClaim {
  let p: ReductionClaim = { sum: 0n, absSum: 0n, inexact: 0, top: NO_TOP, maxA: 0, maxB: 0, special: false };
  for (const c of claims) {
    p = {
      sum: p.sum + c.sum,
      absSum: p.absSum + c.absSum,
      inexact: p.inexact + c.inexact,
      top: Math.max(p.top, c.top),
      maxA: Math.max(p.maxA, c.maxA),
      maxB: Math.max(p.maxB, c.maxB),
      special: p.special || c.special,
    };
  }
  return p;
}

const topOf = (m: bigint, e: number): number => (m === 0n ? NO_TOP : e + bitLength(m));

/**
 * The element's scale s (LibChunk.topVerdict): E - 190 with E the largest top over the terms (the
 * top claim's), y and the floor (MATMUL 16Kσ·max(1, max|a|)·max(1, max|b|), ROW_SUM Kσ), and Ω
 * when y is ±Inf or NaN.
 */
export function elementScale(kind: number, k: number, root: Pick<ReductionClaim, 'top' | 'maxA' | 'maxB'>, y: number): number {
  let floorTop: number;
  if (kind === OpKind.MATMUL) {
    const atLeastOne = (bits: number): { m: bigint; e: number } => (bits <= ONE_BITS ? { m: 1n, e: 0 } : mag(bits));
    const a = atLeastOne(root.maxA);
    const b = atLeastOne(root.maxB);
    floorTop = topOf(16n * BigInt(k) * a.m * b.m, -126 + a.e + b.e);
  } else floorTop = topOf(BigInt(k), -126);
  let e = Math.max(root.top, floorTop);
  if (isSpecialBits(y)) e = Math.max(e, OMEGA_TOP);
  else if ((y & 0x7fffffff) !== 0) {
    const v = mag(y);
    e = Math.max(e, topOf(v.m, v.e));
  }
  return e - WINDOW;
}

/** The ABI tuple of a claim (LibChunk.Claim). */
export const claimArg = (c: ReductionClaim): ReductionClaim => ({ ...c });

const CLAIM_ABI = [
  {
    type: 'tuple',
    components: [
      { name: 'sum', type: 'int256' },
      { name: 'absSum', type: 'uint256' },
      { name: 'inexact', type: 'uint32' },
      { name: 'top', type: 'int32' },
      { name: 'maxA', type: 'uint32' },
      { name: 'maxB', type: 'uint32' },
      { name: 'special', type: 'bool' },
    ],
  },
] as const;

/** A claim's leaf in the claim tree: sha256(abi.encode(claim)). */
export const claimLeaf = (c: ReductionClaim): Hex => sha256(encodeAbiParameters(CLAIM_ABI, [c]));

/** ceil(K / CHUNK_TERMS). */
export const chunkCount = (k: number): number => Math.ceil(k / CHUNK_TERMS);

/** The root's height: the least D >= 1 with FAN_OUT^D >= chunkCount (LibChunk.rootHeight). */
export function rootHeight(k: number): number {
  const m = chunkCount(k);
  let d = 1;
  while (FAN_OUT ** d < m) d++;
  return d;
}

/** Children of node (first, height) (LibChunk.childCount). */
export function childCount(k: number, first: number, height: number): number {
  const end = Math.min(chunkCount(k), first + FAN_OUT ** height);
  const s = FAN_OUT ** (height - 1);
  return Math.ceil((end - first) / s);
}

/**
 * Every claim of one element's claim tree, computed once (a solver's answers and a challenger's
 * reference are the same object): claims of node (first, height), the list and proofs a move needs.
 */
export class ClaimTree {
  readonly k: number;
  readonly scale: number;
  readonly #levels: ReductionClaim[][]; // #levels[h][i]: node (i·16^h, h)

  /** `scale`: evaluate at this s (a challenger checks posted claims at the posted scale); default the element's own. */
  constructor(kind: number, rows: ReductionRows, y: number, scale?: number) {
    const k = rows.a.length;
    this.k = k;
    const m = chunkCount(k);
    const shapes = Array.from({ length: m }, (_, c) => rangeShape(rows, c * CHUNK_TERMS, Math.min(CHUNK_TERMS, k - c * CHUNK_TERMS)));
    const root = {
      top: Math.max(NO_TOP, ...shapes.map((x) => x.top)),
      maxA: Math.max(0, ...shapes.map((x) => x.maxA)),
      maxB: Math.max(0, ...shapes.map((x) => x.maxB)),
    };
    this.scale = scale ?? elementScale(kind, k, root, y);
    const chunks = shapes.map((_, c) => rangeClaim(rows, c * CHUNK_TERMS, Math.min(CHUNK_TERMS, k - c * CHUNK_TERMS), this.scale));
    this.#levels = [chunks];
    for (let h = 1; h <= rootHeight(k); h++) {
      const below = this.#levels[h - 1] as ReductionClaim[];
      const level: ReductionClaim[] = [];
      for (let i = 0; i < below.length; i += FAN_OUT) level.push(combineClaims(below.slice(i, i + FAN_OUT)));
      this.#levels.push(level);
    }
  }

  /** The claim of node (first, height). */
  claim(first: number, height: number): ReductionClaim {
    const c = this.#levels[height]?.[first / FAN_OUT ** height];
    if (c === undefined) throw new RangeError(`no claim-tree node (${first}, ${height})`);
    return c;
  }

  /** The claims of node (first, height)'s children, in order. */
  children(first: number, height: number): ReductionClaim[] {
    const span = FAN_OUT ** (height - 1);
    return Array.from({ length: childCount(this.k, first, height) }, (_, j) => this.claim(first + j * span, height - 1));
  }

  /** The proof of child `index` in the list of node (first, height)'s children. */
  proof(first: number, height: number, index: number): Hex[] {
    const leaves = this.children(first, height).map((c) => hexToBytes(claimLeaf(c)));
    const joined = new Uint8Array(32 * leaves.length);
    leaves.forEach((l, i) => {
      joined.set(l, 32 * i);
    });
    return [...new MerkleTree(joined).rangeProof(index, 1).siblings];
  }
}

/** The rows and y of a reduction element, from the step's trace tensors (§3.1 positions). */
export function reductionInputs(op: OpDesc, opIndex: number, stateCount: number, tensors: readonly { data: Float32Array }[], element: number) {
  const data = op.inputs.map((i) => (tensors[i.space === Space.STATE ? i.index : stateCount + i.index] as { data: Float32Array }).data);
  const reads = elementReads(op, data, element);
  const out = (tensors[stateCount + opIndex] as { data: Float32Array }).data;
  const y = new Uint32Array(out.buffer, out.byteOffset + 4 * element, 1)[0] as number;
  return { rows: { a: reads.a, b: op.kind === OpKind.MATMUL ? reads.b : undefined } satisfies ReductionRows, y };
}

/** Index of the first claim of `posted` that differs from `truth` (the challenger's pick), or -1. */
export function firstWrong(posted: readonly ReductionClaim[], truth: readonly ReductionClaim[]): number {
  return posted.findIndex((p, i) => {
    const t = truth[i];
    return (
      t === undefined ||
      p.sum !== t.sum ||
      p.absSum !== t.absSum ||
      p.inexact !== t.inexact ||
      p.top !== t.top ||
      p.maxA !== t.maxA ||
      p.maxB !== t.maxB ||
      p.special !== t.special
    );
  });
}
