// A real chain with the market, vault, judge and dispute game, and a real MNIST job trained by
// scripted solvers: shared by the dispute tests and the dispute benchmark's test twin.
import { network } from 'hardhat';
import {
  buildGraph,
  completeSpec,
  deploy,
  createTrajectory,
  datasetRoot,
  DatasetTree,
  initialState,
  loadMnist,
  MNIST_RECORD_BYTES,
  splitMnist,
  stateRoot,
  useBackend,
  type Graph,
  type JobSpec,
  type Tensor,
  type Trajectory,
  type Transition,
} from '../../sdk/index.ts';
import { exampleSpec, fraudTransition, type FraudKind } from '../../sdk/testing/index.ts';
import { checkpointCount, specHash } from '../../sdk/spec/job-spec.ts';
import type { Address } from 'viem';
import { createActor, type Actor } from './helpers/players.ts';

export const BOND = 10n ** 18n;
export const STAKE = 5n * 10n ** 18n;
export const CLOCK = 3600;

/** A version-2 job instead of the v1 MLP: its model and optimizer (the spec file's fields). */
export interface V2Job {
  readonly model: { readonly input: number[]; readonly layers: object[] };
  readonly optimizer?: object;
}

export async function createWorld(options: { layers?: number[]; batchSize?: number; k?: number; intervals?: number; v2?: V2Job } = {}) {
  const { viem } = await network.create();
  const publicClient = await viem.getPublicClient();
  const testClient = await viem.getTestClient();
  const increaseTime = async (seconds: number): Promise<void> => {
    await testClient.increaseTime({ seconds });
    await testClient.mine({ blocks: 1 });
  };
  const [deployer, submitter, solver, challenger, puppet] = await viem.getWalletClients();
  if (!deployer || !submitter || !solver || !challenger || !puppet) throw new Error('need five accounts');

  const deployment = await deploy({
    publicClient,
    walletClient: deployer,
    parameters: { minChallengeWindow: 3600, challengeBond: BOND, clockBudget: CLOCK, unstakeDelay: 86_400 },
  });
  const token = await viem.getContractAt('TestToken', deployment.stakeToken);
  const vault = await viem.getContractAt('StakingVault', deployment.contracts.StakingVault.address);
  const market = await viem.getContractAt('JobMarket', deployment.contracts.JobMarket.address);
  const game = await viem.getContractAt('DisputeGame', deployment.contracts.DisputeGame.address);
  for (const w of [submitter, solver, challenger, puppet]) {
    await token.write.mint([w.account.address, 1000n * 10n ** 18n]);
    const t = await viem.getContractAt('TestToken', token.address, { client: { wallet: w } });
    await t.write.approve([market.address, 2n ** 255n]);
    await t.write.approve([vault.address, 2n ** 255n]);
    await t.write.approve([game.address, 2n ** 255n]);
  }
  const asSolver = await viem.getContractAt('JobMarket', market.address, { client: { wallet: solver } });
  const asSubmitter = await viem.getContractAt('JobMarket', market.address, { client: { wallet: submitter } });
  const solverVault = await viem.getContractAt('StakingVault', vault.address, { client: { wallet: solver } });
  await solverVault.write.stake([STAKE * 100n]);

  const { train } = splitMnist(loadMnist(), 1000);
  const { graphRoot: _unused, ...input } = exampleSpec();
  input.model.layers = options.layers ?? [784, 32, 10];
  input.data.recordCount = train.count;
  input.data.root = datasetRoot(train.records, MNIST_RECORD_BYTES);
  const k = options.k ?? 8;
  input.training = { steps: k * (options.intervals ?? 2), checkpointInterval: k, batchSize: options.batchSize ?? 16 };
  const v2 = options.v2;
  const spec: JobSpec = completeSpec(
    v2 === undefined
      ? input
      : ({
          ...input,
          version: 2,
          model: { ...v2.model, loss: input.model.loss, initSeed: input.model.initSeed },
          ...(v2.optimizer === undefined ? {} : { optimizer: v2.optimizer }),
        } as never),
  );
  const graph: Graph = buildGraph(spec);
  const dataset = new DatasetTree(train.records, MNIST_RECORD_BYTES);
  const tf = await useBackend('wasm');
  const initial = initialState(spec);

  /** Posts the job, claims it as the solver and commits every checkpoint of `chain`. */
  async function runJob(chain: Trajectory): Promise<bigint> {
    const now = (await publicClient.getBlock()).timestamp;
    await asSubmitter.write.postJob([
      {
        specHash: specHash(spec),
        checkpointCount: checkpointCount(spec) - 1,
        token: token.address,
        payment: 10n ** 18n,
        solverStake: STAKE,
        claimDeadline: Number(now + 3600n),
        trainingDuration: 86_400,
        challengeWindow: 3600,
      },
    ]);
    const jobId = await market.read.lastJobId();
    await asSolver.write.claimJob([jobId]);
    const last = checkpointCount(spec) - 1;
    for (let i = 0; i < last; i++) await asSolver.write.commitCheckpoint([jobId, i, stateRoot(await chain.stateAt(i * k)), '0x01']);
    await asSolver.write.submitFinal([jobId, stateRoot(await chain.stateAt(last * k)), '0x01']);
    return jobId;
  }

  /** A solver's chain from checkpoint 0: honest, a fraud kind at some steps, or a custom start and transition. */
  function chain(fraud?: { kind: FraudKind; at: (step: number) => boolean }, custom: { startState?: Tensor[]; transition?: Transition } = {}): Trajectory {
    const transition = custom.transition ?? (fraud === undefined ? undefined : fraudTransition(fraud.kind, fraud.at));
    return createTrajectory({
      tf,
      graph,
      spec,
      records: train.records,
      start: 0,
      end: spec.training.steps,
      startState: custom.startState ?? initial,
      ...(transition === undefined ? {} : { transition }),
    });
  }

  /**
   * The challenger's screen for a published state: training honestly from `from` on this backend
   * reaches `to` within a relative distance of 1e-4 (a cheat moves it far more; a backend's
   * rounding far less).
   */
  async function consistent(from: { step: number; state: Tensor[] }, to: { step: number; state: Tensor[] }): Promise<boolean> {
    const honest = await createTrajectory({ tf, graph, spec, records: train.records, start: from.step, end: to.step, startState: from.state }).stateAt(to.step);
    let diff = 0;
    let norm = 0;
    honest.forEach((t, i) => {
      t.data.forEach((v, e) => {
        const w = to.state[i]?.data[e] ?? Number.NaN;
        diff += (v - w) ** 2;
        norm += v ** 2;
      });
    });
    return Math.sqrt(diff) <= 1e-4 * Math.sqrt(norm);
  }

  const actors = new Map<Address, Actor>();
  for (const w of [submitter, solver, challenger, puppet]) actors.set(w.account.address, await createActor(publicClient, game.address, w));
  /** The wallet's actor at the game: its one sender and journal. */
  const clients = (w: typeof solver): Actor => {
    const actor = actors.get(w.account.address);
    if (actor === undefined) throw new Error(`no actor for ${w.account.address}`);
    return actor;
  };
  return {
    viem,
    increaseTime,
    publicClient,
    token,
    vault,
    market,
    game,
    spec,
    graph,
    dataset,
    tf,
    k,
    initial,
    solver,
    challenger,
    puppet,
    submitter,
    runJob,
    chain,
    clients,
    consistent,
  };
}
