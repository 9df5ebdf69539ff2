/**
 * Which checkpoint intervals a verifier re-executes (docs/PROTOCOL.md §7), as pure functions.
 *
 * A solver that fakes a fraction f of a job's n = N/k intervals is caught by q intervals sampled
 * uniformly at random with probability 1 - (1 - f)^q (each faked independently; without
 * replacement from exactly f·n faked intervals it is a little higher, `detectionWithoutReplacement`),
 * at a cost of q·k/N of the training compute. The sample is drawn from a private seed that never
 * leaves the verifier, so the solver cannot know which intervals are checked; the seed is kept, so
 * a restarted verifier draws the same sample.
 */
import { createHash } from 'node:crypto';
import { bytesToHex, hexToBytes, type Hex } from 'viem';
import { ConfigError } from '../../sdk/errors.ts';

/** The randomness a verifier is given (crypto.randomBytes in the daemon; a fixed stream in tests). */
export interface RandomBytes {
  bytes(n: number): Uint8Array;
}

/** 1 - (1 - f)^q: a solver faking each interval with probability f is caught by q samples. */
export function detectionProbability(fakeFraction: number, q: number): number {
  if (!(fakeFraction >= 0 && fakeFraction <= 1)) throw new RangeError(`fake fraction must be in [0, 1], got ${fakeFraction}`);
  if (q <= 0) return 0;
  return 1 - (1 - fakeFraction) ** q;
}

/**
 * 1 - C(n - m, q) / C(n, q) with m = round(f·n): the chance that q intervals drawn without
 * replacement hit at least one of exactly m faked ones.
 */
export function detectionWithoutReplacement(intervals: number, fakeFraction: number, q: number): number {
  const m = Math.round(fakeFraction * intervals);
  if (m <= 0 || q <= 0) return 0;
  if (q > intervals - m) return 1;
  let miss = 1;
  for (let i = 0; i < q; i++) miss *= (intervals - m - i) / (intervals - i);
  return 1 - miss;
}

/** The fewest samples q with 1 - (1 - f)^q >= P: q = ceil(ln(1 - P) / ln(1 - f)). */
export function samplesForDetection(target: number, fakeFraction: number): number {
  if (!(target > 0 && target < 1)) throw new RangeError(`target detection must be in (0, 1), got ${target}`);
  if (!(fakeFraction > 0 && fakeFraction <= 1)) throw new RangeError(`fake fraction must be in (0, 1], got ${fakeFraction}`);
  if (fakeFraction === 1) return 1;
  // The epsilon keeps exact ratios (e.g. P = 1 - (1-f)^q) from rounding up one too many.
  return Math.max(1, Math.ceil(Math.log(1 - target) / Math.log(1 - fakeFraction) - 1e-9));
}

export interface SamplePlanParameters {
  /** n = N/k intervals in the job. */
  readonly intervals: number;
  /** Most compute to spend, as a fraction of the training compute (0..1]. */
  readonly budget: number;
  /**
   * What one checked interval costs the verifier relative to training it (default 1: re-executing k
   * steps costs what training them did). Measured by the benchmark; above 1 it shrinks q.
   */
  readonly costRatio?: number | undefined;
  /** Stop at the q that reaches this detection probability (if the budget allows), e.g. 0.99. */
  readonly targetDetection?: number | undefined;
  /** The faked fraction the target refers to and reports quote, e.g. 0.1. */
  readonly fakeFraction: number;
}

export interface SamplePlan {
  /** Intervals to check. */
  readonly q: number;
  /** What bounded q: the budget, the detection target, or the job's size. */
  readonly limitedBy: 'budget' | 'target' | 'job';
  /** q·costRatio/n: the planned compute as a fraction of the training compute. */
  readonly computeFraction: number;
  /** 1 - (1 - f)^q for the plan's fake fraction. */
  readonly detection: number;
  /** Whether the target (if any) is reached. */
  readonly targetReached: boolean;
}

/** q = min(n, floor(budget·n / costRatio), samplesForDetection(target, f)). */
export function planSample(p: SamplePlanParameters): SamplePlan {
  const n = p.intervals;
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`a job has at least one interval, got ${n}`);
  if (!(p.budget > 0 && p.budget <= 1)) throw new RangeError(`budget must be in (0, 1], got ${p.budget}`);
  const ratio = p.costRatio ?? 1;
  if (!(ratio > 0 && Number.isFinite(ratio))) throw new RangeError(`cost ratio must be positive, got ${ratio}`);
  const byBudget = Math.floor((p.budget * n) / ratio + 1e-9);
  const byTarget = p.targetDetection === undefined ? Infinity : samplesForDetection(p.targetDetection, p.fakeFraction);
  const q = Math.min(n, byBudget, byTarget);
  const limitedBy = q === byTarget ? 'target' : q === n ? 'job' : 'budget';
  const detection = detectionProbability(p.fakeFraction, q);
  return {
    q,
    limitedBy,
    computeFraction: (q * ratio) / n,
    detection,
    targetReached: p.targetDetection === undefined || q >= byTarget || q === n,
  };
}

/** A new private seed for one job. */
export function newSeed(random: RandomBytes): Hex {
  const seed = random.bytes(32);
  if (seed.length !== 32) throw new ConfigError(`the randomness source gave ${seed.length} bytes, expected 32`);
  return bytesToHex(seed);
}

/**
 * A deterministic stream of uniform integers from a seed: SHA-256(seed || label || counter) in
 * counter mode, 32-bit words, rejection sampling so every value in [0, bound) is equally likely.
 */
export function seededIntegers(seed: Hex, label: string): (bound: number) => number {
  const key = hexToBytes(seed);
  let counter = 0;
  let words: Uint32Array = new Uint32Array(0);
  let next = 0;
  const word = (): number => {
    if (next >= words.length) {
      const block = createHash('sha256')
        .update(key)
        .update(label)
        .update(Buffer.from(Uint32Array.of(counter++).buffer))
        .digest();
      words = new Uint32Array(block.buffer, block.byteOffset, 8);
      next = 0;
    }
    return words[next++] as number;
  };
  return (bound) => {
    if (!Number.isSafeInteger(bound) || bound < 1 || bound > 2 ** 32) throw new RangeError(`bound must be in [1, 2^32], got ${bound}`);
    const limit = 2 ** 32 - (2 ** 32 % bound);
    for (;;) {
      const w = word();
      if (w < limit) return w % bound;
    }
  };
}

/**
 * q distinct intervals of [0, n), uniform over all q-subsets (Floyd's algorithm: q draws, no array
 * of n), ascending. The same seed always gives the same sample.
 */
export function sampleIntervals(seed: Hex, intervals: number, q: number): number[] {
  if (!Number.isSafeInteger(q) || q < 0 || q > intervals) throw new RangeError(`cannot sample ${q} of ${intervals} intervals`);
  const draw = seededIntegers(seed, 'veritrain/verifier/sample/v1');
  const chosen = new Set<number>();
  for (let j = intervals - q; j < intervals; j++) {
    const t = draw(j + 1);
    chosen.add(chosen.has(t) ? j : t);
  }
  return [...chosen].sort((a, b) => a - b);
}
