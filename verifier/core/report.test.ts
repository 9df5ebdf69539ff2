import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { afterFetch, afterScreen, shouldChallenge } from './policy.ts';
import { formatReport, jobReport, type IntervalRow } from './report.ts';

describe('policy', () => {
  it('screens, fetches only what the screen flags, and challenges only provable or withheld intervals', () => {
    assert.equal(afterScreen('pass', 'screen'), 'passed');
    assert.equal(afterScreen('flag', 'screen'), 'flagged');
    assert.equal(afterScreen('unavailable', 'screen'), 'flagged');
    assert.equal(afterScreen('pass', 'exact'), 'flagged');
    assert.equal(afterFetch({ kind: 'clean' }, { challengeWithheld: true }), 'cleared');
    assert.equal(afterFetch({ kind: 'fault', step: 3 }, { challengeWithheld: false }), 'fault');
    assert.equal(afterFetch({ kind: 'withheld', reason: 'refused' }, { challengeWithheld: true }), 'withheld');
    assert.equal(afterFetch({ kind: 'withheld', reason: 'refused' }, { challengeWithheld: false }), 'missed');
    assert.deepEqual(
      ['passed', 'cleared', 'fault', 'withheld', 'flagged'].map((s) => shouldChallenge(s as never)),
      [false, false, true, true, false],
    );
  });
});

describe('job report', () => {
  const row = (interval: number, state: IntervalRow['state'], distance: number | null, exact = 0): IntervalRow => ({
    interval,
    state,
    stepsReexecuted: state === 'sampled' ? 0 : 8,
    stepsExact: exact,
    distance,
    ms: 10,
  });

  it('counts checked intervals, compute and detection', () => {
    const r = jobReport({
      jobId: '3',
      jobStatus: 'Slashed',
      steps: 800,
      checkpointInterval: 8,
      intervals: 100,
      sampled: [1, 5, 9, 20, 40],
      rows: [row(1, 'passed', 3e-7), row(5, 'passed', 1e-6), row(9, 'challenged', 0.4, 8), row(20, 'cleared', 2e-4, 8), row(40, 'sampled', null)],
      disputes: [{ disputeId: '1', interval: 9, outcome: 'won', faultyStep: 75 }],
      fakeFraction: 0.1,
    });
    assert.equal(r.checked, 4);
    assert.deepEqual(r.checkedIntervals, [1, 5, 9, 20], 'the sampled-but-unchecked interval 40 is not listed');
    assert.equal(r.flagged, 2);
    assert.equal(r.stepsReexecuted, 32);
    assert.equal(r.computeFraction, 32 / 800);
    assert.equal(r.computeFractionWithExact, 48 / 800);
    assert.ok(Math.abs(r.detection - (1 - 0.9 ** 4)) < 1e-12);
    assert.equal(r.worstPassedDistance, 1e-6);
    const text = formatReport(r);
    assert.match(text, /intervals checked +4 of 5 sampled, 100 in the job/);
    assert.match(text, /dispute 1 .*interval 9, fault at step 75: won/);
  });
});
