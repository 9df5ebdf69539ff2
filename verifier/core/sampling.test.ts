import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bytesToHex } from 'viem';
import { detectionProbability, detectionWithoutReplacement, newSeed, planSample, sampleIntervals, samplesForDetection, seededIntegers } from './sampling.ts';

const seedOf = (n: number): `0x${string}` => bytesToHex(new Uint8Array(32).fill(n));

describe('detection probability', () => {
  it('is 1 - (1 - f)^q', () => {
    assert.equal(detectionProbability(0.1, 0), 0);
    assert.ok(Math.abs(detectionProbability(0.1, 44) - (1 - 0.9 ** 44)) < 1e-15);
    assert.equal(detectionProbability(1, 1), 1);
    assert.throws(() => detectionProbability(1.5, 3), RangeError);
  });

  it("needs 44 samples for 99% against a 10% faker (the issue's arithmetic)", () => {
    assert.equal(samplesForDetection(0.99, 0.1), 44);
    assert.ok(detectionProbability(0.1, 44) >= 0.99);
    assert.ok(detectionProbability(0.1, 43) < 0.99);
  });

  it('samplesForDetection is the least q reaching the target', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.01, max: 0.999, noNaN: true }), fc.double({ min: 0.001, max: 0.9, noNaN: true }), (p, f) => {
        const q = samplesForDetection(p, f);
        assert.ok(detectionProbability(f, q) >= p - 1e-12);
        if (q > 1) assert.ok(detectionProbability(f, q - 1) < p + 1e-12);
      }),
    );
  });

  it('without replacement is at least the with-replacement figure', () => {
    for (const q of [1, 10, 44, 50]) assert.ok(detectionWithoutReplacement(1000, 0.1, q) >= detectionProbability(0.1, q) - 1e-12);
    assert.equal(detectionWithoutReplacement(10, 0.5, 6), 1);
  });
});

describe('planSample', () => {
  it('spends at most the budget and stops at the target', () => {
    const plan = planSample({ intervals: 1000, budget: 0.05, targetDetection: 0.99, fakeFraction: 0.1 });
    assert.deepEqual([plan.q, plan.limitedBy, plan.targetReached], [44, 'target', true]);
    assert.ok(plan.computeFraction <= 0.05);
    const all = planSample({ intervals: 1000, budget: 0.05, fakeFraction: 0.1 });
    assert.deepEqual([all.q, all.limitedBy], [50, 'budget']);
  });

  it('shrinks q when a checked interval costs more than training it', () => {
    const plan = planSample({ intervals: 1000, budget: 0.05, fakeFraction: 0.1, costRatio: 1.07 });
    assert.equal(plan.q, 46);
    assert.ok(plan.computeFraction <= 0.05);
  });

  it('reports an unreachable target and caps at the job size', () => {
    const small = planSample({ intervals: 100, budget: 0.05, targetDetection: 0.99, fakeFraction: 0.1 });
    assert.deepEqual([small.q, small.targetReached], [5, false]);
    const whole = planSample({ intervals: 2, budget: 1, fakeFraction: 0.1 });
    assert.deepEqual([whole.q, whole.limitedBy], [2, 'job']);
  });

  it('never exceeds the budget (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.double({ min: 0.001, max: 1, noNaN: true }),
        fc.double({ min: 0.5, max: 3, noNaN: true }),
        (n, budget, ratio) => {
          const plan = planSample({ intervals: n, budget, fakeFraction: 0.1, costRatio: ratio });
          assert.ok(plan.q <= n && plan.q >= 0);
          assert.ok(plan.computeFraction <= budget + 1e-9);
        },
      ),
    );
  });
});

describe('sampleIntervals', () => {
  it('draws q distinct intervals in range, ascending, the same for the same seed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 0, max: 255 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, s, frac) => {
        const q = Math.floor(frac * n);
        const sample = sampleIntervals(seedOf(s), n, q);
        assert.equal(sample.length, q);
        assert.equal(new Set(sample).size, q);
        assert.ok(sample.every((i, j) => i >= 0 && i < n && (j === 0 || i > (sample[j - 1] as number))));
        assert.deepEqual(sampleIntervals(seedOf(s), n, q), sample);
      }),
      { numRuns: 200 },
    );
  });

  it('differs across seeds and is close to uniform', () => {
    assert.notDeepEqual(sampleIntervals(seedOf(1), 1000, 44), sampleIntervals(seedOf(2), 1000, 44));
    const hits = new Array<number>(20).fill(0);
    const trials = 4000;
    for (let t = 0; t < trials; t++) {
      const seed = bytesToHex(new Uint8Array(new Uint32Array([t, 7, 7, 7, 7, 7, 7, 7]).buffer));
      for (const i of sampleIntervals(seed, 20, 5)) hits[i] = (hits[i] as number) + 1;
    }
    // Each interval is chosen with probability 1/4: 1000 expected, sd ~27.
    for (const h of hits) assert.ok(Math.abs(h - 1000) < 150, `interval hit ${h} times`);
  });

  it('seededIntegers stays in range', () => {
    const draw = seededIntegers(seedOf(9), 'x');
    for (let i = 0; i < 1000; i++) {
      const v = draw(7);
      assert.ok(Number.isInteger(v) && v >= 0 && v < 7);
    }
    assert.throws(() => draw(0), RangeError);
  });

  it('takes its seed from the injected randomness', () => {
    const seed = newSeed({ bytes: (n) => new Uint8Array(n).fill(0xab) });
    assert.equal(seed, `0x${'ab'.repeat(32)}`);
    assert.throws(() => newSeed({ bytes: () => new Uint8Array(3) }));
  });
});
