/**
 * Every fraud kind end to end with real, separate processes on one shared devnet: one cheating
 * solver daemon per kind (node/cli.ts in its demo cheating mode), the verifier daemon
 * (verifier/cli.ts), and the submitter process posting one MNIST job per kind. The verifier
 * re-executes every interval, judges the flagged one exactly from the solver's served data,
 * challenges, bisects down to the faked step, points at one element of it, the chain judges the
 * cheater's opening of that element invalid (ElementOpened, valid = false), and every cheater is slashed.
 *
 * wrong-lr is told by story.test.ts. `withhold` trains honestly and then refuses to serve and to
 * defend: only a verifier that asks for the data catches it, so a second verifier in exact mode
 * follows that job, challenges the withheld interval, and wins when the solver's chess clock runs out.
 *
 * Routing: cheater i claims job i only, by its own policy: job i pays (i + 1) VTT and has hidden
 * width 10 + 2i; cheater i takes jobs paying at least job i's price per step (minPricePerStep) with
 * at most job i's parameter count (maxParameters).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseEther, parseEventLogs } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { ChainError, createChainClient, disputeGameAbi, jobMarketAbi, readJob, Stage, type ChainClient } from '../../sdk/index.ts';
import { type FraudKind } from '../../sdk/testing/index.ts';
import { DEVNET_PARAMETERS } from '../../scripts/devnet/chain.ts';
import { startDevnet, type Devnet } from '../../scripts/devnet/devnet.ts';
import { devKey } from '../../scripts/devnet/keys.ts';
import type { DevnetJobPlan } from '../../scripts/devnet/plan.ts';
import type { ChildLine } from '../../scripts/devnet/process.ts';

const KINDS: readonly FraudKind[] = ['skip-steps', 'wrong-batch', 'noise', 'copy-checkpoint', 'tamper-element', 'withhold'];
const STEPS = 64;
const K = 16;
const CLOCK = 30;
const STAKE = parseEther('10');
const params = (hidden: number): number => 784 * hidden + hidden + hidden * 10 + 10;

// Development accounts: #0 deployer, #1 submitter, #2 the exact-mode verifier, #3 the verifier, #4.. the cheaters.
const keys = { submitter: devKey(1), exact: devKey(2), verifier: devKey(3) };
const cheaterKey = (i: number): `0x${string}` => devKey(4 + i);

let runDir: string;
let devnet: Devnet;
let client: ChainClient;
const logs = new Map<string, ChildLine[]>();
const jobOf = new Map<FraudKind, bigint>();

before(async () => {
  runDir = await mkdtemp(path.join(tmpdir(), 'veritrain-e2e-frauds-'));
  devnet = await startDevnet({
    runDir,
    deployerKey: devKey(0),
    parameters: { ...DEVNET_PARAMETERS, clockBudget: CLOCK },
    fund: [keys.submitter, keys.exact, keys.verifier, ...KINDS.map((_, i) => cheaterKey(i))].map((k) => privateKeyToAccount(k).address),
    onChildLine: (line, role) => {
      const l = logs.get(role) ?? [];
      l.push(line);
      logs.set(role, l);
    },
  });
  client = await createChainClient({ publicClient: devnet.chain.publicClient, deploymentsDir: devnet.chain.deploymentsDir });
  const jobs: DevnetJobPlan[] = KINDS.map((kind, i) => ({
    name: kind,
    model: { layers: [784, 10 + 2 * i, 10] },
    steps: STEPS,
    checkpointInterval: K,
    batchSize: 32,
    payment: parseEther(String(i + 1)).toString(),
    solverStake: STAKE.toString(),
    challengeWindow: 150,
    trainingDuration: 900,
    download: false,
  }));
  // Job ids follow the posting order on this fresh chain; withhold is last.
  KINDS.forEach((kind, i) => {
    jobOf.set(kind, BigInt(i + 1));
  });
  const withholdJob = (jobOf.get('withhold') as bigint).toString();
  const plans = await Promise.all([
    devnet.plan('submitter', 'submitter'),
    devnet.plan('verifier', 'verifier'),
    devnet.plan('verifier-exact', 'verifier'),
    ...KINDS.map((kind) => devnet.plan(`cheater-${kind}`, 'solver')),
  ]);
  const [pSubmitter, pVerifier, pExact, ...pCheaters] = plans as [(typeof plans)[0], (typeof plans)[0], (typeof plans)[0], ...typeof plans];
  const solverPeers = Object.fromEntries(
    KINDS.map((_, i) => [privateKeyToAccount(cheaterKey(i)).address.toLowerCase(), (pCheaters[i] as (typeof plans)[0]).multiaddr]),
  );
  const verifierConfig = (mode: 'screen' | 'exact', only: string[]) => ({
    sampling: { budget: 1, targetDetection: null, fakeFraction: 0.1, costRatio: 1 },
    screen: { mode },
    disputes: { challengeWithheld: true, fetchTimeoutMs: 15_000, fetchAttempts: 2 },
    jobs: { only },
  });
  await Promise.all([
    devnet.startVerifier(pVerifier, {
      key: keys.verifier,
      solverPeers,
      config: verifierConfig(
        'screen',
        KINDS.filter((k) => k !== 'withhold').map((k) => (jobOf.get(k) as bigint).toString()),
      ),
    }),
    devnet.startVerifier(pExact, { key: keys.exact, solverPeers, config: verifierConfig('exact', [withholdJob]) }),
    ...KINDS.map((kind, i) =>
      devnet.startSolver(pCheaters[i] as (typeof plans)[0], {
        key: cheaterKey(i),
        stake: '10',
        policy: { minPricePerStep: (parseEther(String(i + 1)) / BigInt(STEPS)).toString(), maxParameters: params(10 + 2 * i) },
        fraud: { kind, interval: 1 },
      }),
    ),
    devnet.startSubmitter(pSubmitter, { key: keys.submitter, jobs }),
  ]);
});

after(async () => {
  await devnet.stop();
  // VERITRAIN_E2E_KEEP=1 keeps the run directory (every process's log is there).
  if (process.env.VERITRAIN_E2E_KEEP === undefined) await rm(runDir, { recursive: true, force: true });
  else process.stderr.write(`kept ${runDir}\n`);
});

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!(await check())) {
    for (const p of devnet.processes) if (p.child.exitCode !== null) throw new Error(`${p.role} exited:\n${p.tail()}`);
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** A job's status, or undefined while the submitter has not posted it yet (the tests start as soon as every process has). */
async function statusOf(jobId: bigint): Promise<string | undefined> {
  try {
    return (await readJob(client, jobId)).status;
  } catch (err) {
    if (err instanceof ChainError && err.code === 'JOB_NOT_FOUND') return undefined;
    throw err;
  }
}

describe('every fraud kind, end to end with separate processes', () => {
  for (const [i, kind] of KINDS.entries()) {
    const how =
      kind === 'withhold'
        ? 'withholds its data, never moves in the dispute, loses it on time'
        : 'is caught, one element of the faked step is judged invalid on chain, it loses the dispute';
    it(`${kind}: the cheater claims its job, ${how} and its stake`, async () => {
      const jobId = jobOf.get(kind) as bigint;
      const cheater = privateKeyToAccount(cheaterKey(i)).address;
      await until(`job ${jobId} (${kind}) slashed`, async () => (await statusOf(jobId)) === 'Slashed', 240_000);
      const job = await readJob(client, jobId);
      assert.equal(job.solver, cheater, 'claimed by the cheater its policy routes it to');
      const market = devnet.chain.deployment.contracts.JobMarket.address;
      const game = devnet.chain.deployment.contracts.DisputeGame.address;
      const marketLogs = await devnet.chain.publicClient.getLogs({ address: market, fromBlock: 0n });
      const [slash] = parseEventLogs({ abi: jobMarketAbi, eventName: 'JobSlashed', logs: marketLogs }).filter((e) => e.args.jobId === jobId);
      assert.equal(slash?.args.solver, cheater);
      assert.equal(slash.args.stake, STAKE);
      const gameLogs = await devnet.chain.publicClient.getLogs({ address: game, fromBlock: 0n });
      const [created] = parseEventLogs({ abi: disputeGameAbi, eventName: 'DisputeCreated', logs: gameLogs }).filter((e) => e.args.jobId === jobId);
      assert.ok(created !== undefined, 'a dispute was opened');
      const verifierRole = kind === 'withhold' ? 'verifier-exact' : 'verifier';
      assert.equal(created.args.challenger, privateKeyToAccount(kind === 'withhold' ? keys.exact : keys.verifier).address);
      assert.equal(slash.args.challenger, created.args.challenger);
      const [resolved] = parseEventLogs({ abi: disputeGameAbi, eventName: 'DisputeResolved', logs: gameLogs }).filter(
        (e) => e.args.disputeId === created.args.disputeId,
      );
      assert.equal(resolved?.args.outcome, Stage.ChallengerWon);
      const vlogs = logs.get(verifierRole) ?? [];
      const ofDispute = <E extends { args: { disputeId: bigint } }>(events: E[]): E[] => events.filter((e) => e.args.disputeId === created.args.disputeId);
      const pointed = ofDispute(parseEventLogs({ abi: disputeGameAbi, eventName: 'ElementPointed', logs: gameLogs }));
      const opened = ofDispute(parseEventLogs({ abi: disputeGameAbi, eventName: 'ElementOpened', logs: gameLogs }));
      const traced = ofDispute(parseEventLogs({ abi: disputeGameAbi, eventName: 'TracePosted', logs: gameLogs }));
      if (kind === 'withhold') {
        // Nothing was faked: the verifier challenges an interval whose data the solver withheld.
        assert.ok(
          vlogs.some(
            (l) =>
              l.msg === 'the solver did not serve usable data for a flagged interval' && l.jobId === jobId.toString() && l.interval === created.args.interval,
          ),
          "the challenged interval's data was withheld",
        );
        assert.ok(
          vlogs.some((l) => l.msg === 'the other side ran out of time; ending the dispute'),
          'won on time',
        );
        const solverMoves = ['MidpointPosted', 'DataPublished', 'TracePosted', 'ElementOpened'] as const;
        for (const eventName of solverMoves)
          assert.deepEqual(
            ofDispute(parseEventLogs({ abi: disputeGameAbi, eventName, logs: gameLogs })),
            [],
            `the withholding solver made no ${eventName} move`,
          );
      } else {
        // The fraud was found in the solver's own served data at the faked step ...
        const found = vlogs.find((l) => l.msg === "invalid transition found in the solver's own data" && l.jobId === jobId.toString());
        assert.ok(
          found !== undefined,
          `the exact check found the fault: ${JSON.stringify(vlogs.filter((l) => l.jobId === jobId.toString()).map((l) => l.msg))}`,
        );
        assert.equal(found.interval, 1);
        assert.equal(created.args.interval, 1, 'the faked interval was challenged');
        const faultStep = Number(found.step);
        assert.ok(faultStep >= K && faultStep < 2 * K, `the fault lies in interval 1: step ${faultStep}`);
        // ... bisection narrowed the dispute to that step, the challenger pointed at one element of
        // it, and the chain judged the solver's opening of that element invalid.
        assert.equal(traced.length, 1, 'one op trace posted');
        assert.equal(traced[0]?.args.step, BigInt(faultStep), 'the dispute narrowed to the step the verifier found');
        assert.equal(pointed.length, 1, 'the challenger pointed at one element');
        assert.equal(opened.length, 1, 'the solver opened it and the chain judged it');
        const [point] = pointed;
        const [verdict] = opened;
        assert.ok(point !== undefined && verdict !== undefined);
        assert.deepEqual([verdict.args.op, verdict.args.element], [point.args.op, point.args.element], 'the judged element is the pointed one');
        assert.equal(verdict.args.valid, false, 'the chain judged the element invalid');
        assert.ok(verdict.blockNumber >= point.blockNumber, 'judged after it was pointed at');
        assert.equal(resolved.transactionHash, verdict.transactionHash, 'the verdict resolved the dispute');
      }
      // The verifier collects: its reward is withdrawn once the job is settled.
      await until(
        `${verifierRole} withdrew its reward for job ${jobId}`,
        () => Promise.resolve(vlogs.some((l) => l.msg === 'job report' && l.jobId === jobId.toString())),
        60_000,
      );
    });
  }
});
