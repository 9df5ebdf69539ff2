/**
 * The solver daemon end to end on a real chain (Anvil), real IPFS (Helia over bitswap) and real
 * libp2p, run through its CLI as a child process: a keystore is imported and stake staked with
 * the CLI; the daemon discovers a posted job, claims, trains and commits; it is killed with
 * SIGKILL mid-training and resumes with roots identical to an independent run and without a
 * single duplicate transaction; it serves states and op traces to a verifier; it defends a false
 * challenge to the end (killed with SIGKILL mid-game, and resumes it) and wins the bond; after
 * the challenge window it finalizes and withdraws its payment. `status` and the metrics
 * endpoint report it all.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { Hex } from 'viem';
import { erc20Abi, parseEventLogs, parseUnits } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import {
  buildGraph,
  challenge,
  createTrajectory,
  decodeState,
  disputeGameAbi,
  initialState,
  jobMarketAbi,
  readCheckpointChain,
  readDispute,
  silentLogger,
  Stage,
  stateRoot,
  traceRootOf,
  useBackend,
  type MoveRecord,
} from '../../sdk/index.ts';
import { createActor, playChallenger } from './helpers/players.ts';
import {
  BOND,
  CHALLENGE_WINDOW,
  cleanup,
  createSolverWorld,
  KEYS,
  PAYMENT,
  runCli,
  spawnSolver,
  STAKE,
  tempDir,
  writeSolverConfig,
  type LogLine,
  type SolverProcess,
} from './solver-fixtures/world.ts';

after(cleanup);

const K = 8;
const INTERVALS = 24;
const PASSWORD = 'solver test password';

describe('solver daemon: post to paid, kill -9, serve, defend', async () => {
  const world = await createSolverWorld({ k: K, intervals: INTERVALS });
  const { publicClient, deployment } = world;
  const market = deployment.contracts.JobMarket.address;
  const game = deployment.contracts.DisputeGame.address;
  const solverAddress = privateKeyToAccount(KEYS.solver).address;
  const dataDir = await tempDir('data');
  const configFile = path.join(await tempDir('config'), 'solver.json');
  const keystore = path.join(path.dirname(configFile), 'solver.keystore.json');
  await writeSolverConfig(configFile, {
    dataDir,
    chain: { rpcUrl: world.rpcUrl, deploymentsDir: world.deploymentsDir, pollingIntervalMs: 100 },
    key: { keystore },
    p2p: { bootstrap: world.submitterNode.multiaddrs() },
    storage: { fetchTimeoutMs: 30_000 },
    metrics: { port: 0 },
    log: { progress: false },
  });
  const env = { VERITRAIN_KEYSTORE_PASSWORD: PASSWORD, VERITRAIN_SOLVER_CONFIG: '' };
  const logs: LogLine[] = [];
  let solver: SolverProcess | undefined;
  let jobId: bigint;

  // The solver's honest chain, computed independently in this process (same wasm backend).
  const graph = buildGraph(world.spec);
  const tf = await useBackend('wasm');
  const reference = createTrajectory({
    tf,
    graph,
    spec: world.spec,
    records: world.records,
    start: 0,
    end: K * INTERVALS,
    startState: initialState(world.spec),
  });
  /** Checkpoint i's root as the chain commits it (logs checked against the market's head); undefined while uncommitted. */
  const checkpointRoot = async (i: number): Promise<Hex | undefined> => (await readCheckpointChain({ publicClient, market }, jobId)).checkpoints[i]?.stateRoot;

  it('imports a key into a keystore and stakes with the CLI; bad config is reported by field', async () => {
    const imported = await runCli(['key', 'import', keystore], { ...env, VERITRAIN_PRIVATE_KEY: KEYS.solver });
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, new RegExp(solverAddress, 'i'));
    const address = await runCli(['key', 'address', '--config', configFile], env);
    assert.equal(address.stdout.trim(), solverAddress);
    const staked = await runCli(['stake', '100', '--config', configFile], env);
    assert.equal(staked.code, 0, staked.stderr);
    assert.match(staked.stdout, /staked 100 .*free stake now 100/);
    const bad = await runCli(['status', '--config', configFile], { ...env, VERITRAIN_METRICS_PORT: 'soon', VERITRAIN_LOG_LEVEL: 'loud' });
    assert.equal(bad.code, 3);
    assert.match(bad.stderr, /VERITRAIN_METRICS_PORT: must be a number/);
    const help = await runCli(['run', '--help'], env);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /usage: veritrain-solver run/);
  });

  it('claims, trains and commits; resumes after kill -9 mid-training with identical roots and no duplicate transaction', async () => {
    solver = await spawnSolver(configFile, env, logs);
    jobId = await world.post();
    await solver.waitForLog((l) => l.msg === 'job claimed', 60_000, 'the claim');
    await solver.waitForLog((l) => l.msg === 'checkpoint committed' && Number(l.index) >= 4, 60_000, 'checkpoint 4');
    await solver.kill9();
    const job = await publicClient.readContract({ address: market, abi: jobMarketAbi, functionName: 'getJob', args: [jobId] });
    assert.equal(job.status, 2, 'still Claimed: killed mid-training');
    assert.equal(await checkpointRoot(INTERVALS), undefined);

    solver = await spawnSolver(configFile, env, logs);
    const resumed = await solver.waitForLog((l) => l.msg === 'resuming training', 30_000, 'the resume');
    assert.ok(Number(resumed.fromCheckpoint) >= 4);
    await solver.waitForLog((l) => l.msg === 'final checkpoint submitted', 120_000, 'the final checkpoint');

    for (let i = 0; i <= INTERVALS; i++) assert.equal(await checkpointRoot(i), stateRoot(await reference.stateAt(i * K)), `checkpoint ${i}`);
    const events = await publicClient.getContractEvents({
      address: market,
      abi: jobMarketAbi,
      eventName: 'CheckpointCommitted',
      args: { jobId },
      fromBlock: 0n,
    });
    assert.deepEqual(
      events.map((e) => e.args.index),
      Array.from({ length: INTERVALS + 1 }, (_, i) => i),
    );
    // approve + stake (CLI), claim, 24 commits, submitFinal: every transaction the solver ever sent.
    assert.equal(await publicClient.getTransactionCount({ address: solverAddress }), 2 + 1 + INTERVALS + 1);
  });

  it('serves intermediate states and op traces that match its commitments', async () => {
    const verifierDir = await tempDir('verifier');
    const { createP2PNode } = await import('../../sdk/index.ts');
    const verifier = createP2PNode({
      account: privateKeyToAccount(KEYS.challenger),
      chainId: deployment.chainId,
      market,
      directory: verifierDir,
      logger: silentLogger,
    });
    await verifier.start();
    try {
      const peer = solver?.started.multiaddrs[0];
      assert.ok(peer !== undefined);
      await verifier.dial(peer);
      const states = [];
      for await (const item of verifier.requestStates(
        peer,
        { market: market.toLowerCase(), jobId: jobId.toString(), fromStep: K, toStep: K + 2, want: 'states' },
        { server: solverAddress, signal: AbortSignal.timeout(30_000) },
      ))
        states.push(item);
      assert.deepEqual(
        states.map((s) => s.step),
        [K, K + 1, K + 2],
      );
      assert.equal(stateRoot(decodeState(states[0]?.bytes as Uint8Array)), await checkpointRoot(1));
      assert.equal(stateRoot(decodeState(states[2]?.bytes as Uint8Array)), stateRoot(await reference.stateAt(K + 2)));
      const traces = [];
      for await (const item of verifier.requestStates(
        peer,
        { market: market.toLowerCase(), jobId: jobId.toString(), fromStep: K + 3, toStep: K + 3, want: 'traces' },
        { server: solverAddress, signal: AbortSignal.timeout(30_000) },
      ))
        traces.push(item);
      const trace = decodeState(traces[0]?.bytes as Uint8Array).map((t) => t.data);
      const expected = await reference.stepAt(K + 3);
      assert.equal(traceRootOf(graph, { before: expected.before, trace }), traceRootOf(graph, expected));
    } finally {
      await verifier.stop();
    }
  });

  it('defends a false challenge to the end, resuming after kill -9 mid-game, and wins the bond', async () => {
    const challenger = world.wallet(KEYS.challenger);
    const approve = await challenger.writeContract({ address: world.token, abi: erc20Abi, functionName: 'approve', args: [game, BOND] });
    await publicClient.waitForTransactionReceipt({ hash: approve });
    const clients = await createActor(publicClient, game, challenger);
    const { disputeId } = await challenge(clients, { jobId, interval: 1, spec: world.spec, graph });
    const balanceBefore = await publicClient.readContract({ address: world.token, abi: erc20Abi, functionName: 'balanceOf', args: [solverAddress] });
    const moves: MoveRecord[] = [];
    // A false challenger: it points at an arbitrary element of an honest step.
    const prosecution = playChallenger(clients, disputeId, {
      log: silentLogger,
      pollMs: 50,
      graph,
      solverChain: reference,
      faultyStep: K + 3,
      onMove: (m) => moves.push(m),
      pointAt: () => ({ kind: 'element', op: 2, element: 5 }),
    });
    const current = solver as SolverProcess;
    await current.waitForLog((l) => l.msg === 'dispute move' && l.move === 'postMidpoint', 60_000, 'the first midpoint');
    await current.kill9();
    const restartedAt = logs.length;
    solver = await spawnSolver(configFile, env, logs);
    const end = await prosecution;
    // The game can end on chain a moment before the solver logs its last move.
    await solver.waitForLog((l) => l.msg === 'dispute move' && l.move === 'openElement', 30_000, 'the opening move');
    const resumedMoves = logs
      .slice(restartedAt)
      .filter((l) => l.msg === 'dispute move')
      .map((l) => l.move);
    assert.ok(resumedMoves.includes('postTrace') && resumedMoves.includes('openElement'), `the restarted node finished the game: ${resumedMoves.join(', ')}`);
    assert.equal(end, Stage.SolverWon);
    const d = await readDispute(clients, disputeId);
    assert.equal(d.stage, Stage.SolverWon);
    await solver.waitForLog((l) => l.msg === 'dispute bond withdrawn', 60_000, 'the bond withdrawal');
    const balanceAfter = await publicClient.readContract({ address: world.token, abi: erc20Abi, functionName: 'balanceOf', args: [solverAddress] });
    assert.equal(balanceAfter - balanceBefore, BOND, "the challenger's bond, withdrawn");
    assert.equal(await publicClient.readContract({ address: game, abi: disputeGameAbi, functionName: 'creditOf', args: [solverAddress] }), 0n);
    // Every solver move was sent once: its MidpointPosted events have distinct steps.
    const mids = await publicClient.getContractEvents({ address: game, abi: disputeGameAbi, eventName: 'MidpointPosted', args: { disputeId }, fromBlock: 0n });
    assert.equal(new Set(mids.map((m) => m.args.step)).size, mids.length);
    assert.equal(mids.length, Math.log2(K));
  });

  it('finalizes after the challenge window and withdraws its payment; status and metrics report it', async () => {
    const current = solver as SolverProcess;
    const before = await publicClient.readContract({ address: world.token, abi: erc20Abi, functionName: 'balanceOf', args: [solverAddress] });
    await world.increaseTime(CHALLENGE_WINDOW + 1);
    await current.waitForLog((l) => l.msg === 'job paid', 60_000, 'the payment');
    const after = await publicClient.readContract({ address: world.token, abi: erc20Abi, functionName: 'balanceOf', args: [solverAddress] });
    assert.equal(after - before, PAYMENT);
    const job = await publicClient.readContract({ address: market, abi: jobMarketAbi, functionName: 'getJob', args: [jobId] });
    assert.equal(job.status, 4, 'Finalized');

    const metricsUrl = current.started.metricsUrl;
    assert.ok(metricsUrl !== undefined);
    const text = await (await fetch(metricsUrl)).text();
    assert.match(text, /veritrain_solver_earned_tokens_total\{kind="payment"\} 8/);
    assert.match(text, /veritrain_solver_jobs\{state="paid"\} 1/);
    assert.match(text, /veritrain_solver_checkpoints_committed_total \d+/);

    await current.stop();
    const status = await runCli(['status', '--json', '--config', configFile], env);
    assert.equal(status.code, 0, status.stderr);
    const s = JSON.parse(status.stdout) as {
      jobs: { job_id: string; state: string; committed: number }[];
      disputes: { state: string }[];
      earnings: { kind: string; amount: string }[];
      stake: { locked: string; free: string };
    };
    assert.deepEqual(
      s.jobs.map((j) => [j.job_id, j.state, j.committed]),
      [[jobId.toString(), 'paid', INTERVALS]],
    );
    assert.deepEqual(
      s.disputes.map((d) => d.state),
      ['won'],
    );
    assert.deepEqual(s.earnings.map((e) => [e.kind, e.amount]).sort(), [
      ['bond', BOND.toString()],
      ['payment', PAYMENT.toString()],
    ]);
    assert.equal(s.stake.locked, '0', 'stake unlocked');
    const human = await runCli(['status', '--config', configFile, '--offline'], env);
    assert.match(human.stdout, /paid/);
    // The receipts hold what the chain says was paid: one Withdrawn per credit.
    const withdrawn = parseEventLogs({ abi: jobMarketAbi, eventName: 'Withdrawn', logs: await publicClient.getLogs({ address: market, fromBlock: 0n }) });
    assert.equal(withdrawn.filter((w) => w.args.account === solverAddress).length, 1);
    assert.ok(STAKE > 0n);
  });

  it('in its demo cheating mode it trains dishonestly, warns loudly, and loses the dispute and its stake', async () => {
    const cheaterAddress = privateKeyToAccount(KEYS.cheater).address;
    const cheaterDir = await tempDir('cheater');
    const cheaterConfig = path.join(cheaterDir, 'solver.json');
    await writeSolverConfig(cheaterConfig, {
      dataDir: path.join(cheaterDir, 'data'),
      chain: { rpcUrl: world.rpcUrl, deploymentsDir: world.deploymentsDir, pollingIntervalMs: 100, fromBlock: Number(await publicClient.getBlockNumber()) },
      p2p: { bootstrap: world.submitterNode.multiaddrs() },
      metrics: { enabled: false },
      log: { progress: false },
      fraud: { kind: 'wrong-lr', interval: 1 },
    });
    const cheaterEnv = { VERITRAIN_PRIVATE_KEY: KEYS.cheater, VERITRAIN_SOLVER_CONFIG: '' };
    assert.equal((await runCli(['stake', '20', '--config', cheaterConfig], cheaterEnv)).code, 0);
    const cheaterLogs: LogLine[] = [];
    const cheater = await spawnSolver(cheaterConfig, cheaterEnv, cheaterLogs);
    assert.ok(cheaterLogs.some((l) => l.level === 'warn' && /CHEATING MODE/.test(l.msg)));
    const cheatJob = await world.post();
    await cheater.waitForLog(
      (l) => l.msg === 'checkpoint committed' && Number(l.index) >= 2 && l.jobId === cheatJob.toString(),
      60_000,
      'the faked interval committed',
    );

    // An honest verifier's view of the solver's chain: the fake is the middle step of interval 1.
    const faultyStep = K + K / 2;
    const { fraudTransition } = await import('../../sdk/testing/index.ts');
    const served = createTrajectory({
      tf,
      graph,
      spec: world.spec,
      records: world.records,
      start: 0,
      end: K * INTERVALS,
      startState: initialState(world.spec),
      transition: fraudTransition('wrong-lr', (s) => s === faultyStep),
    });
    const jobIdBefore = jobId;
    jobId = cheatJob;
    assert.equal(await checkpointRoot(2), stateRoot(await served.stateAt(2 * K)), 'the cheater committed its dishonest chain');
    assert.notEqual(await checkpointRoot(2), stateRoot(await reference.stateAt(2 * K)));
    jobId = jobIdBefore;
    const challenger = world.wallet(KEYS.challenger);
    await publicClient.waitForTransactionReceipt({
      hash: await challenger.writeContract({ address: world.token, abi: erc20Abi, functionName: 'approve', args: [game, BOND] }),
    });
    const clients = await createActor(publicClient, game, challenger);
    const { disputeId } = await challenge(clients, { jobId: cheatJob, interval: 1, spec: world.spec, graph });
    const end = await playChallenger(clients, disputeId, { log: silentLogger, pollMs: 50, graph, solverChain: served, faultyStep });
    assert.equal(end, Stage.ChallengerWon);
    await cheater.waitForLog((l) => l.msg === 'dispute lost', 30_000, 'the lost dispute');
    await cheater.waitForLog((l) => l.msg === 'job lost', 60_000, 'the lost job');
    const job = await publicClient.readContract({ address: market, abi: jobMarketAbi, functionName: 'getJob', args: [cheatJob] });
    assert.equal(job.status, 5, 'Slashed');
    const stakeLeft = await publicClient.readContract({
      address: deployment.contracts.StakingVault.address,
      abi: (await import('../../sdk/index.ts')).stakingVaultAbi,
      functionName: 'freeStakeOf',
      args: [cheaterAddress],
    });
    assert.equal(stakeLeft, parseUnits('20', 18) - STAKE, 'the job stake is gone');
    await cheater.stop();
  });
});
