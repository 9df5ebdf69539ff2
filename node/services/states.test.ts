import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeState, type StatesItem, type Tensor, type Trajectory } from '../../sdk/index.ts';
import type { SolverDb } from '../db.ts';
import { createSolverMetrics } from './metrics.ts';
import { createStatesProvider } from './states.ts';
import type { JobWorkspace } from './workspace.ts';

const stateAt = (step: number): Tensor[] => [{ shape: [2], data: new Float32Array([step, -step]) }];

/** A workspace with k = 4 and checkpoints 0..2 stored, recording which intervals were re-executed. */
function fixture() {
  const reexecuted: number[] = [];
  const ws = {
    k: 4,
    graph: { ops: [] },
    checkpoints: { file: (i: number) => Promise.resolve(i <= 2 ? encodeState(stateAt(4 * i)) : undefined) },
    trajectory(interval: number): Promise<Trajectory> {
      reexecuted.push(interval);
      return Promise.resolve({
        start: 4 * interval,
        end: 4 * interval + 4,
        stateAt: (s) => Promise.resolve(stateAt(s)),
        stepAt: () => Promise.reject(new Error('unused')),
      });
    },
  } as unknown as JobWorkspace;
  const provider = createStatesProvider({
    db: { job: () => ({ committed: 2 }) } as unknown as SolverDb,
    workspaces: { get: () => Promise.resolve(ws) },
    logger: { child: () => ({ info: () => undefined }) } as never,
    metrics: createSolverMetrics(),
  });
  const serve = async (fromStep: number, toStep: number): Promise<StatesItem[]> => {
    const items: StatesItem[] = [];
    const request = { market: '0x00', jobId: '1', fromStep, toStep, want: 'states' as const };
    for await (const item of provider(request, { from: '0x0000000000000000000000000000000000000001', peer: 'p', signal: new AbortController().signal }))
      items.push(item);
    return items;
  };
  return { serve, reexecuted };
}

describe('states provider', () => {
  it('serves a checkpoint step from its stored file, without re-executing the interval', async () => {
    const f = fixture();
    const [item] = await f.serve(8, 8);
    assert.deepEqual(item?.bytes, encodeState(stateAt(8)));
    assert.deepEqual(f.reexecuted, []);
  });

  it('re-executes the interval for a step between checkpoints', async () => {
    const f = fixture();
    const items = await f.serve(3, 4);
    assert.deepEqual(
      items.map((i) => i.step),
      [3, 4],
    );
    assert.deepEqual(items[0]?.bytes, encodeState(stateAt(3)));
    assert.deepEqual(f.reexecuted, [0]);
  });
});
