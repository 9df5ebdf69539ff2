import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseEther, zeroHash } from 'viem';
import { NEXT_STATE } from '../../sdk/dispute/client.ts';
import { describeChainEvent, text, type ChainEvent } from './events.ts';
import { describeChildLine } from './story.ts';

const ctx = {
  nameOf: (a: string) => (a === '0xaa' ? 'solver-B (cheater)' : undefined),
  symbol: 'VTT',
  opName: (_d: bigint, op: number) => (op === 28 ? 'op 28 (update.Wt1, SGD_WEIGHT)' : undefined),
  intervalsOf: () => 16,
};
const ev = (source: 'market' | 'game', name: string, args: Record<string, unknown>): ChainEvent => ({
  source,
  name,
  args,
  blockNumber: 1n,
  logIndex: 0,
  transactionHash: zeroHash,
});

describe('devnet narration', () => {
  it('tells the adjudicated element by its op name, or the next state', () => {
    assert.match(
      describeChainEvent(ev('game', 'ElementPointed', { disputeId: 1n, op: 28, element: 35n }), ctx) ?? '',
      /element 35 of op 28 \(update\.Wt1, SGD_WEIGHT\)/,
    );
    assert.match(
      describeChainEvent(ev('game', 'ElementPointed', { disputeId: 1n, op: NEXT_STATE, element: (3n << 32n) | 700n }), ctx) ?? '',
      /element 700 of tensor 3 of the next state/,
    );
    assert.match(describeChainEvent(ev('game', 'ElementOpened', { disputeId: 1n, op: 28, element: 35n, valid: false }), ctx) ?? '', /INVALID/);
  });

  it('names accounts, formats token amounts and checkpoint progress, and skips what the story does not tell', () => {
    assert.equal(
      describeChainEvent(ev('market', 'JobSlashed', { jobId: 2n, solver: '0xaa', challenger: '0xbb', stake: parseEther('10') }), ctx),
      'job 2 SLASHED: solver-B (cheater) loses its 10 VTT stake; 0xbb gets its share, the submitter its refund',
    );
    assert.match(
      describeChainEvent(ev('market', 'CheckpointCommitted', { jobId: 1n, index: 3, stateRoot: zeroHash, cid: '0x01551220' + 'ab'.repeat(32) }), ctx) ?? '',
      /checkpoint 3\/16 committed/,
    );
    assert.equal(describeChainEvent(ev('market', 'OwnershipTransferred', {}), ctx), undefined);
    assert.equal(text(undefined), '');
    assert.equal(text({ a: 1 }), '{"a":1}');
  });

  it("tells the roles' key log lines and ignores the rest", () => {
    assert.equal(describeChildLine({ msg: 'job claimed', jobId: '1', steps: 512 }, 'solver-A'), 'claims job 1 and trains it (512 steps)');
    assert.match(describeChildLine({ msg: 'interval screened', jobId: '2', interval: 1, distance: 1.2, verdict: 'flag' }, 'verifier') ?? '', /FLAGGED/);
    assert.equal(describeChildLine({ msg: 'transaction sent' }, 'verifier'), undefined);
    assert.match(
      describeChildLine({ level: 'error', msg: 'job task failed; will retry', error: { message: 'boom' } }, 'solver-A') ?? '',
      /ERROR job task failed; will retry: boom/,
    );
  });
});
