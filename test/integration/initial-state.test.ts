// Checkpoint 0 is bound to the spec (docs/PROTOCOL.md §3.2, §5): LibInit against sdk/graph/init.ts
// bit for bit, and ElementJudge.checkInitialElement on real openings of honest and doctored states,
// on a real EVM (Hardhat's in-process network).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { network } from 'hardhat';
import { bytesToHex, type Hex } from 'viem';
import {
  buildGraph,
  completeSpec,
  fp32Bits,
  glorotLimit,
  initialState,
  initWeight,
  MerkleTree,
  stateRoot,
  tensorRootBytes,
  TensorTree,
  type Tensor,
} from '../../sdk/index.ts';
import { exampleSpec } from '../../sdk/testing/index.ts';

const { viem } = await network.create();

function leafOpening(state: readonly Tensor[], t: number, element: number) {
  const tensor = state[t] as Tensor;
  const opening = new TensorTree(tensor).open(Math.min(element, tensor.data.length - 1), 1);
  const roots = new Uint8Array(state.length * 32);
  state.forEach((s, i) => {
    roots.set(tensorRootBytes(s), i * 32);
  });
  return {
    shape: [...tensor.shape],
    block: bytesToHex(opening.leaves),
    leafProof: [...opening.proof.siblings],
    rootProof: [...new MerkleTree(roots).rangeProof(t, 1).siblings],
  };
}

describe('checkpoint 0 is judged by the init rule on-chain', () => {
  let harness: Awaited<ReturnType<typeof viem.deployContract<'InitHarness'>>>;
  let judge: Awaited<ReturnType<typeof viem.deployContract<'ElementJudge'>>>;
  before(async () => {
    harness = await viem.deployContract('InitHarness');
    judge = await viem.deployContract('ElementJudge', [
      (await viem.deployContract('ReductionJudge')).address,
      (await viem.deployContract('RelayoutJudge')).address,
    ]);
  });

  it('the Glorot limit agrees with the SDK for every fan sum up to 8192 that a sample draws', async () => {
    const sums = [2, 3, 4, 5, 6, 7, 138, 794, 912, 4096, 8192, ...fc.sample(fc.integer({ min: 2, max: 8192 }), 40)];
    for (const fanSum of sums) assert.equal(await harness.read.glorotLimit([BigInt(fanSum)]), fp32Bits(glorotLimit(fanSum)), `fanSum ${fanSum}`);
  });

  it('weight elements agree with the SDK bit for bit (random seeds, layers and elements)', async () => {
    const cases = fc.sample(
      fc.record({
        seed: fc.uint8Array({ minLength: 32, maxLength: 32 }),
        layer: fc.integer({ min: 1, max: 16 }),
        fanSum: fc.integer({ min: 2, max: 8192 }),
        elements: fc.array(fc.nat({ max: 2 ** 26 }), { minLength: 50, maxLength: 50 }),
      }),
      20,
    );
    let checked = 0;
    for (const c of cases) {
      const got = await harness.read.weightBits([bytesToHex(c.seed), BigInt(c.layer), c.elements.map(BigInt), BigInt(c.fanSum)]);
      const limit = glorotLimit(c.fanSum);
      c.elements.forEach((e, i) => {
        assert.equal(got[i], fp32Bits(initWeight(c.seed, c.layer, e, limit)), `layer ${c.layer} element ${e}`);
      });
      checked += c.elements.length;
    }
    assert.equal(checked, 1000);
  });

  describe('on real openings of a [784, 32, 10] state', () => {
    const spec = (() => {
      const { graphRoot: _unused, ...input } = exampleSpec();
      input.model.layers = [784, 32, 10];
      return completeSpec(input);
    })();
    const graph = buildGraph(spec);
    const layers = spec.model.layers;
    const honest = initialState(spec);
    const S = graph.state.length;
    const check = (state: readonly Tensor[], t: number, element: number, opening = leafOpening(state, t, element)) =>
      judge.read.checkInitialElement([layers, spec.model.initSeed, stateRoot(state), BigInt(S), BigInt(t), BigInt(element), opening]);

    it('every tensor of the honest initial state holds at random elements, and past its end', async () => {
      for (let t = 0; t < S; t++) {
        const n = (honest[t] as Tensor).data.length;
        for (const e of [0, n - 1, ...fc.sample(fc.nat({ max: n - 1 }), 3), n + 5]) assert.equal(await check(honest, t, e), true, `tensor ${t} element ${e}`);
      }
    });

    it('a NaN momentum slot, a doctored weight or a wrong shape loses exactly where it departs', async () => {
      const doctor = (t: number, e: number, v: number): Tensor[] =>
        honest.map((x, i) => (i === t ? { shape: x.shape, data: Object.assign(x.data.slice(), { [e]: v }) } : x));
      const nanMomentum = doctor(0, 700, Number.NaN);
      assert.equal(await check(nanMomentum, 0, 700), false, 'NaN momentum');
      assert.equal(await check(nanMomentum, 0, 699), true, 'its neighbour is the init value');
      const weight = doctor(S / 2, 12_345, ((honest[S / 2] as Tensor).data[12_345] as number) * 1.0000001);
      assert.equal(await check(weight, S / 2, 12_345), false, 'one ulp off in Wt_1');
      const bias = doctor(S / 2 + 1, 3, -0);
      assert.equal(await check(bias, S / 2 + 1, 3), false, 'a bias of -0 is not the +0 the rule fixes');
      const reshaped = honest.map((x, i) => (i === 1 ? { shape: [2, 16], data: x.data } : x));
      assert.equal(await check(reshaped, 1, 0), false, 'vb_1 of shape [2, 16]');
    });

    it('a block that is not the state leaf reverts (a bad opening, not a verdict)', async () => {
      const opening = leafOpening(honest, S / 2, 100);
      const forged = { ...opening, block: `${opening.block.slice(0, -2)}ff` as Hex };
      await assert.rejects(check(honest, S / 2, 100, forged), /OpCheckStateLeafInvalid/);
    });
  });
});
