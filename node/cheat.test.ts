import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { zeroAddress } from 'viem';
import type { StatesProvider, StatesRequest } from '../sdk/index.ts';
import { cheatingBehaviour, fraudSteps } from './cheat.ts';

describe('the demo cheating mode', () => {
  it('fakes the configured interval only', () => {
    assert.equal(fraudSteps({ kind: 'none', interval: 1 }, 8), undefined);
    const mid = fraudSteps({ kind: 'wrong-lr', interval: 2 }, 8);
    assert.deepEqual(
      Array.from({ length: 40 }, (_, s) => s).filter((s) => mid?.(s) === true),
      [20],
    );
    const copy = fraudSteps({ kind: 'copy-checkpoint', interval: 1 }, 8);
    assert.deepEqual(
      Array.from({ length: 40 }, (_, s) => s).filter((s) => copy?.(s) === true),
      [8, 9, 10, 11, 12, 13, 14, 15],
    );
  });

  it('injects nothing when off, and only what each cheat changes when on', async () => {
    assert.deepEqual(cheatingBehaviour({ kind: 'none', interval: 1 }), {});
    const lr = cheatingBehaviour({ kind: 'wrong-lr', interval: 1 });
    assert.equal(typeof lr.transitionFor?.(8), 'function');
    assert.equal(lr.states, undefined);
    assert.equal(lr.defense, undefined);
    const withhold = cheatingBehaviour({ kind: 'withhold', interval: 1 });
    assert.equal(withhold.transitionFor, undefined, 'a withholding solver trains honestly');
    // The silent defence reads neither the solver's data nor the dispute: empty stand-ins will do.
    const strategy = withhold.defense?.({} as never);
    assert.ok(strategy !== undefined);
    assert.equal(strategy.side, 'solver');
    assert.equal(await strategy.next({} as never), undefined, 'and never moves in a dispute');
    const honest: StatesProvider = async function* () {
      yield await Promise.resolve({ step: 0, bytes: new Uint8Array(1) });
    };
    const provider = withhold.states?.(honest);
    assert.ok(provider !== undefined);
    const request: StatesRequest = { market: zeroAddress, jobId: '1', fromStep: 0, toStep: 0, want: 'states' };
    await assert.rejects(async () => {
      for await (const _ of provider(request, { from: zeroAddress, peer: 'peer', signal: AbortSignal.timeout(5_000) })) {
        /* nothing */
      }
    }, /withholding/);
  });
});
