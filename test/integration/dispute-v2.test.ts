// Whole disputes over a version-2 job on a real chain: a small CNN trained with AdamW (warmup then
// cosine) on real MNIST steps. The game reads the spec's canonical bytes through the SpecReader: an
// honest solver wins points at the AdamW ops (their schedule row opened by proof), a conv op and
// checkpoint 0; a solver whose first conv reads its input shifted loses at that conv layer's op.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { challenge, findFault, OpKind, silentLogger, Stage, type Fault, type MoveRecord } from '../../sdk/index.ts';
import { createWorld } from './dispute-fixture.ts';
import { playChallenger, playSolver } from './helpers/players.ts';

const world = await createWorld({
  k: 4,
  batchSize: 8,
  v2: {
    model: {
      input: [28, 28, 1],
      layers: [{ type: 'conv2d', filters: 4, kernel: 5 }, { type: 'relu' }, { type: 'maxpool2d', size: 2 }, { type: 'flatten' }, { type: 'dense', units: 10 }],
    },
    optimizer: {
      kind: 'adamw',
      learningRate: 0.002,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      weightDecay: 0.01,
      schedule: { kind: 'warmup-cosine', warmupSteps: 2, finalLearningRate: 0.0001 },
    },
  },
});
const solverClients = world.clients(world.solver);
const challengerClients = world.clients(world.challenger);
const FAULTY_STEP = world.k + 1; // inside interval 1

const opOf = (kind: number, name?: string): number => {
  const i = world.graph.ops.findIndex((o) => o.kind === kind && (name === undefined || o.name.startsWith(name)));
  assert.ok(i >= 0, `the graph has a ${name ?? ''} op of kind ${kind}`);
  return i;
};

async function dispute(opts: { cheat?: boolean; falseChallenge?: Fault; interval?: number }) {
  const solverChain = world.chain(opts.cheat === true ? { kind: 'conv-padding', at: (s) => s === FAULTY_STEP } : undefined);
  const jobId = await world.runJob(solverChain);
  const interval = opts.interval ?? 1;
  const { disputeId } = await challenge(challengerClients, { jobId, interval, spec: world.spec, graph: world.graph });
  const moves: MoveRecord[] = [];
  const common = { log: silentLogger, pollMs: 20, onMove: (m: MoveRecord) => moves.push(m) };
  const [solverEnd, challengerEnd] = await Promise.all([
    playSolver(solverClients, disputeId, { ...common, graph: world.graph, spec: world.spec, trajectory: solverChain, dataset: world.dataset }),
    playChallenger(challengerClients, disputeId, {
      ...common,
      graph: world.graph,
      solverChain,
      faultyStep: interval === 0 ? 0 : FAULTY_STEP,
      initial: world.initial,
      ...(opts.falseChallenge === undefined ? {} : { pointAt: () => opts.falseChallenge as Fault }),
    }),
  ]);
  assert.equal(solverEnd, challengerEnd);
  const pointed = moves.find((m) => m.move === 'point');
  return { stage: solverEnd, job: await world.market.read.getJob([jobId]), moves, pointed };
}

describe('dispute game over a v2 job (CNN, AdamW with warmup + cosine)', () => {
  it('the spec is v2 and its graph has AdamW and conv ops', () => {
    assert.equal(world.spec.version, 2);
    for (const kind of [OpKind.ADAM_M, OpKind.ADAM_V, OpKind.ADAM_DIR, OpKind.ADAMW_STEP, OpKind.PATCHES]) opOf(kind);
  });

  // Element 7 of the first parameter's update: every AdamW kind reads the step's row or the spec's constants.
  for (const [label, kind] of [
    ['ADAM_DIR (bias corrections of the row)', OpKind.ADAM_DIR],
    ['ADAMW_STEP (learning rate of the row)', OpKind.ADAMW_STEP],
    ['ADAM_V', OpKind.ADAM_V],
  ] as const) {
    it(`an honest solver opens ${label} with its schedule row and wins a false challenge`, async () => {
      const op = opOf(kind);
      const { stage, job, moves } = await dispute({ falseChallenge: { kind: 'element', op, element: 7 } });
      assert.equal(stage, Stage.SolverWon);
      assert.equal(job.status, 3, 'job stays Submitted');
      assert.ok(
        moves.some((m) => m.move === 'openAdamElement'),
        `decided by openAdamElement: ${moves.map((m) => m.move).join(', ')}`,
      );
    });
  }

  it("an honest solver wins a false challenge at the conv's product", async () => {
    const { stage, moves } = await dispute({ falseChallenge: { kind: 'element', op: opOf(OpKind.MATMUL, 'layer1.conv'), element: 100 } });
    assert.equal(stage, Stage.SolverWon);
    assert.ok(moves.some((m) => m.move === 'openElement'));
  });

  it('an honest solver wins an INITIAL_STATE point at a conv weight (the init rule read from the v2 spec)', async () => {
    // State order [m.., v.., θ..]: the first parameter (the conv's Wt) is tensor 2P of 3P.
    const tensor = (2 * world.graph.state.length) / 3;
    const { stage, moves } = await dispute({ interval: 0, falseChallenge: { kind: 'initial', tensor, element: 50 } });
    assert.equal(stage, Stage.SolverWon);
    assert.ok(moves.some((m) => m.move === 'openInitialState'));
  });

  it('a solver whose first conv reads its input one row off loses at that conv layer and is slashed', async () => {
    const cheat = world.chain({ kind: 'conv-padding', at: (s) => s === FAULTY_STEP });
    const fault = findFault(world.graph, await cheat.stepAt(FAULTY_STEP));
    if (fault?.kind !== 'element') assert.fail(`an op element is wrong, not ${JSON.stringify(fault)}`);
    assert.equal(world.graph.ops[fault.op]?.name, 'layer1.patches', 'the first wrong op is the conv layer im2col');
    const before = await world.market.read.creditOf([world.challenger.account.address, world.token.address]);
    const { stage, job, moves } = await dispute({ cheat: true });
    assert.equal(stage, Stage.ChallengerWon);
    assert.equal(job.status, 5, 'job Slashed');
    assert.ok(moves.some((m) => m.move === 'openElement'));
    const reward = (await world.market.read.creditOf([world.challenger.account.address, world.token.address])) - before;
    assert.ok(reward > 0n, 'challenger rewarded from the stake');
  });
});
