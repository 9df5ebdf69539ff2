/**
 * Gas of adjudicating one element of a long reduction (docs/PROTOCOL.md §5 step 4b) in the real
 * DisputeGame, on the in-process Hardhat network: every move of both sides from the point on
 * (point, openReduction, then chooseClaim / postClaims per level, chooseClaim, openChunk), each a
 * mined transaction's gasUsed (calldata and proofs included), played by the production dispute
 * player with the production strategies. The step's graph is one MATMUL [1,1] reading two state
 * tensors [1,K] (dense random fp32: the calldata worst case); the solver is honest and the
 * challenger false, so the game runs all the way down to one chunk (the longest path; a solver
 * whose claims put y outside the bound loses at the first move, and one whose claims lie is
 * followed down the same path).
 */
import { hexToBytes, type Account, type Chain, type PublicClient, type Transport, type WalletClient } from 'viem';
import { jobMarketAbi, stakingVaultAbi, testTokenAbi } from '../abi/index.ts';
import {
  challenge,
  ClaimTree,
  claimLeaf,
  MerkleTree,
  rootHeight,
  challengerStrategy,
  completeSpec,
  createDisputePlayer,
  createTxJournal,
  createTxSender,
  deploy,
  fp32Bits,
  fromWalletClient,
  graphRootOf,
  OpKind,
  openStore,
  opsRootOf,
  silentLogger,
  solverStrategy,
  Space,
  STAGE_NAMES,
  stateRoot,
  TX_JOURNAL_SCHEMA,
  DatasetTree,
  type Graph,
  type ReductionClaim,
  type Strategy,
  type Logger,
  type OpDesc,
  type StageCode,
  type StepData,
  type Tensor,
  type Trajectory,
} from '../index.ts';
import { exampleSpec } from '../spec/example-spec.ts';
import { checkpointCount, specHash } from '../spec/job-spec.ts';

export interface LongMeasure {
  readonly k: number;
  readonly total: number;
  readonly moves: { move: string; gasUsed: number }[];
  readonly outcome: string;
}

type Wallet = WalletClient<Transport, Chain | undefined, Account>;

export interface LongReductionOptions {
  /** A fresh dev chain (the contracts' artifacts deploy there). */
  readonly publicClient: PublicClient;
  /** Four funded accounts: deployer, submitter, solver, challenger. */
  readonly wallets: readonly [Wallet, Wallet, Wallet, Wallet];
  readonly k: number;
  readonly seed?: number;
  /**
   * The solver: honest (default); `wrong-y` commits y = 1.25·x + 1 and posts true claims (it loses
   * at openReduction); `lying-claims` commits that y and claims whose last chunk carries the
   * difference, so that the top claim passes (K ≤ 4096: one level; it loses at that chunk).
   */
  readonly solver?: 'honest' | 'wrong-y' | 'lying-claims';
  /** The players' logger (failed moves are logged as warnings). */
  readonly logger?: Logger;
}

/** Plays one long-reduction adjudication to its end (see the module doc); the gas from the point on. */
export async function playLongReduction(o: LongReductionOptions): Promise<LongMeasure> {
  const { publicClient, k } = o;
  const seed = o.seed ?? 7;
  const [deployer, submitter, solver, challenger] = o.wallets;
  const deployment = await deploy({ publicClient, walletClient: deployer, parameters: { minChallengeWindow: 3600 } });
  const token = deployment.stakeToken;
  const market = deployment.contracts.JobMarket.address;
  const game = deployment.contracts.DisputeGame.address;
  const vault = deployment.contracts.StakingVault.address;
  const mined = async (hash: Promise<`0x${string}`>): Promise<void> => {
    const r = await publicClient.waitForTransactionReceipt({ hash: await hash });
    if (r.status !== 'success') throw new Error('setup transaction reverted');
  };
  for (const w of [submitter, solver, challenger]) {
    await mined(
      deployer.writeContract({ address: token, abi: testTokenAbi, functionName: 'mint', args: [w.account.address, 1000n * 10n ** 18n], chain: w.chain }),
    );
    for (const spender of [market, vault, game]) {
      await mined(w.writeContract({ address: token, abi: testTokenAbi, functionName: 'approve', args: [spender, 2n ** 255n], chain: w.chain }));
    }
  }
  await mined(solver.writeContract({ address: vault, abi: stakingVaultAbi, functionName: 'stake', args: [10n * 10n ** 18n], chain: solver.chain }));

  // The step: state [a, b] (each [1, K]), one MATMUL out[0,0] = Σ a_k b_k.
  let s = seed;
  const rnd = (): number => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
  const dense = (n: number): Float32Array => Float32Array.from({ length: n }, () => (rnd() < 0.5 ? -1 : 1) * (0.01 + 0.99 * rnd()));
  const op: OpDesc = {
    name: 'dot',
    kind: OpKind.MATMUL,
    shape: [1, 1],
    inputs: [
      { space: Space.STATE, index: 0, shape: [1, k] },
      { space: Space.STATE, index: 1, shape: [1, k] },
    ],
    params: [],
  };
  const ops = [op];
  const graph: Graph = {
    ops,
    state: [
      { name: 'a', shape: [1, k] },
      { name: 'b', shape: [1, k] },
    ],
    root: graphRootOf(ops, 2),
    opsRoot: opsRootOf(ops),
    logits: 0,
    paramStart: 0,
  };
  const a = dense(k);
  const b = dense(k);
  const x = a.reduce((acc, v, i) => acc + v * (b[i] as number), 0);
  const kindOfSolver = o.solver ?? 'honest';
  const y = fp32Bits(kindOfSolver === 'honest' ? x : 1.25 * x + 1);
  const out = new Float32Array(new Uint32Array([y]).buffer);
  const before: Tensor[] = [
    { shape: [1, k], data: a },
    { shape: [1, k], data: b },
  ];
  const step: StepData = {
    step: 0,
    before,
    trace: [out],
    after: before,
    batch: { indices: [], x: new Float32Array(0), y: new Float32Array(0) },
  };
  const trajectory: Trajectory = {
    start: 0,
    end: 1,
    stateAt: () => Promise.resolve(before),
    stepAt: () => Promise.resolve(step),
  };

  // A one-step job whose spec commits to this graph.
  const { graphRoot: _unused, ...input } = exampleSpec();
  input.training = { steps: 1, checkpointInterval: 1, batchSize: 1 };
  const spec = { ...completeSpec(input), graphRoot: graph.root };
  const now = (await publicClient.getBlock()).timestamp;
  const job = {
    specHash: specHash(spec),
    checkpointCount: checkpointCount(spec) - 1,
    token,
    payment: 10n ** 18n,
    solverStake: 10n ** 18n,
    claimDeadline: Number(now + 3600n),
    trainingDuration: 86_400,
    challengeWindow: 3600,
  };
  await mined(submitter.writeContract({ address: market, abi: jobMarketAbi, functionName: 'postJob', args: [job], chain: submitter.chain }));
  const jobId = await publicClient.readContract({ address: market, abi: jobMarketAbi, functionName: 'lastJobId' });
  const root = stateRoot(before);
  await mined(solver.writeContract({ address: market, abi: jobMarketAbi, functionName: 'claimJob', args: [jobId], chain: solver.chain }));
  await mined(
    solver.writeContract({ address: market, abi: jobMarketAbi, functionName: 'commitCheckpoint', args: [jobId, 0, root, '0x01'], chain: solver.chain }),
  );
  await mined(solver.writeContract({ address: market, abi: jobMarketAbi, functionName: 'submitFinal', args: [jobId, root, '0x01'], chain: solver.chain }));

  const chainId = await publicClient.getChainId();
  const actor = async (w: Wallet) => {
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
  const { disputeId } = await challenge(challengerSide, { jobId, interval: 0, spec, graph });
  const moves: { move: string; gasUsed: number }[] = [];
  const onMove = (m: { move: string; gasUsed: bigint }): void => {
    moves.push({ move: m.move, gasUsed: Number(m.gasUsed) });
  };
  const logger = o.logger ?? silentLogger;
  const player = (side: typeof solverSide) => createDisputePlayer({ ...side, pollMs: 10, onMove, logger });
  const [ended] = await Promise.all([
    player(solverSide).play(
      disputeId,
      solverOf(kindOfSolver, solverStrategy({ graph, spec, trajectory, dataset: () => new DatasetTree(new Uint8Array(1), 1) }), { a, b }, y),
    ),
    player(challengerSide).play(
      disputeId,
      challengerStrategy({ graph, solverChain: trajectory, faultyStep: 0, claims: challengerSide, pointAt: () => ({ kind: 'element', op: 0, element: 0 }) }),
    ),
  ]);
  // From the point on: everything after the trace root.
  const from = moves.findIndex((m) => m.move === 'point');
  const adjudication = moves.slice(from);
  return {
    k,
    total: adjudication.reduce((acc, m) => acc + m.gasUsed, 0),
    moves: adjudication,
    outcome: STAGE_NAMES[ended.stage as StageCode],
  };
}

/** The solver's strategy; a lying one rewrites the honest claims (one level) so that the top claim passes y. */
function solverOf(kind: 'honest' | 'wrong-y' | 'lying-claims', honest: Strategy, rows: { a: Float32Array; b: Float32Array }, y: number): Strategy {
  if (kind !== 'lying-claims') return honest;
  const bits = (f: Float32Array): Uint32Array => new Uint32Array(f.buffer, f.byteOffset, f.length);
  const tree = new ClaimTree(OpKind.MATMUL, { a: bits(rows.a), b: bits(rows.b) }, y);
  if (rootHeight(tree.k) !== 1) throw new RangeError('the lying solver rewrites one level of claims (K <= 4096)');
  const claims = tree.children(0, 1).map((c) => ({ ...c }));
  const yv = new Float32Array(new Uint32Array([y]).buffer)[0] as number;
  const gap = BigInt(Math.round(yv * 2 ** -tree.scale)) - claims.reduce((acc, c) => acc + c.sum, 0n);
  const last = claims[claims.length - 1] as ReductionClaim;
  claims[claims.length - 1] = { ...last, sum: last.sum + gap, absSum: last.absSum + (gap < 0n ? -gap : gap) };
  const joined = new Uint8Array(32 * claims.length);
  claims.forEach((c, i) => {
    joined.set(hexToBytes(claimLeaf(c)), 32 * i);
  });
  const list = new MerkleTree(joined);
  return {
    side: 'solver',
    next: async (d) => {
      const w = await honest.next(d);
      if (w?.functionName === 'openReduction') return { ...w, args: [w.args[0], w.args[1], w.args[2], w.args[3], w.args[4], w.args[5], claims] };
      if (w?.functionName === 'openChunk') {
        const i = d.reduction?.choice ?? 0;
        return { ...w, args: [w.args[0], w.args[1], claims[i] as ReductionClaim, [...list.rangeProof(i, 1).siblings], w.args[4]] };
      }
      return w;
    },
  };
}
