// A verifier's world: the contracts of the dispute fixture on an in-process chain, a shared IPFS
// store (as a shared Kubo would be), a scripted solver (honest on any backend, or cheating with any
// fraud kind) that posts real CIDs, serves its states over libp2p and defends its disputes, and the
// verifier daemon under test with its own libp2p node.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getAddress, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import {
  buildGraph,
  cidToBytes,
  completeSpec,
  createChainClient,
  createHeliaStore,
  createP2PNode,
  createTrajectory,
  DatasetTree,
  datasetRoot,
  encodeState,
  initialState,
  loadMnist,
  MNIST_RECORD_BYTES,
  putDataset,
  putJobSpec,
  putState,
  readDispute,
  silentLogger,
  splitMnist,
  stateRoot,
  useBackend,
  type BackendName,
  type ContentStore,
  type Deployment,
  type Graph,
  type HeliaStore,
  type JobSpec,
  type Logger,
  type P2PNode,
  type Tensor,
  type Trajectory,
  type Transition,
  type WalletChainClient,
} from '../../../sdk/index.ts';
import { exampleSpec, fraudTransition, type FraudKind } from '../../../sdk/testing/index.ts';
import { checkpointCount, specHash } from '../../../sdk/spec/job-spec.ts';
import { VERIFIER_DEFAULTS, verifierConfigSchema, type VerifierConfig } from '../../../verifier/config.ts';
import { createVerifierDaemon, type VerifierDaemon } from '../../../verifier/daemon.ts';
import { mergeConfig } from '../../../sdk/index.ts';
import { CLOCK, createWorld, STAKE } from '../dispute-fixture.ts';
import { playSolver } from '../helpers/players.ts';

// Hardhat's well-known development keys: account #2 (the solver) and #3 (the verifier).
const SOLVER_KEY: Hex = '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a';
const VERIFIER_KEY: Hex = '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6';

export { CLOCK, STAKE };

export async function createVerifierWorld(options: { k?: number; intervals?: number } = {}) {
  const world = await createWorld({ layers: [784, 32, 10], batchSize: 16, k: options.k ?? 8, intervals: options.intervals ?? 2 });
  const solverAccount = privateKeyToAccount(SOLVER_KEY);
  const verifierAccount = privateKeyToAccount(VERIFIER_KEY);
  if (
    getAddress(solverAccount.address) !== getAddress(world.solver.account.address) ||
    getAddress(verifierAccount.address) !== getAddress(world.challenger.account.address)
  ) {
    throw new Error('the development keys do not match the node accounts');
  }
  const dirs: string[] = [];
  const temp = async (name: string): Promise<string> => {
    const d = await mkdtemp(path.join(tmpdir(), `veritrain-verifier-${name}-`));
    dirs.push(d);
    return d;
  };
  const chainId = await world.publicClient.getChainId();
  const deployment: Deployment = {
    chainId,
    contracts: {
      JobMarket: { address: world.market.address },
      StakingVault: { address: world.vault.address },
      DisputeGame: { address: world.game.address },
      ElementJudge: { address: await world.game.read.judge() },
    },
    stakeToken: world.token.address,
    paymentTokens: [world.token.address],
    treasury: world.challenger.account.address,
    owner: world.challenger.account.address,
    parameters: {
      unstakeDelay: 86_400,
      challengerBps: 5_000,
      submitterBps: 3_000,
      expirySubmitterBps: 5_000,
      minSolverStake: 10n ** 18n,
      minChallengeWindow: 3600,
      challengeBond: 10n ** 18n,
      clockBudget: CLOCK,
    },
    deployedAt: 0,
  };

  // The shared content store, and the spec of this world's jobs with the dataset's real CID.
  const content: HeliaStore = createHeliaStore({ directory: await temp('ipfs') });
  await content.start();
  const { train } = splitMnist(loadMnist(), 1000);
  const datasetCid = await putDataset(content, train.records);
  const { graphRoot: _unused, ...input } = exampleSpec();
  input.model.layers = [784, 32, 10];
  input.data = { ...input.data, cid: datasetCid, recordCount: train.count, root: datasetRoot(train.records, MNIST_RECORD_BYTES) };
  const k = options.k ?? 8;
  input.training = { steps: k * (options.intervals ?? 2), checkpointInterval: k, batchSize: 16 };
  const spec: JobSpec = completeSpec(input);
  const graph: Graph = buildGraph(spec);
  await putJobSpec(content, spec);
  const dataset = new DatasetTree(train.records, MNIST_RECORD_BYTES);

  const solverP2P: P2PNode = createP2PNode({
    account: solverAccount,
    chainId,
    market: world.market.address,
    directory: await temp('solver-p2p'),
    logger: silentLogger,
  });
  await solverP2P.start();
  const asSubmitter = await world.viem.getContractAt('JobMarket', world.market.address, { client: { wallet: world.submitter } });
  const asSolver = await world.viem.getContractAt('JobMarket', world.market.address, { client: { wallet: world.solver } });

  /** A scripted solver's run of one job: trains on `backend` (cheating as told), posts, commits, serves, defends. */
  /** `serve: false`: the solver's libp2p node serves nothing (it still publishes its checkpoints and, unless withholding, defends). */
  async function solverJob(o: {
    fraud?: FraudKind;
    at?: (step: number) => boolean;
    backend?: BackendName;
    startState?: Tensor[];
    transition?: Transition;
    serve?: boolean;
  }) {
    const withhold = o.fraud === 'withhold';
    // A withholding solver fakes an interval too, then neither publishes nor serves nor defends it.
    const kind: FraudKind | undefined = withhold ? 'tamper-element' : o.fraud;
    const tf = await useBackend(o.backend ?? 'wasm');
    const chain: Trajectory = createTrajectory({
      tf,
      graph,
      spec,
      records: train.records,
      start: 0,
      end: spec.training.steps,
      startState: o.startState ?? initialState(spec),
      ...(o.transition !== undefined
        ? { transition: o.transition }
        : kind === undefined
          ? {}
          : { transition: fraudTransition(kind, o.at ?? ((s) => (kind === 'copy-checkpoint' ? s >= k && s < 2 * k : s === k + 3))) }),
    });
    await chain.stateAt(spec.training.steps); // trains the whole job now, on its own backend
    const store: ContentStore = withhold ? createHeliaStore({ directory: await temp('private') }) : content;
    if (withhold) await store.start();
    const now = (await world.publicClient.getBlock()).timestamp;
    await asSubmitter.write.postJob([
      {
        specHash: specHash(spec),
        checkpointCount: checkpointCount(spec) - 1,
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
    const last = checkpointCount(spec) - 1;
    for (let i = 0; i <= last; i++) {
      const state = await chain.stateAt(i * k);
      const cid = await putState(store, state);
      if (i < last) await asSolver.write.commitCheckpoint([jobId, i, stateRoot(state), cidToBytes(cid)]);
      else await asSolver.write.submitFinal([jobId, stateRoot(state), cidToBytes(cid)]);
    }
    if (withhold) await store.stop();
    await solverP2P.serveStates(async function* (req) {
      if (withhold || o.serve === false || BigInt(req.jobId) !== jobId) return;
      for (let step = req.fromStep; step <= req.toStep; step++) {
        if (req.want === 'states') yield { step, bytes: encodeState(await chain.stateAt(step)) };
        else yield { step, bytes: encodeState((await chain.stepAt(step)).trace.map((data, i) => ({ shape: graph.ops[i]?.shape ?? [], data }))) };
      }
    });
    return { jobId, chain, withhold };
  }

  /**
   * The solver defends every dispute on `jobId` (a withholding one stays silent) until `signal`
   * aborts. A play that fails before then (a move reverted, a proof it could not build) is the
   * test's failure: once stopped, the returned promise rejects with it, so the test's
   * `defence.abort(); await defending;` surfaces it (rejecting only after the abort, when the test
   * awaits it, never as an unhandled rejection).
   */
  function defend(jobId: bigint, chain: Trajectory, silent: boolean, signal: AbortSignal): Promise<void> {
    const clients = world.clients(world.solver);
    const seen = new Set<bigint>();
    const plays: Promise<unknown>[] = [];
    const failures: Error[] = [];
    return (async () => {
      while (!signal.aborted) {
        const count = await world.game.read.disputeCount();
        for (let id = 1n; id <= count; id++) {
          if (seen.has(id)) continue;
          const d = await readDispute(clients, id);
          if (d.jobId !== jobId) continue;
          seen.add(id);
          plays.push(
            playSolver(clients, id, { log: silentLogger, pollMs: 20, graph, spec, trajectory: chain, dataset, silent, signal }).catch((err: unknown) => {
              // Stopping the defence ends a play in flight; any error before that is unexpected.
              if (!signal.aborted) failures.push(new Error(`the scripted solver failed in dispute ${id}`, { cause: err }));
            }),
          );
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      await Promise.all(plays);
      if (failures[0] !== undefined) throw failures[0];
    })();
  }

  /** `faultySender` wraps the verifier's transaction sender (fault injection; the chain stays real). */
  async function verifier(
    o: {
      backend?: BackendName;
      dataDir?: string;
      logger?: Logger;
      config?: Record<string, unknown>;
      faultySender?: (s: WalletChainClient['sender']) => WalletChainClient['sender'];
    } = {},
  ): Promise<{ daemon: VerifierDaemon; dataDir: string; p2p: P2PNode; chain: WalletChainClient; stop: () => Promise<void> }> {
    const dataDir = o.dataDir ?? (await temp('verifier'));
    const chain = await createChainClient({
      publicClient: world.publicClient,
      signer: verifierAccount,
      deployment,
      pollingIntervalMs: 20,
      logger: silentLogger,
    });
    if (chain.sender === undefined || chain.signer === undefined) throw new Error('no signer');
    const wallet = o.faultySender === undefined ? (chain as WalletChainClient) : { ...(chain as WalletChainClient), sender: o.faultySender(chain.sender) };
    const p2p = createP2PNode({ account: verifierAccount, chainId, market: world.market.address, directory: dataDir, logger: silentLogger });
    await p2p.start();
    const config: VerifierConfig = verifierConfigSchema.parse(
      mergeConfig(VERIFIER_DEFAULTS, {
        dataDir,
        backend: o.backend ?? 'wasm',
        p2p: { listen: [], bootstrap: [], solverPeers: { [solverAccount.address.toLowerCase()]: solverP2P.multiaddrs()[0] as string } },
        sampling: { budget: 1, targetDetection: null, fakeFraction: 0.1, costRatio: 1 },
        chain: { pollingIntervalMs: 20 },
        disputes: { challengeWithheld: true, fetchTimeoutMs: 3_000, fetchAttempts: 2 },
        jobs: { only: [] },
        ...o.config,
      }),
    );
    const daemon = await createVerifierDaemon(config, { chain: wallet, content, p2p, logger: o.logger ?? silentLogger }, { loop: false });
    await daemon.start();
    return {
      daemon,
      dataDir,
      p2p,
      chain: wallet,
      async stop() {
        await daemon.stop();
        await p2p.stop();
      },
    };
  }

  return {
    world,
    spec,
    graph,
    k,
    content,
    solverP2P,
    solverJob,
    defend,
    verifier,
    deployment,
    async close() {
      await solverP2P.stop();
      await content.stop();
      for (const d of dirs) await rm(d, { recursive: true, force: true });
    },
  };
}
