import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { completeSpec, type JobRecord } from '../../sdk/index.ts';
import { exampleSpec } from '../../sdk/testing/index.ts';
import { decideClaim, parameterCount, type ClaimPolicy } from './policy.ts';

const { graphRoot: _g, ...input } = exampleSpec();
const spec = completeSpec({ ...input, model: { ...input.model, layers: [784, 32, 10] }, training: { steps: 64, checkpointInterval: 8, batchSize: 16 } });
const me = '0x00000000000000000000000000000000000000aa';
const job: JobRecord = {
  jobId: 1n,
  status: 'Open',
  submitter: '0x00000000000000000000000000000000000000bb',
  solver: '0x0000000000000000000000000000000000000000',
  specHash: '0x00',
  token: '0x00000000000000000000000000000000000000cc',
  payment: 6400n,
  solverStake: 10n,
  checkpointCount: 8,
  openDisputes: 0,
  claimDeadline: 1000,
  trainingDuration: 3600,
  trainingDeadline: 0,
  challengeWindow: 60,
  challengeDeadline: 0,
};
const policy: ClaimPolicy = { autoClaim: true, minPricePerStep: 100n, maxParameters: 100_000, tokens: [], deadlineSafety: 0.5, maxChallengeWindow: 86_400 };
const decide = (over: { job?: Partial<JobRecord>; policy?: Partial<ClaimPolicy>; freeStake?: bigint; chainTime?: number; clockBudget?: number } = {}) =>
  decideClaim({
    job: { ...job, ...over.job },
    spec,
    freeStake: over.freeStake ?? 10n,
    chainTime: over.chainTime ?? 500,
    policy: { ...policy, ...over.policy },
    backend: 'wasm',
    me,
    clockBudget: over.clockBudget ?? 3600,
  });

describe('claim policy', () => {
  it('claims a job that fits and says why it declines one that does not', () => {
    assert.equal(parameterCount(spec), 784 * 32 + 32 + 32 * 10 + 10);
    assert.deepEqual(decide(), { claim: true });
    assert.match(JSON.stringify(decide({ policy: { minPricePerStep: 101n } })), /pays 100 per step/);
    assert.match(JSON.stringify(decide({ policy: { maxParameters: 1000 } })), /parameters/);
    assert.match(JSON.stringify(decide({ chainTime: 1001 })), /claim deadline passed/);
    assert.match(JSON.stringify(decide({ job: { status: 'Claimed' } })), /job is Claimed/);
    assert.match(JSON.stringify(decide({ policy: { tokens: ['0x00000000000000000000000000000000000000dd'] } })), /policy\.tokens/);
    assert.match(JSON.stringify(decide({ job: { trainingDuration: 1 }, policy: { flopsPerSecond: 1e6 } })), /training needs about/);
    const poor = decide({ freeStake: 9n });
    assert.ok(!poor.claim);
    assert.equal(poor.final, false, 'stake can be added later: not final');
    assert.match(JSON.stringify(decide({ job: { submitter: me } })), /own account/);
  });

  it('declines a job whose interval it could not regenerate within one dispute clock', () => {
    // 8 steps of 6·16·(784·32 + 32·10) FLOPs at 1e3 FLOP/s: about 20,000 s, over half of 3,600 s.
    const d = decide({ policy: { flopsPerSecond: 1e3 }, job: { trainingDuration: 1e12 } });
    assert.ok(!d.claim && d.final);
    assert.match(JSON.stringify(d), /regenerating one interval needs about/);
    assert.deepEqual(decide({ policy: { flopsPerSecond: 1e3 }, job: { trainingDuration: 1e12 }, clockBudget: 1e6 }), { claim: true });
  });

  it("declines a bait job whose on-chain checkpoint count is not the spec's (it could only expire)", () => {
    assert.match(JSON.stringify(decide({ job: { challengeWindow: 2 ** 32 - 1 } })), /policy\.maxChallengeWindow/);
    for (const checkpointCount of [7, 9, 1024]) {
      const d = decide({ job: { checkpointCount } });
      assert.ok(!d.claim && d.final, `checkpointCount ${checkpointCount}`);
      assert.match(JSON.stringify(d), /steps \/ checkpointInterval = 8/);
    }
  });
});
