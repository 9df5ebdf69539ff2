import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Tensor } from '../sdk/commit/tensor.ts';
import { Stage } from '../sdk/dispute/stages.ts';
import { useBackend } from '../sdk/engine/backend.ts';
import { executeForward, toTf } from '../sdk/engine/executor.ts';
import { completeSpec } from '../sdk/graph/complete.ts';
import { buildGraph } from '../sdk/graph/graph.ts';
import { initialState } from '../sdk/graph/init.ts';
import { loadMnist, MNIST_PIXELS, MNIST_RECORD_BYTES } from '../sdk/data/mnist.ts';
import { exampleSpec } from '../sdk/testing/index.ts';
import { checkpointLoss } from './loss.ts';
import { buildSnapshot, type ChainLog, type SnapshotInput } from './snapshot.ts';

const t = (shape: number[], values: number[]): Tensor => ({ shape, data: Float32Array.from(values) });

describe('checkpointLoss', () => {
  // A 2-2-2 MLP: momenta (ignored), then W1 [2,2], b1, W2 [2,2], b2.
  const params = [t([2, 2], [1, 0, 0, 1]), t([2], [0, 0]), t([2, 2], [1, 0, 0, 1]), t([2], [0, 0])];
  const state = [...params.map((p) => t([...p.shape], new Array<number>(p.data.length).fill(9))), ...params];

  it('is the mean softmax cross-entropy of the forward pass on u8-unit records', () => {
    const spec = {
      model: { layers: [2, 2, 2], activation: 'relu', loss: 'softmax-xent', initSeed: `0x${'00'.repeat(32)}` },
      data: { featureEncoding: 'u8-unit', labelEncoding: 'class-u8' },
    } as const;
    // Record 1: pixels (255, 0) -> logits (1, 0), label 0; record 2: (0, 255) -> (0, 1), label 0.
    const records = Uint8Array.from([255, 0, 0, 0, 255, 0]);
    const right = Math.log(1 + Math.exp(-1));
    const wrong = Math.log(1 + Math.exp(1));
    const loss = checkpointLoss(spec as never, state, records);
    assert.ok(Math.abs(loss - (right + wrong) / 2) < 1e-7, `${loss}`);
  });

  it('is the mean squared error per output for f32 targets', () => {
    const spec = {
      model: { layers: [2, 2, 2], activation: 'tanh', loss: 'mse', initSeed: `0x${'00'.repeat(32)}` },
      data: { featureEncoding: 'f32', labelEncoding: 'f32' },
    } as const;
    const record = new Float32Array([0.5, -0.5, 0, 1]);
    const y = [Math.tanh(0.5), Math.tanh(-0.5)];
    const expected = ((y[0] as number) ** 2 + ((y[1] as number) - 1) ** 2) / 2;
    assert.ok(Math.abs(checkpointLoss(spec as never, state, new Uint8Array(record.buffer)) - expected) < 1e-6);
  });

  it("a v2 CNN's loss is the SDK's canonical forward pass (fp32) to within float rounding", async () => {
    const { graphRoot: _unused, ...input } = exampleSpec();
    const spec = completeSpec({
      ...input,
      version: 2,
      model: {
        input: [28, 28, 1],
        layers: [
          { type: 'conv2d', filters: 3, kernel: 5, stride: 2, padding: 'same' },
          { type: 'relu' },
          { type: 'maxpool2d', size: 2 },
          { type: 'conv2d', filters: 4, kernel: 3 },
          { type: 'tanh' },
          { type: 'avgpool2d', size: 2 },
          { type: 'flatten' },
          { type: 'dense', units: 10 },
        ],
        loss: 'softmax-xent',
        initSeed: input.model.initSeed,
      },
      optimizer: {
        kind: 'adamw',
        learningRate: 0.001,
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-8,
        weightDecay: 0,
        schedule: { kind: 'constant', warmupSteps: 0, finalLearningRate: 0.001 },
      },
    });
    // Non-zero biases, so their layout is checked too.
    const state = initialState(spec).map((x) => (x.shape.length === 1 ? { shape: x.shape, data: x.data.map((_, i) => 0.01 * (i % 5) - 0.02) } : x));
    const n = 16;
    const records = loadMnist().records.subarray(0, n * MNIST_RECORD_BYTES);
    const tfjs = await useBackend('cpu');
    const graph = buildGraph({ ...spec, training: { ...spec.training, batchSize: n } });
    const x = Float32Array.from(
      { length: n * MNIST_PIXELS },
      (_, i) => (records[Math.floor(i / MNIST_PIXELS) * MNIST_RECORD_BYTES + (i % MNIST_PIXELS)] as number) / 255,
    );
    const params = toTf(tfjs, state);
    const logits = (await executeForward(tfjs, graph, params, x).data()) as Float32Array;
    for (const p of params) p.dispose();
    let expected = 0;
    for (let r = 0; r < n; r++) {
      const row = Array.from(logits.subarray(10 * r, 10 * r + 10));
      const max = Math.max(...row);
      const label = records[r * MNIST_RECORD_BYTES + MNIST_PIXELS] as number;
      expected += Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0)) + max - (row[label] as number);
    }
    expected /= n;
    const loss = checkpointLoss(spec, state, records);
    assert.ok(Math.abs(loss - expected) < 1e-5 * Math.max(1, expected), `explorer ${loss} vs SDK ${expected}`);
  });

  it('refuses a checkpoint that is not of the job’s model', () => {
    const spec = { model: { layers: [2, 3, 2], activation: 'relu', loss: 'softmax-xent' }, data: { featureEncoding: 'u8-unit', labelEncoding: 'class-u8' } };
    assert.throws(() => checkpointLoss(spec as never, state.slice(0, 6), Uint8Array.from([1, 2, 0])), RangeError);
  });
});

describe('buildSnapshot', () => {
  const A = '0x00000000000000000000000000000000000000aa';
  const S = '0x00000000000000000000000000000000000000bb';
  const C = '0x00000000000000000000000000000000000000cc';
  let n = 0;
  const log = (source: ChainLog['source'], name: string, args: Record<string, unknown>, block: bigint, tx = `0x${(++n).toString(16)}`): ChainLog => ({
    source,
    name,
    args,
    blockNumber: block,
    logIndex: n,
    transactionHash: tx,
  });
  const base = (logs: ChainLog[]): SnapshotInput => ({
    chainId: 31337,
    head: { number: 20n, timestamp: 1_000 },
    contracts: { market: '0x1', game: '0x2', vault: '0x3' },
    token: { symbol: 'VTT', decimals: 18 },
    clockBudget: 60,
    logs,
    blockTimes: new Map([[5n, 900]]),
    jobs: new Map(),
    disputes: new Map(),
    accounts: new Map([[C, { staked: 1n, locked: 0n, pendingUnstake: 0n, marketCredit: 0n, gameCredit: 0n }]]),
    receipts: new Map([['0xfee', { from: C, gasUsed: 21_000n }]]),
    specs: new Map(),
    opName: (_job, op) => (op === 28 ? 'update.Wt1, SGD_WEIGHT' : undefined),
    losses: new Map(),
    validation: undefined,
    reports: new Map(),
    labels: new Map([[C, 'verifier']]),
  });

  it('tells a dispute move by move with the range left after each, the pointed op by name, the verdict and its payouts', () => {
    const logs = [
      log(
        'market',
        'JobPosted',
        { jobId: 2n, submitter: A, payment: 2n, solverStake: 10n, checkpointCount: 8, claimDeadline: 0, challengeWindow: 30, specHash: '0x' },
        1n,
      ),
      log('game', 'DisputeCreated', { disputeId: 1n, jobId: 2n, challenger: C, solver: S, interval: 1, lo: 32n, hi: 64n, bond: 5n }, 5n),
      log('game', 'MidpointPosted', { disputeId: 1n, step: 48n, stateRoot: '0xabc' }, 6n),
      log('game', 'HalfChosen', { disputeId: 1n, left: true, lo: 32n, hi: 48n }, 7n),
      log('game', 'TracePosted', { disputeId: 1n, step: 40n, traceRoot: '0xdef' }, 8n),
      log('game', 'ElementPointed', { disputeId: 1n, op: 28, element: 17n }, 9n),
      log('game', 'ElementOpened', { disputeId: 1n, op: 28, element: 17n, valid: false }, 10n, '0xend'),
      log('game', 'DisputeResolved', { disputeId: 1n, jobId: 2n, outcome: Stage.ChallengerWon }, 10n, '0xend'),
      log('market', 'Credited', { account: C, token: '0x9', amount: 5n }, 10n, '0xend'),
      log('market', 'Credited', { account: A, token: '0x9', amount: 7n }, 11n),
    ];
    const snap = buildSnapshot(base(logs));
    const d = snap.disputes[0];
    assert.ok(d !== undefined);
    assert.deepEqual(
      d.moves.map((m) => [m.kind, m.by, `${m.lo}..${m.hi}`]),
      [
        ['opened', 'challenger', '32..64'],
        ['midpoint', 'solver', '32..64'],
        ['half', 'challenger', '32..48'],
        ['trace', 'solver', '40..41'],
        ['point', 'challenger', '40..41'],
        ['opened-element', 'solver', '40..41'],
        ['resolved', 'chain', '40..41'],
      ],
    );
    assert.equal(d.pointed?.name, 'element 17 of op 28 (update.Wt1, SGD_WEIGHT)');
    assert.equal(d.traceRoot, '0xdef');
    assert.equal(d.verdict, 'ChallengerWon');
    assert.equal(d.over, true);
    assert.match(d.moves[5]?.text ?? '', /INVALID/);
    assert.deepEqual(d.payouts, [{ account: C, amount: '5', from: 'market' }], 'only the credits of the resolving transaction');
    const job = snap.jobs[0];
    assert.ok(job !== undefined);
    assert.deepEqual(job.disputes, ['1']);
    assert.equal(job.total, 9, 'checkpoints 0..8');
  });

  it('shows accounts with their label, roles and the gas of their transactions', () => {
    const snap = buildSnapshot(
      base([log('game', 'DisputeCreated', { disputeId: 1n, jobId: 2n, challenger: C, solver: S, interval: 1, lo: 32n, hi: 64n, bond: 5n }, 5n)]),
    );
    assert.deepEqual(
      snap.accounts.map((a) => [a.label, a.roles, a.gasUsed, a.transactions, a.staked]),
      [['verifier', ['challenger'], '21000', 1, '1']],
    );
  });
});
