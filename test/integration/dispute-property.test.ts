// Property: over random interval lengths and fraud positions, the honest side wins and every
// game ends within ceil(log2 k) + 3 moves per side. Real chain, real (small) trained steps.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { challenge, silentLogger, Stage, type MoveRecord } from '../../sdk/index.ts';
import { createWorld } from './dispute-fixture.ts';
import { playChallenger, playSolver } from './helpers/players.ts';

const CHALLENGER_MOVES = new Set(['chooseHalf', 'point']);

describe('dispute game properties', () => {
  it('for random k and fraud steps the honest side wins within log2(k) + 3 moves per side', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 40 }), fc.nat(), fc.boolean(), async (k, at, cheat) => {
        const world = await createWorld({ layers: [784, 8, 10], batchSize: 4, k, intervals: 1 });
        const faultyStep = at % k;
        const solverChain = world.chain(cheat ? { kind: 'tamper-element', at: (s) => s === faultyStep } : undefined);
        const jobId = await world.runJob(solverChain);
        const { disputeId } = await challenge(world.clients(world.challenger), { jobId, interval: 0, spec: world.spec, graph: world.graph });
        const moves: MoveRecord[] = [];
        const common = { log: silentLogger, pollMs: 10, onMove: (m: MoveRecord) => moves.push(m) };
        const [end] = await Promise.all([
          playSolver(world.clients(world.solver), disputeId, {
            ...common,
            graph: world.graph,
            spec: world.spec,
            trajectory: solverChain,
            dataset: world.dataset,
          }),
          playChallenger(world.clients(world.challenger), disputeId, { ...common, graph: world.graph, solverChain, faultyStep }),
        ]);
        assert.equal(end, cheat ? Stage.ChallengerWon : Stage.SolverWon, `k=${k}, fraud at ${faultyStep}, cheat=${cheat}`);
        const bound = Math.ceil(Math.log2(k)) + 3;
        const challengerMoves = 1 + moves.filter((m) => CHALLENGER_MOVES.has(m.move)).length; // + the challenge itself
        const solverMoves = moves.length - (challengerMoves - 1);
        assert.ok(solverMoves <= bound && challengerMoves <= bound, `k=${k}: ${solverMoves} solver / ${challengerMoves} challenger moves > ${bound}`);
      }),
      { numRuns: 8 },
    );
  });
});
