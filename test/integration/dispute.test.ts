// Whole disputes on a real chain over real trained MNIST steps: scripted honest and cheating
// actors play every move; the honest side wins every time.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  disputeGameAbi,
  EMPTY_CHECKPOINT_CHAIN,
  findFault,
  graphCommitment,
  encodeJobSpec,
  JOB_SPEC_ABI,
  jobMarketAbi,
  readDispute,
  readPublished,
  silentLogger,
  Stage,
  challenge,
  stateRoot,
  useBackend,
  type Fault,
  type MoveRecord,
  type StepData,
  type Tensor,
  type Trajectory,
} from '../../sdk/index.ts';
import { copyStateTransition, nanMomentumStart, FRAUD_KINDS, type FraudKind } from '../../sdk/testing/index.ts';
import { decodeAbiParameters, encodeAbiParameters, parseEventLogs, sha256, type Address } from 'viem';
import { BOND, CLOCK, createWorld, STAKE } from './dispute-fixture.ts';
import { claimTimeout, playChallenger, playSolver } from './helpers/players.ts';

const world = await createWorld();
const { k } = world;
const solverClients = world.clients(world.solver);
const challengerClients = world.clients(world.challenger);
const FAULTY_STEP = k + 3; // inside interval 1

async function dispute(opts: { fraud?: FraudKind; falseChallenge?: Fault; silentSolver?: boolean }) {
  const solverChain = world.chain(
    opts.fraud === undefined ? undefined : { kind: opts.fraud, at: (s) => (opts.fraud === 'copy-checkpoint' ? s >= k && s < 2 * k : s === FAULTY_STEP) },
  );
  const jobId = await world.runJob(solverChain);
  const { disputeId } = await challenge(challengerClients, { jobId, interval: 1, spec: world.spec, graph: world.graph });
  const moves: MoveRecord[] = [];
  const common = { log: silentLogger, pollMs: 20, onMove: (m: MoveRecord) => moves.push(m) };
  const [solverEnd, challengerEnd] = await Promise.all([
    playSolver(solverClients, disputeId, {
      ...common,
      graph: world.graph,
      spec: world.spec,
      trajectory: solverChain,
      dataset: world.dataset,
      silent: opts.silentSolver === true,
    }),
    opts.silentSolver === true
      ? (async () => {
          // The withholding solver never moves: run out its clock, then anyone ends the game.
          await world.increaseTime(CLOCK + 1);
          await claimTimeout(challengerClients, disputeId);
          return (await readDispute(challengerClients, disputeId)).stage;
        })()
      : playChallenger(challengerClients, disputeId, {
          ...common,
          graph: world.graph,
          solverChain,
          faultyStep: FAULTY_STEP,
          // A false challenger points at an arbitrary element of an honest step.
          ...(opts.falseChallenge === undefined ? {} : { pointAt: () => opts.falseChallenge as Fault }),
        }),
  ]);
  assert.equal(solverEnd, challengerEnd);
  const job = await world.market.read.getJob([jobId]);
  return { stage: solverEnd, job, moves, disputeId };
}

describe('dispute game on real trained steps', () => {
  it('an honest solver defeats a false challenger and takes its bond', async () => {
    const before = await world.game.read.creditOf([world.solver.account.address]);
    const { stage, job, moves } = await dispute({ falseChallenge: { kind: 'element', op: 2, element: 5 } });
    assert.equal(stage, Stage.SolverWon);
    assert.equal(job.status, 3, 'job stays Submitted');
    assert.equal(job.openDisputes, 0);
    assert.equal((await world.game.read.creditOf([world.solver.account.address])) - before, BOND);
    const perSide = Math.ceil(Math.log2(k)) + 3;
    assert.ok(moves.filter((m) => m.move !== 'chooseHalf' && m.move !== 'point').length <= perSide);
    assert.ok(moves.filter((m) => m.move === 'chooseHalf' || m.move === 'point').length <= perSide);
  });

  // Wt_1 is state tensor 2L = 4 of the [784, 32, 10] graph's 8; element 20,000 sits in its 40th state leaf.
  for (const falseChallenge of [
    { kind: 'next-state', tensor: 4, element: 20_000 },
    { kind: 'state-copy', tensor: 4, element: 20_000 },
    { kind: 'state-copy', tensor: 1, element: 1_000_000 },
  ] as const) {
    it(`an honest solver links the ${falseChallenge.kind} element ${falseChallenge.element} of tensor ${falseChallenge.tensor} to its trace and wins`, async () => {
      const { stage, moves } = await dispute({ falseChallenge });
      assert.equal(stage, Stage.SolverWon);
      assert.ok(moves.some((m) => m.move === 'openStateLink'));
    });
  }

  for (const fraud of FRAUD_KINDS) {
    it(`a cheating solver (${fraud}) loses to an honest challenger and is slashed`, async () => {
      const before = await world.market.read.creditOf([world.challenger.account.address, world.token.address]);
      const { stage, job } = await dispute({ fraud, silentSolver: fraud === 'withhold' });
      assert.equal(stage, Stage.ChallengerWon);
      assert.equal(job.status, 5, 'job Slashed');
      const reward = (await world.market.read.creditOf([world.challenger.account.address, world.token.address])) - before;
      assert.ok(reward > 0n, 'challenger rewarded from the stake');
    });
  }

  it('a solver whose checkpoint 0 has NaN momentum slots and that never trains loses the INITIAL_STATE point', async () => {
    // Rule 1 of §4.2 makes every SGD output valid once a momentum input is NaN.
    const solverChain = world.chain(undefined, { startState: nanMomentumStart(world.initial), transition: copyStateTransition });
    assert.equal(findFault(world.graph, await solverChain.stepAt(0)), undefined, 'no transition of the lazy chain breaks the tolerance rule');
    const jobId = await world.runJob(solverChain);
    const { disputeId } = await challenge(challengerClients, { jobId, interval: 0, spec: world.spec, graph: world.graph });
    const moves: MoveRecord[] = [];
    const common = { log: silentLogger, pollMs: 20, onMove: (m: MoveRecord) => moves.push(m) };
    const [end] = await Promise.all([
      playSolver(solverClients, disputeId, { ...common, graph: world.graph, spec: world.spec, trajectory: solverChain, dataset: world.dataset }),
      playChallenger(challengerClients, disputeId, { ...common, graph: world.graph, solverChain, faultyStep: 0, initial: world.initial }),
    ]);
    assert.equal(end, Stage.ChallengerWon);
    assert.ok(
      moves.some((m) => m.move === 'openInitialState'),
      'decided by the init rule',
    );
    assert.equal((await world.market.read.getJob([jobId])).status, 5, 'job Slashed');
  });

  it('an honest solver wins an INITIAL_STATE point at any element of its checkpoint 0', async () => {
    const solverChain = world.chain();
    const jobId = await world.runJob(solverChain);
    const { disputeId } = await challenge(challengerClients, { jobId, interval: 0, spec: world.spec, graph: world.graph });
    const moves: MoveRecord[] = [];
    const common = { log: silentLogger, pollMs: 20, onMove: (m: MoveRecord) => moves.push(m) };
    const [end] = await Promise.all([
      playSolver(solverClients, disputeId, { ...common, graph: world.graph, spec: world.spec, trajectory: solverChain, dataset: world.dataset }),
      playChallenger(challengerClients, disputeId, {
        ...common,
        graph: world.graph,
        solverChain,
        faultyStep: 0,
        pointAt: () => ({ kind: 'initial', tensor: world.graph.state.length / 2, element: 20_000 }),
      }),
    ]);
    assert.equal(end, Stage.SolverWon);
    assert.ok(moves.some((m) => m.move === 'openInitialState'));
  });

  it("a caught solver cannot hand the reward to a sock puppet: the puppet's later dispute waits behind the honest one", async () => {
    const solverChain = world.chain({ kind: 'tamper-element', at: (s) => s === FAULTY_STEP });
    const jobId = await world.runJob(solverChain);
    const { disputeId: honestId } = await challenge(challengerClients, { jobId, interval: 1, spec: world.spec, graph: world.graph });
    const puppetClients = world.clients(world.puppet);
    const { disputeId: puppetId } = await challenge(puppetClients, { jobId, interval: 0, spec: world.spec, graph: world.graph });
    assert.equal(await world.game.read.activeDispute([jobId]), honestId);
    // The solver tries to lose the puppet's game at once: no move and no timeout is accepted there.
    const game = { address: world.game.address, abi: disputeGameAbi } as const;
    await assert.rejects(
      world.publicClient.simulateContract({
        ...game,
        functionName: 'postMidpoint',
        args: [puppetId, `0x${'01'.repeat(32)}`],
        account: world.solver.account.address,
      }),
      /DisputeQueued/,
    );
    await world.increaseTime(CLOCK / 2);
    assert.equal((await world.game.read.mover([puppetId]))[1], CLOCK, 'the queued clock stands still');
    const rewardOf = (who: Address) => world.market.read.creditOf([who, world.token.address]);
    const before = await rewardOf(world.challenger.account.address);
    const common = { log: silentLogger, pollMs: 20 };
    const [end] = await Promise.all([
      playSolver(solverClients, honestId, { ...common, graph: world.graph, spec: world.spec, trajectory: solverChain, dataset: world.dataset }),
      playChallenger(challengerClients, honestId, { ...common, graph: world.graph, solverChain, faultyStep: FAULTY_STEP }),
    ]);
    assert.equal(end, Stage.ChallengerWon);
    const { challengerBps } = await world.market.read.parameters();
    assert.equal(
      (await rewardOf(world.challenger.account.address)) - before,
      (STAKE * BigInt(challengerBps)) / 10_000n,
      'the honest challenger takes the challenger share',
    );
    // The job is settled: the puppet's dispute can only be abandoned, bond back, no share of the stake.
    await world.publicClient.waitForTransactionReceipt({ hash: await world.puppet.writeContract({ ...game, functionName: 'abandon', args: [puppetId] }) });
    assert.equal((await readDispute(puppetClients, puppetId)).stage, Stage.Abandoned);
    assert.equal(await rewardOf(world.puppet.account.address), 0n);
  });

  it("a job's disputes are played one at a time: a griefer's second dispute starts with full clocks when the first ends", async () => {
    const solverChain = world.chain();
    const jobId = await world.runJob(solverChain);
    const { disputeId: first } = await challenge(challengerClients, { jobId, interval: 0, spec: world.spec, graph: world.graph });
    const { disputeId: second } = await challenge(challengerClients, { jobId, interval: 1, spec: world.spec, graph: world.graph });
    assert.equal(await world.game.read.activeDispute([jobId]), first);
    // The solver regenerates the first interval slowly: most of its clock goes by. Had both clocks
    // run at once, the second dispute would be lost on time below.
    await world.increaseTime(CLOCK - 120);
    const common = { log: silentLogger, pollMs: 20 };
    const falsePoint = () => ({ kind: 'element', op: 2, element: 5 }) as const;
    const play = (id: bigint) =>
      Promise.all([
        playSolver(solverClients, id, { ...common, graph: world.graph, spec: world.spec, trajectory: solverChain, dataset: world.dataset }),
        playChallenger(challengerClients, id, { ...common, graph: world.graph, solverChain, faultyStep: FAULTY_STEP, pointAt: falsePoint }),
      ]);
    const bonds = await world.game.read.creditOf([world.solver.account.address]);
    assert.equal((await play(first))[0], Stage.SolverWon);
    assert.equal(await world.game.read.activeDispute([jobId]), second);
    await world.increaseTime(300);
    const timeout = world.publicClient.simulateContract({
      address: world.game.address,
      abi: disputeGameAbi,
      functionName: 'timeout',
      args: [second],
      account: world.challenger.account.address,
    });
    await assert.rejects(timeout, /DisputeClockRunning/);
    assert.equal((await play(second))[0], Stage.SolverWon);
    assert.equal((await world.game.read.creditOf([world.solver.account.address])) - bonds, 2n * BOND, 'the griefer paid a bond per dispute');
    assert.equal(await world.game.read.activeDispute([jobId]), 0n);
  });

  describe('data availability: what the solver posts, it must publish on demand', () => {
    const published = (id: bigint) => () => readPublished(world.publicClient, world.game.address, id);
    const game = { address: world.game.address, abi: disputeGameAbi } as const;

    it('a cheater that serves an honest decoy but posts its own chain is made to publish it, and loses', async () => {
      const cheat = world.chain({ kind: 'tamper-element', at: (s) => s === FAULTY_STEP });
      const decoy = world.chain();
      const jobId = await world.runJob(cheat);
      const { disputeId } = await challenge(challengerClients, { jobId, interval: 1, spec: world.spec, graph: world.graph });
      const moves: MoveRecord[] = [];
      const common = { log: silentLogger, pollMs: 20, onMove: (m: MoveRecord) => moves.push(m) };
      const [end] = await Promise.all([
        playSolver(solverClients, disputeId, { ...common, graph: world.graph, spec: world.spec, trajectory: cheat, dataset: world.dataset }),
        playChallenger(challengerClients, disputeId, {
          ...common,
          graph: world.graph,
          solverChain: decoy,
          faultyStep: FAULTY_STEP,
          published: published(disputeId),
          consistent: world.consistent,
        }),
      ]);
      assert.equal(end, Stage.ChallengerWon);
      assert.ok(moves.filter((m) => m.move === 'demandData').length >= 1, 'the posted midpoint that the decoy does not match was demanded');
      assert.ok(moves.some((m) => m.move === 'publishData'));
      assert.equal((await world.market.read.getJob([jobId])).status, 5, 'job Slashed');
    });

    it('a cheater that posts every move but withholds the data loses on its clock', async () => {
      const cheat = world.chain({ kind: 'tamper-element', at: (s) => s === FAULTY_STEP });
      const jobId = await world.runJob(cheat);
      const { disputeId } = await challenge(challengerClients, { jobId, interval: 1, spec: world.spec, graph: world.graph });
      // Served nothing: every read of the solver's chain fails, as for a verifier that got no data.
      const withheld: Trajectory = {
        start: k,
        end: 2 * k,
        stateAt: () => Promise.reject(new Error('withheld')),
        stepAt: () => Promise.reject(new Error('withheld')),
      };
      const challengerPlays = playChallenger(challengerClients, disputeId, {
        log: silentLogger,
        pollMs: 20,
        graph: world.graph,
        solverChain: withheld,
        faultyStep: FAULTY_STEP,
        published: published(disputeId),
        consistent: world.consistent,
      });
      // The solver posts its midpoint, then ignores the demand.
      const d = await readDispute(solverClients, disputeId);
      await world.publicClient.waitForTransactionReceipt({
        hash: await world.solver.writeContract({
          ...game,
          functionName: 'postMidpoint',
          args: [disputeId, stateRoot(await cheat.stateAt(Number(d.lo + (d.hi - d.lo) / 2n)))],
        }),
      });
      while ((await readDispute(solverClients, disputeId)).stage !== Stage.AwaitStateData) await new Promise((r) => setTimeout(r, 20));
      const [who, left] = await world.game.read.mover([disputeId]);
      assert.equal(who.toLowerCase(), world.solver.account.address.toLowerCase(), "the solver's clock runs while the data is missing");
      await world.increaseTime(left + 1);
      await claimTimeout(challengerClients, disputeId);
      assert.equal(await challengerPlays, Stage.ChallengerWon);
      assert.equal((await world.market.read.getJob([jobId])).status, 5, 'job Slashed');
    });

    it('an honest solver publishes whatever is demanded, wins, and is paid a deposit per demand', async () => {
      const honest = world.chain();
      const jobId = await world.runJob(honest);
      const { disputeId } = await challenge(challengerClients, { jobId, interval: 1, spec: world.spec, graph: world.graph });
      // A challenger whose view matches nothing the solver posts: it demands every midpoint and the trace.
      const other = world.chain({ kind: 'noise', at: (s) => s >= k });
      const moves: MoveRecord[] = [];
      const common = { log: silentLogger, pollMs: 20, onMove: (m: MoveRecord) => moves.push(m) };
      const credit = await world.game.read.creditOf([world.solver.account.address]);
      const [end] = await Promise.all([
        playSolver(solverClients, disputeId, { ...common, graph: world.graph, spec: world.spec, trajectory: honest, dataset: world.dataset }),
        playChallenger(challengerClients, disputeId, {
          ...common,
          graph: world.graph,
          solverChain: other,
          faultyStep: FAULTY_STEP,
          published: published(disputeId),
          consistent: world.consistent,
        }),
      ]);
      assert.equal(end, Stage.SolverWon);
      const demands = moves.filter((m) => m.move === 'demandData').length;
      assert.equal(demands, Math.log2(k) + 1, 'every midpoint and the trace were demanded');
      assert.equal((await world.game.read.creditOf([world.solver.account.address])) - credit, BOND * BigInt(demands + 1), 'the bond and every deposit');
    });
  });

  it('an indexer rebuilds the game from events: parameters, the created dispute with its solver, roots and counts, and abandonment', async () => {
    const configured = await world.publicClient.getContractEvents({
      address: world.game.address,
      abi: disputeGameAbi,
      eventName: 'DisputeGameConfigured',
      fromBlock: 0n,
    });
    const [first] = configured;
    assert.ok(first !== undefined, "the deployment emitted the game's parameters");
    assert.equal(first.args.clockBudget, CLOCK, 'the clock budget is on record');
    assert.equal(first.args.challengeBond, BOND);
    const solverChain = world.chain({ kind: 'tamper-element', at: (s) => s === FAULTY_STEP });
    const jobId = await world.runJob(solverChain);
    const { disputeId } = await challenge(challengerClients, { jobId, interval: 1, spec: world.spec, graph: world.graph });
    const [created] = await world.publicClient.getContractEvents({
      address: world.game.address,
      abi: disputeGameAbi,
      eventName: 'DisputeCreated',
      args: { disputeId },
      fromBlock: 0n,
    });
    const d = await readDispute(challengerClients, disputeId);
    assert.equal(created?.args.solver, d.solver);
    assert.equal(created.args.loRoot, stateRoot(await solverChain.stateAt(k)));
    assert.equal(created.args.hiRoot, stateRoot(await solverChain.stateAt(2 * k)));
    assert.deepEqual([created.args.opCount, created.args.stateCount], [world.graph.ops.length, world.graph.state.length]);
    assert.deepEqual(await world.game.read.graphCounts([disputeId]), [world.graph.ops.length, world.graph.state.length]);
    // A second dispute, settled by the first one's slash, is closed as Abandoned (not as a solver win).
    const { disputeId: second } = await challenge(challengerClients, { jobId, interval: 0, spec: world.spec, graph: world.graph });
    const common = { log: silentLogger, pollMs: 20 };
    await Promise.all([
      playSolver(solverClients, disputeId, { ...common, graph: world.graph, spec: world.spec, trajectory: solverChain, dataset: world.dataset }),
      playChallenger(challengerClients, disputeId, { ...common, graph: world.graph, solverChain, faultyStep: FAULTY_STEP }),
    ]);
    const game = { address: world.game.address, abi: disputeGameAbi } as const;
    const receipt = await world.publicClient.waitForTransactionReceipt({
      hash: await world.challenger.writeContract({ ...game, functionName: 'abandon', args: [second] }),
    });
    const closed = parseEventLogs({ abi: jobMarketAbi, logs: receipt.logs, eventName: 'DisputeClosed' });
    assert.equal(closed[0]?.args.outcome, 2, 'DisputeClosed says Abandoned');
  });

  it('rejects a game that could never end or never be lost: zero clock or bond at deployment, k = 0 at challenge', async () => {
    const judge = await world.game.read.judge();
    const args = (bond: bigint, clock: number) => [world.market.address, judge, world.token.address, bond, clock] as const;
    await assert.rejects(world.viem.deployContract('DisputeGame', args(BOND, 0)), /DisputeInvalidParameter/);
    await assert.rejects(world.viem.deployContract('DisputeGame', args(0n, CLOCK)), /DisputeInvalidParameter/);
    // A job posted with the hash of a spec tuple whose checkpointInterval is 0 (the SDK cannot write one).
    const [spec] = decodeAbiParameters(JOB_SPEC_ABI, encodeJobSpec(world.spec));
    const bytes = encodeAbiParameters(JOB_SPEC_ABI, [{ ...spec, checkpointInterval: 0 }]);
    const hash = sha256(bytes);
    const asSubmitter = await world.viem.getContractAt('JobMarket', world.market.address, { client: { wallet: world.submitter } });
    const asSolver = await world.viem.getContractAt('JobMarket', world.market.address, { client: { wallet: world.solver } });
    const now = (await world.publicClient.getBlock()).timestamp;
    await asSubmitter.write.postJob([
      {
        specHash: hash,
        checkpointCount: 2,
        token: world.token.address,
        payment: 10n ** 18n,
        solverStake: STAKE,
        claimDeadline: Number(now + 3600n),
        trainingDuration: 86_400,
        challengeWindow: 3600,
      },
    ]);
    const jobId = await world.market.read.lastJobId();
    await asSolver.write.claimJob([jobId]);
    await asSolver.write.commitCheckpoint([jobId, 0, `0x${'11'.repeat(32)}`, '0x01']);
    await asSolver.write.commitCheckpoint([jobId, 1, `0x${'22'.repeat(32)}`, '0x01']);
    const proof = { prefix: EMPTY_CHECKPOINT_CHAIN, roots: [`0x${'11'.repeat(32)}`, `0x${'22'.repeat(32)}`] as const };
    await assert.rejects(
      world.publicClient.simulateContract({
        address: world.game.address,
        abi: disputeGameAbi,
        functionName: 'challenge',
        args: [jobId, 0, bytes, graphCommitment(world.graph), proof],
        account: world.challenger.account.address,
      }),
      /DisputeSpecInvalid/,
    );
  });

  it('an honest wasm solver beats a challenger whose own recomputation ran on cpu', async () => {
    const solverChain = world.chain();
    const jobId = await world.runJob(solverChain);
    // The challenger's view of the interval, recomputed on the cpu backend: other bits everywhere.
    await useBackend('cpu');
    const cpuChain = world.chain();
    const steps = new Map<number, StepData>();
    for (let s = k; s < 2 * k; s++) steps.set(s, await cpuChain.stepAt(s));
    const states = new Map<number, Tensor[]>();
    for (let s = k; s <= 2 * k; s++) states.set(s, await cpuChain.stateAt(s));
    await useBackend('wasm');
    const challengerView: Trajectory = {
      start: k,
      end: 2 * k,
      stateAt: (s) => Promise.resolve(states.get(s) ?? []),
      stepAt: (s) => Promise.resolve(steps.get(s) as StepData),
    };
    assert.notEqual(
      stateRoot(await challengerView.stateAt(2 * k)),
      stateRoot(await solverChain.stateAt(2 * k)),
      'backends agree bit for bit; the test proves nothing',
    );
    const { disputeId } = await challenge(challengerClients, { jobId, interval: 1, spec: world.spec, graph: world.graph });
    const common = { log: silentLogger, pollMs: 20 };
    const [end] = await Promise.all([
      playSolver(solverClients, disputeId, { ...common, graph: world.graph, spec: world.spec, trajectory: solverChain, dataset: world.dataset }),
      playChallenger(challengerClients, disputeId, { ...common, graph: world.graph, solverChain: challengerView, faultyStep: FAULTY_STEP }),
    ]);
    assert.equal(end, Stage.SolverWon);
  });

  it('a point past the ops or the state tensors reverts; a state link point is tensor · 2^32 + element', async () => {
    const solverChain = world.chain();
    const jobId = await world.runJob(solverChain);
    const { disputeId } = await challenge(challengerClients, { jobId, interval: 1, spec: world.spec, graph: world.graph });
    const solverPlays = playSolver(solverClients, disputeId, {
      log: silentLogger,
      pollMs: 20,
      graph: world.graph,
      spec: world.spec,
      trajectory: solverChain,
      dataset: world.dataset,
    });
    const game = { address: world.game.address, abi: disputeGameAbi, account: world.challenger.account } as const;
    for (let d = await readDispute(challengerClients, disputeId); d.stage !== Stage.AwaitPoint; d = await readDispute(challengerClients, disputeId)) {
      if (d.stage === Stage.AwaitChoice) {
        await world.publicClient.waitForTransactionReceipt({
          hash: await world.challenger.writeContract({ ...game, functionName: 'chooseHalf', args: [disputeId, true] }),
        });
      } else await new Promise((r) => setTimeout(r, 20));
    }
    const point = (op: number, element: bigint) => world.publicClient.simulateContract({ ...game, functionName: 'point', args: [disputeId, op, element] });
    const S = BigInt(world.graph.state.length);
    const [NEXT_STATE, STATE_COPY] = [await world.game.read.NEXT_STATE(), await world.game.read.STATE_COPY()];
    await assert.rejects(point(world.graph.ops.length, 0n), /DisputePointInvalid/);
    await assert.rejects(point(NEXT_STATE, S << 32n), /DisputePointInvalid/);
    await assert.rejects(point(STATE_COPY, S << 32n), /DisputePointInvalid/);
    // Checkpoint 0 can only be pointed at in a range that starts at it; this one is interval 1.
    await assert.rejects(point(await world.game.read.INITIAL_STATE(), 0n), /DisputePointInvalid/);
    await point(STATE_COPY, ((S - 1n) << 32n) | 0xffff_ffffn);
    await world.publicClient.waitForTransactionReceipt({
      hash: await world.challenger.writeContract({ ...game, functionName: 'point', args: [disputeId, NEXT_STATE, ((S - 1n) << 32n) | 3n] }),
    });
    assert.equal(await solverPlays, Stage.SolverWon);
  });

  it('a clock runs out the second mover() reports 0: from then the move reverts and timeout succeeds', async () => {
    const solverChain = world.chain();
    const jobId = await world.runJob(solverChain);
    const { disputeId } = await challenge(challengerClients, { jobId, interval: 1, spec: world.spec, graph: world.graph });
    const solverPlays = playSolver(solverClients, disputeId, {
      log: silentLogger,
      pollMs: 20,
      graph: world.graph,
      spec: world.spec,
      trajectory: solverChain,
      dataset: world.dataset,
    });
    while ((await readDispute(challengerClients, disputeId)).stage !== Stage.AwaitChoice) await new Promise((r) => setTimeout(r, 20));
    const d = await readDispute(challengerClients, disputeId);
    const runsOutAt = BigInt(d.lastMoveAt + d.challengerClock);
    const testClient = await world.viem.getTestClient();
    const mover = async () => (await world.game.read.mover([disputeId]))[1];
    // Calls run on the latest block: each check below sees the second its block was mined at.
    const game = { address: world.game.address, abi: disputeGameAbi } as const;
    const timeout = () => world.publicClient.simulateContract({ ...game, functionName: 'timeout', args: [disputeId], account: world.solver.account.address });
    const choose = () =>
      world.publicClient.simulateContract({ ...game, functionName: 'chooseHalf', args: [disputeId, true], account: world.challenger.account.address });
    await testClient.setNextBlockTimestamp({ timestamp: runsOutAt - 1n });
    await testClient.mine({ blocks: 1 });
    assert.equal(await mover(), 1, 'one second left');
    await assert.rejects(timeout(), /DisputeClockRunning/);
    await testClient.setNextBlockTimestamp({ timestamp: runsOutAt });
    await testClient.mine({ blocks: 1 });
    assert.equal(await mover(), 0, 'ran out');
    await assert.rejects(choose(), /DisputeClockExpired/);
    await timeout();
    await claimTimeout(solverClients, disputeId);
    assert.equal(await solverPlays, Stage.SolverWon);
  });

  it('a challenger that stops moving loses on time', async () => {
    const solverChain = world.chain();
    const jobId = await world.runJob(solverChain);
    const { disputeId } = await challenge(challengerClients, { jobId, interval: 1, spec: world.spec, graph: world.graph });
    const common = { log: silentLogger, pollMs: 20 };
    const solverPlays = playSolver(solverClients, disputeId, {
      ...common,
      graph: world.graph,
      spec: world.spec,
      trajectory: solverChain,
      dataset: world.dataset,
    });
    // Wait for the solver's first midpoint, then let the challenger's clock run out.
    while ((await readDispute(challengerClients, disputeId)).stage !== Stage.AwaitChoice) await new Promise((r) => setTimeout(r, 20));
    await world.increaseTime(CLOCK + 1);
    await claimTimeout(solverClients, disputeId);
    assert.equal(await solverPlays, Stage.SolverWon);
  });
});
