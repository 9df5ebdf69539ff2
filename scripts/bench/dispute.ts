// bench:dispute: the gas of a whole dispute over a 64-step interval of the MNIST MLP
// (784-128-10, batch 64), bisected down to one step and ending in a layer-1 matmul element
// (K = 784), on Hardhat's in-process EVM. Run: npm run bench:dispute
// Last line: {"bench":"dispute","k":64,"moves":{…},"solver_gas":…,"challenger_gas":…,"total_gas":…}
import { network } from 'hardhat';
import {
  buildGraph,
  challenge,
  completeSpec,
  createTrajectory,
  datasetRoot,
  DatasetTree,
  deploy,
  initialState,
  loadMnist,
  MNIST_RECORD_BYTES,
  OpKind,
  challengerStrategy,
  createDisputePlayer,
  createTxJournal,
  createTxSender,
  fromWalletClient,
  openStore,
  silentLogger,
  solverStrategy,
  STAGE_NAMES,
  TX_JOURNAL_SCHEMA,
  stateRoot,
  useBackend,
  type StageCode,
} from '../../sdk/index.ts';
import { exampleSpec } from '../../sdk/testing/index.ts';
import { checkpointCount, specHash } from '../../sdk/spec/job-spec.ts';

if (process.argv.includes('--help')) {
  console.log(
    'usage: npm run bench:dispute\n\nPlays one full dispute (k = 64, MNIST 784-128-10) on the in-process Hardhat network and prints the gas of every move.',
  );
  process.exit(0);
}

const K = 64;
const { viem } = await network.create();
const publicClient = await viem.getPublicClient();
const [deployer, submitter, solver, challenger] = await viem.getWalletClients();
if (!deployer || !submitter || !solver || !challenger) throw new Error('need four accounts');
const deployment = await deploy({ publicClient, walletClient: deployer, parameters: { minChallengeWindow: 3600 } });
const token = await viem.getContractAt('TestToken', deployment.stakeToken);
const market = deployment.contracts.JobMarket.address;
const game = deployment.contracts.DisputeGame.address;
for (const w of [submitter, solver, challenger]) {
  await token.write.mint([w.account.address, 1000n * 10n ** 18n]);
  const t = await viem.getContractAt('TestToken', token.address, { client: { wallet: w } });
  for (const spender of [market, deployment.contracts.StakingVault.address, game]) await t.write.approve([spender, 2n ** 255n]);
}
await (await viem.getContractAt('StakingVault', deployment.contracts.StakingVault.address, { client: { wallet: solver } })).write.stake([10n * 10n ** 18n]);

const mnist = loadMnist();
const { graphRoot: _unused, ...input } = exampleSpec();
input.data.recordCount = mnist.count;
input.data.root = datasetRoot(mnist.records, MNIST_RECORD_BYTES);
input.training = { steps: 2 * K, checkpointInterval: K, batchSize: 64 };
const spec = completeSpec(input);
const graph = buildGraph(spec);
const tf = await useBackend('wasm');
const chain = createTrajectory({ tf, graph, spec, records: mnist.records, start: 0, end: 2 * K, startState: initialState(spec) });

const asSubmitter = await viem.getContractAt('JobMarket', market, { client: { wallet: submitter } });
const asSolver = await viem.getContractAt('JobMarket', market, { client: { wallet: solver } });
const now = (await publicClient.getBlock()).timestamp;
await asSubmitter.write.postJob([
  {
    specHash: specHash(spec),
    checkpointCount: checkpointCount(spec) - 1,
    token: token.address,
    payment: 10n ** 18n,
    solverStake: 10n ** 18n,
    claimDeadline: Number(now + 3600n),
    trainingDuration: 86_400,
    challengeWindow: 3600,
  },
]);
const jobId = await asSubmitter.read.lastJobId();
await asSolver.write.claimJob([jobId]);
await asSolver.write.commitCheckpoint([jobId, 0, stateRoot(await chain.stateAt(0)), '0x01']);
await asSolver.write.commitCheckpoint([jobId, 1, stateRoot(await chain.stateAt(K)), '0x01']);
await asSolver.write.submitFinal([jobId, stateRoot(await chain.stateAt(2 * K)), '0x01']);
console.log(`job ${jobId}: 2 intervals of ${K} steps trained and committed`);

// Each side as a daemon runs it: one sender and one journal per account, the one dispute player.
const chainId = await publicClient.getChainId();
const actor = async (w: typeof solver) => {
  const sender = createTxSender({ publicClient, signer: fromWalletClient(w), chainId });
  const journal = createTxJournal({
    store: await openStore({ file: ':memory:', migrations: [TX_JOURNAL_SCHEMA] }),
    publicClient,
    sender,
    logger: silentLogger,
    now: Date.now,
  });
  return { publicClient, game, sender, journal };
};
const [solverSide, challengerSide] = [await actor(solver), await actor(challenger)];
const { disputeId, receipt } = await challenge(challengerSide, { jobId, interval: 1, spec, graph });
const matmul = graph.ops.findIndex((op) => op.kind === OpKind.MATMUL);
const moves: { move: string; gasUsed: bigint }[] = [{ move: 'challenge', gasUsed: receipt.gasUsed }];
const onMove = (m: { move: string; gasUsed: bigint }) => {
  moves.push(m);
  console.log(`${m.move.padEnd(14)} ${m.gasUsed}`);
};
const player = (side: typeof solverSide) => createDisputePlayer({ ...side, pollMs: 10, onMove });
const [ended] = await Promise.all([
  player(solverSide).play(disputeId, solverStrategy({ graph, spec, trajectory: chain, dataset: () => new DatasetTree(mnist.records, MNIST_RECORD_BYTES) })),
  // The challenger disputes a layer-1 matmul element of the step bisection lands on.
  player(challengerSide).play(
    disputeId,
    challengerStrategy({ graph, solverChain: chain, faultyStep: K + 37, pointAt: () => ({ kind: 'element', op: matmul, element: 1234 }) }),
  ),
]);
const end = ended.stage as StageCode;
console.log(`outcome: ${STAGE_NAMES[end]} (matmul op ${matmul}, K = ${graph.ops[matmul]?.inputs[0]?.shape[1]})`);

const SOLVER_MOVES = new Set(['postMidpoint', 'postTrace', 'openElement', 'openLoad', 'openStateLink']);
const byMove: Record<string, number> = {};
for (const m of moves) byMove[m.move] = Math.max(byMove[m.move] ?? 0, Number(m.gasUsed));
const solverGas = moves.filter((m) => SOLVER_MOVES.has(m.move)).reduce((s, m) => s + Number(m.gasUsed), 0);
const challengerGas = moves.filter((m) => !SOLVER_MOVES.has(m.move)).reduce((s, m) => s + Number(m.gasUsed), 0);
console.log(
  JSON.stringify({
    bench: 'dispute',
    k: K,
    moves: byMove,
    move_count: moves.length,
    solver_gas: solverGas,
    challenger_gas: challengerGas,
    total_gas: solverGas + challengerGas,
  }),
);
