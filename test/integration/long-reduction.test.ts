// Long reductions judged by claims over chunks (docs/PROTOCOL.md §4.5, §5 step 4b), on a real EVM:
// the SDK's claim trees (sdk/dispute/chunks.ts) against the chain's (LibChunk via ChunkHarness),
// the top verdict against the direct check, and the soundness property: when y is outside the bound,
// every list of well-formed claims either fails the bound or holds a claim that its chunk refutes,
// including lists that sum right but lie per chunk. Then whole games in the real DisputeGame
// (sdk/testing/long-reduction.ts): the honest solver wins every pointed chunk.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { network } from 'hardhat';
import { checkElement, CHUNK_TERMS, ClaimTree, firstWrong, fp32Bits, OpKind, rootHeight, type ReductionClaim, type ReductionRows } from '../../sdk/index.ts';
import { playLongReduction } from '../../sdk/testing/index.ts';

const { viem } = await network.create();
const harness = await viem.deployContract('ChunkHarness');

/** Rows of K terms from a seed: dense values with a spread of exponents, some zeros and subnormals. */
function rows(kind: number, k: number, seed: number): ReductionRows {
  let s = seed >>> 0 || 1;
  const rnd = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
  const value = (): number => {
    const r = rnd();
    if (r < 0.02) return 0;
    if (r < 0.03) return (rnd() < 0.5 ? -1 : 1) * 1e-40; // subnormal
    return (rnd() < 0.5 ? -1 : 1) * (0.5 + rnd()) * 2 ** Math.floor(rnd() * 40 - 20);
  };
  const bits = (n: number): Uint32Array => new Uint32Array(Float32Array.from({ length: n }, value).buffer);
  return { a: bits(k), b: kind === OpKind.MATMUL ? bits(k) : undefined };
}

const exactSum = (r: ReductionRows, abs = false): number => {
  const f = new Float32Array(r.a.buffer);
  const g = r.b === undefined ? undefined : new Float32Array(r.b.buffer);
  return f.reduce((acc, x, i) => {
    const t = x * (g === undefined ? 1 : (g[i] as number));
    return acc + (abs ? Math.abs(t) : t);
  }, 0);
};

const chunkRows = (r: ReductionRows, c: number): { a: number[]; b: number[] } => {
  const first = c * CHUNK_TERMS;
  const end = Math.min(r.a.length, first + CHUNK_TERMS);
  return { a: [...r.a.subarray(first, end)], b: r.b === undefined ? [] : [...r.b.subarray(first, end)] };
};

const claimArgs = (cs: readonly ReductionClaim[]) => cs.map((c) => ({ ...c }));

describe('long reductions: claims over chunks', () => {
  it('the chain computes every chunk claim as the SDK does, and the top verdict equals the direct check', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(OpKind.MATMUL, OpKind.ROW_SUM),
        fc.integer({ min: CHUNK_TERMS + 1, max: 4 * CHUNK_TERMS + 17 }),
        fc.nat(),
        fc.double({ min: -3, max: 3, noNaN: true }),
        async (kind, k, seed, skew) => {
          const r = rows(kind, k, seed);
          // y pushed from the honest result by up to 3x the bound γ_K·Σ|t|: inside and outside.
          const x = exactSum(r);
          const y = fp32Bits(x + skew * exactSum(r, true) * k * 2 ** -24);
          const tree = new ClaimTree(kind, r, y);
          const chunks = tree.children(0, 1).length === 0 ? [] : Array.from({ length: Math.ceil(k / CHUNK_TERMS) }, (_, c) => tree.claim(c, 0));
          for (const [c, claim] of chunks.entries()) {
            const { a, b } = chunkRows(r, c);
            const [chain, scaled] = await harness.read.chunkClaim([a, b, BigInt(tree.scale)]);
            assert.ok(scaled);
            assert.deepEqual({ ...chain }, claim, `chunk ${c}`);
          }
          const [valid, scale] = await harness.read.topVerdict([kind, BigInt(k), claimArgs(chunks), y]);
          assert.equal(scale, tree.scale);
          assert.equal(valid, checkElement(kind, [], r.a, r.b ?? new Uint32Array(k).fill(0x3f800000), y));
        },
      ),
      { numRuns: 16 },
    );
  });

  it('a y outside the bound loses whatever claims are posted: lies that sum right are refuted by their chunk', async () => {
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(OpKind.MATMUL, OpKind.ROW_SUM),
        fc.integer({ min: 2 * CHUNK_TERMS, max: 6 * CHUNK_TERMS }),
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.bigInt({ min: -(2n ** 120n), max: 2n ** 120n })), { minLength: 1, maxLength: 4 }),
        async (kind, k, seed, shifts) => {
          const r = rows(kind, k, seed);
          const x = exactSum(r);
          const y = fp32Bits(x + (Math.abs(x) + 1) * 0.25); // far outside γ_K·Σ|t|
          if (checkElement(kind, [], r.a, r.b ?? new Uint32Array(k).fill(0x3f800000), y)) return; // the rare row where it is not
          const truth = new ClaimTree(kind, r, y);
          const m = Math.ceil(k / CHUNK_TERMS);
          const honest = Array.from({ length: m }, (_, c) => truth.claim(c, 0));
          // A liar moves amounts between chunks (the total stays true), then makes the total match
          // y exactly at the scale, keeping every claim well-formed.
          const posted = honest.map((c) => ({ ...c }));
          for (const [i, d] of shifts) {
            const from = posted[i % m] as ReductionClaim;
            const to = posted[(i + 1) % m] as ReductionClaim;
            posted[i % m] = { ...from, sum: from.sum - d, absSum: from.absSum + (d < 0n ? -d : d) };
            posted[(i + 1) % m] = { ...to, sum: to.sum + d, absSum: to.absSum + (d < 0n ? -d : d) };
          }
          const [passesAsIs] = await harness.read.topVerdict([kind, BigInt(k), claimArgs(posted), y]);
          assert.equal(passesAsIs, false, 'claims that sum to the true total cannot save y');
          const yv = new Float32Array(new Uint32Array([y]).buffer)[0] as number;
          const target = BigInt(Math.round(yv * 2 ** -truth.scale)) - posted.reduce((acc, c) => acc + c.sum, 0n);
          const last = posted[m - 1] as ReductionClaim;
          posted[m - 1] = { ...last, sum: last.sum + target, absSum: last.absSum + (target < 0n ? -target : target) };
          const [passes] = await harness.read.topVerdict([kind, BigInt(k), claimArgs(posted), y]);
          if (!passes) return;
          cases++;
          const pick = firstWrong(posted, honest);
          assert.ok(pick >= 0, 'a passing lie differs from the truth somewhere');
          const { a, b } = chunkRows(r, pick);
          assert.equal(await harness.read.chunkHolds([a, b, BigInt(truth.scale), posted[pick] as ReductionClaim]), false);
          // and the honest chunk claim there holds
          assert.equal(await harness.read.chunkHolds([a, b, BigInt(truth.scale), honest[pick] as ReductionClaim]), true);
        },
      ),
      { numRuns: 12 },
    );
    assert.ok(cases > 0, 'some lies passed the top check and had to be refuted at a chunk');
  });

  it('the claim tree has the documented heights', () => {
    assert.deepEqual([4096, 36_864, 2 ** 20].map(rootHeight), [1, 2, 3]);
  });

  it('the honest solver wins a whole game in the real DisputeGame, down to the chunk a false challenger picks', async () => {
    const [w0, w1, w2, w3] = await viem.getWalletClients();
    if (!w0 || !w1 || !w2 || !w3) throw new Error('need four accounts');
    const m = await playLongReduction({ publicClient: await viem.getPublicClient(), wallets: [w0, w1, w2, w3], k: 36_864, seed: 11 });
    assert.equal(m.outcome, 'SolverWon');
    assert.deepEqual(
      m.moves.map((x) => x.move),
      ['point', 'openReduction', 'chooseClaim', 'postClaims', 'chooseClaim', 'openChunk'],
    );
    assert.ok(m.total <= 1_500_000, `adjudication gas ${m.total}`);
  });

  for (const [solver, moves] of [
    ['wrong-y', ['point', 'openReduction']],
    ['lying-claims', ['point', 'openReduction', 'chooseClaim', 'openChunk']],
  ] as const) {
    it(`a solver whose y is outside the bound loses in the real DisputeGame (${solver})`, async () => {
      const [w0, w1, w2, w3] = await viem.getWalletClients();
      if (!w0 || !w1 || !w2 || !w3) throw new Error('need four accounts');
      const m = await playLongReduction({ publicClient: await viem.getPublicClient(), wallets: [w0, w1, w2, w3], k: 4096, seed: 5, solver });
      assert.equal(m.outcome, 'ChallengerWon');
      assert.deepEqual(
        m.moves.map((x) => x.move),
        moves,
      );
    });
  }
});
