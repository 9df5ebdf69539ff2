// Checkpoint 0 is bound to the spec (docs/PROTOCOL.md §3.2, §5): LibInit against sdk/graph/init.ts
// bit for bit, the SpecReader's view and init rules of v1 and v2 specs against the SDK's graph, and
// ElementJudge.checkInitialElement on real openings of honest and doctored states, on a real EVM
// (Hardhat's in-process network).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { network } from 'hardhat';
import { bytesToHex, type Hex } from 'viem';
import {
  buildGraph,
  completeSpec,
  encodeJobSpec,
  fp32Bits,
  glorotLimit,
  initialState,
  initWeight,
  MerkleTree,
  stateRoot,
  tensorRootBytes,
  TensorTree,
  type JobSpec,
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
  let reader: Awaited<ReturnType<typeof viem.deployContract<'SpecReader'>>>;
  before(async () => {
    harness = await viem.deployContract('InitHarness');
    reader = await viem.deployContract('SpecReader');
    judge = await viem.deployContract('ElementJudge', [
      (await viem.deployContract('ReductionJudge')).address,
      (await viem.deployContract('RelayoutJudge')).address,
      reader.address,
    ]);
  });
  /** The judge's verdict on element `element` of tensor t of `state` as checkpoint 0 of `spec`, the init rule read by the SpecReader. */
  const checkInitial = async (spec: JobSpec, state: readonly Tensor[], t: number, element: number, opening = leafOpening(state, t, element)) => {
    const [exists, init] = await reader.read.initTensor([encodeJobSpec(spec), BigInt(t)]);
    assert.equal(exists, true, `tensor ${t} exists`);
    return judge.read.checkInitialElement([init, spec.model.initSeed, stateRoot(state), BigInt(state.length), BigInt(t), BigInt(element), opening]);
  };

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
    const honest = initialState(spec);
    const S = graph.state.length;
    const check = (state: readonly Tensor[], t: number, element: number, opening?: ReturnType<typeof leafOpening>) =>
      checkInitial(spec, state, t, element, opening);

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

  describe('the SpecReader reads v1 and v2 specs as the SDK does', () => {
    const base = () => {
      const { graphRoot: _unused, ...input } = exampleSpec();
      return input;
    };
    const v2 = (model: object, optimizer?: object): JobSpec => {
      const input = base();
      return completeSpec({
        ...input,
        version: 2,
        model: { ...model, loss: 'softmax-xent', initSeed: input.model.initSeed },
        ...(optimizer === undefined ? {} : { optimizer }),
        training: { steps: 40, checkpointInterval: 10, batchSize: 8 },
      } as never);
    };
    const adamw = {
      kind: 'adamw',
      learningRate: 0.002,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      weightDecay: 0.01,
      schedule: { kind: 'warmup-cosine', warmupSteps: 4, finalLearningRate: 0.0001 },
    };
    const lenet = {
      input: [28, 28, 1],
      layers: [
        { type: 'conv2d', filters: 4, kernel: 5, padding: 'same' },
        { type: 'relu' },
        { type: 'maxpool2d', size: 2 },
        { type: 'conv2d', filters: 6, kernel: 3, stride: 2 },
        { type: 'tanh' },
        { type: 'avgpool2d', size: 2 },
        { type: 'flatten' },
        { type: 'dense', units: 16 },
        { type: 'sigmoid' },
        { type: 'dense', units: 10 },
      ],
    };
    const specs: [string, JobSpec][] = [
      ['v1 MLP', completeSpec(base())],
      ['v2 CNN, AdamW', v2(lenet, adamw)],
      ['v2 CNN, SGD-momentum', v2(lenet)],
      [
        'v2 MLP from a flattened image, AdamW',
        v2({ input: [28, 28, 1], layers: [{ type: 'flatten' }, { type: 'dense', units: 12 }, { type: 'relu' }, { type: 'dense', units: 10 }] }, adamw),
      ],
    ];
    for (const [name, spec] of specs) {
      it(`${name}: the game's view, every state tensor's init rule, and the honest checkpoint 0 holds`, async () => {
        const graph = buildGraph(spec);
        const bytes = encodeJobSpec(spec);
        const view = await reader.read.read([bytes]);
        const features = spec.version === 2 ? spec.model.input.reduce((a, b) => a * b, 1) : (spec.model.layers[0] as number);
        assert.deepEqual(
          { ...view },
          {
            version: spec.version,
            steps: BigInt(spec.training.steps),
            checkpointInterval: spec.training.checkpointInterval,
            graphRoot: spec.graphRoot,
            initSeed: spec.model.initSeed,
            scheduleRoot: spec.version === 2 && spec.optimizer.kind === 'adamw' ? spec.optimizer.scheduleRoot : `0x${'00'.repeat(32)}`,
            datasetRoot: spec.data.root,
            recordCount: BigInt(spec.data.recordCount),
            dataSeed: spec.data.seed,
            featureCount: features,
            outputCount: 10,
            featureEncoding: 1,
            labelEncoding: 1,
          },
        );
        const honest = initialState(spec);
        for (let t = 0; t < graph.state.length; t++) {
          const info = graph.state[t];
          const [exists, init] = await reader.read.initTensor([bytes, BigInt(t)]);
          assert.equal(exists, true);
          assert.deepEqual(
            { shape: [...init.shape], tag: init.tag, fanSum: init.fanSum },
            { shape: [...(info?.shape ?? [])], tag: info?.init?.tag ?? 0, fanSum: info?.init?.fanSum ?? 0 },
            `${name} tensor ${t} (${info?.name})`,
          );
          const n = (honest[t] as Tensor).data.length;
          for (const e of [0, n - 1, ...fc.sample(fc.nat({ max: n - 1 }), 2)])
            assert.equal(await checkInitial(spec, honest, t, e), true, `tensor ${t} element ${e}`);
        }
        const [past] = await reader.read.initTensor([bytes, BigInt(graph.state.length)]);
        assert.equal(past, false, 'no tensor past the state');
      });
    }

    it('a version word other than 1 or 2 reverts with SpecVersionUnsupported', async () => {
      const bytes = encodeJobSpec(completeSpec(base()));
      const v3 = `${bytes.slice(0, 2 + 128 - 1)}3${bytes.slice(2 + 128)}` as Hex;
      await assert.rejects(reader.read.read([v3]), /SpecVersionUnsupported/);
      await assert.rejects(reader.read.read(['0x']), /SpecVersionUnsupported/);
    });
  });
});
