// The verifier daemon against scripted solvers on a real chain: it screens every sampled interval
// on its own backend, judges flagged ones exactly from the solver's served data, challenges only
// provable fraud (or withheld data), plays the dispute to the end, and withdraws its reward. An
// honest solver on another backend (cpu, wasm, webgpu) is never challenged.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { erc20Abi } from 'viem';
import { ChainError, createJsonLogger, disputeGameAbi, initialState, readJob, Stage } from '../../sdk/index.ts';
import { copyStateTransition, FRAUD_KINDS, nanMomentumStart } from '../../sdk/testing/index.ts';
import { webgpuSkip } from './helpers/backends.ts';
import { CLOCK, createVerifierWorld, STAKE } from './verifier-fixtures/world.ts';

type World = Awaited<ReturnType<typeof createVerifierWorld>>;
let w: World;
before(async () => {
  w = await createVerifierWorld();
});
after(async () => {
  await w.close();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => Promise<boolean> | boolean, step: () => Promise<void>, timeoutMs = 60_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await step();
    await sleep(20);
  }
}

describe('verifier daemon', () => {
  // Each pair trains the solver's whole chain first, then the verifier screens on its own backend.
  for (const [solver, verifier] of [
    ['cpu', 'wasm'],
    ['webgpu', 'wasm'],
    ['wasm', 'webgpu'],
  ] as const) {
    const skip = solver === 'webgpu' || verifier === 'webgpu' ? webgpuSkip : false;
    it(`never challenges an honest solver that trained on another backend (${solver} solver, ${verifier} verifier)`, { skip }, async () => {
      const { jobId } = await w.solverJob({ backend: solver });
      const v = await w.verifier({ backend: verifier, config: { jobs: { only: [jobId.toString()] } } });
      try {
        await until(
          'both intervals screened',
          () => {
            const rows = v.daemon.db.intervals(jobId);
            return rows.length === 2 && rows.every((r) => r.state !== 'sampled');
          },
          () => v.daemon.tick(),
        );
        const rows = v.daemon.db.intervals(jobId);
        assert.deepEqual(
          rows.map((r) => r.state),
          ['passed', 'passed'],
        );
        for (const r of rows) assert.ok((r.distance ?? 1) > 0 && (r.distance ?? 1) < 1e-5, `honest cross-backend drift ${r.distance}`);
        assert.equal(v.daemon.db.disputes(jobId).length, 0);
        const report = v.daemon.report(jobId);
        assert.ok(report !== undefined);
        assert.equal(report.checked, 2);
        assert.equal(report.computeFraction, 1, 'budget 1: every interval re-executed once');
        assert.ok(Math.abs(report.detection - (1 - 0.9 ** 2)) < 1e-12);
        assert.equal(report.disputes.length, 0);
      } finally {
        await v.stop();
      }
    });
  }

  it("catches a solver whose checkpoint 0 is not the spec's (NaN momentum, never trains): INITIAL_STATE point, slashed", async () => {
    const { jobId, chain } = await w.solverJob({ startState: nanMomentumStart(initialState(w.spec)), transition: copyStateTransition });
    const defence = new AbortController();
    const defending = w.defend(jobId, chain, false, defence.signal);
    const v = await w.verifier({ config: { jobs: { only: [jobId.toString()] } } });
    try {
      await until(
        'the job settled and the verifier is done with it',
        async () => (await readJob(v.chain, jobId)).status === 'Slashed' && v.daemon.db.job(jobId)?.done === 1,
        () => v.daemon.tick(),
        90_000,
      );
      const [dispute] = v.daemon.db.disputes(jobId);
      assert.ok(dispute !== undefined);
      assert.equal(dispute.outcome, 'won');
      assert.equal(dispute.idx, 0, 'interval 0 was challenged');
      const id = BigInt(dispute.dispute_id ?? 0);
      const [pointed] = await w.world.publicClient.getContractEvents({
        address: w.world.game.address,
        abi: disputeGameAbi,
        eventName: 'ElementPointed',
        args: { disputeId: id },
        fromBlock: 0n,
      });
      assert.ok(pointed !== undefined);
      assert.equal(pointed.args.op, await w.world.game.read.INITIAL_STATE(), 'decided by the init rule');
      assert.equal((await w.world.game.read.getDispute([id])).stage, Stage.ChallengerWon);
    } finally {
      defence.abort();
      await v.stop();
      await defending; // rejects if the scripted solver failed
    }
  });

  for (const fraud of FRAUD_KINDS) {
    it(`catches a cheating solver (${fraud}), wins the dispute, gets it slashed and withdraws its reward`, async () => {
      const { jobId, chain, withhold } = await w.solverJob({ fraud });
      const defence = new AbortController();
      const defending = w.defend(jobId, chain, withhold, defence.signal);
      const v = await w.verifier({ config: { jobs: { only: [jobId.toString()] } } });
      const me = v.chain.signer.address;
      const balance = () => w.world.publicClient.readContract({ address: w.world.token.address, abi: erc20Abi, functionName: 'balanceOf', args: [me] });
      const before = await balance();
      try {
        await until(
          'a dispute opened',
          () => v.daemon.db.disputes(jobId).some((d) => d.dispute_id !== null),
          () => v.daemon.tick(),
        );
        const [honestInterval, faked] = v.daemon.db.intervals(jobId);
        assert.equal(honestInterval?.state, 'passed', 'the honest interval passes the screen');
        assert.equal(faked?.state, 'challenged');
        if (withhold) assert.equal(faked.fault_step, null, 'nothing served: challenged for withholding');
        else assert.equal(faked.fault_step, fraud === 'copy-checkpoint' ? w.k : w.k + 3, 'the exact check found the faked step');
        if (withhold) {
          // The solver never moves: once its clock is out, the verifier ends the game on time.
          await w.world.increaseTime(CLOCK + 1);
        }
        await until(
          'the job settled and the verifier is done with it',
          async () => (await readJob(v.chain, jobId)).status === 'Slashed' && v.daemon.db.job(jobId)?.done === 1,
          () => v.daemon.tick(),
          90_000,
        );
        const dispute = v.daemon.db.disputes(jobId)[0];
        assert.equal(dispute?.outcome, 'won');
        const game = await w.world.game.read.getDispute([BigInt(dispute.dispute_id ?? 0)]);
        assert.equal(game.stage, Stage.ChallengerWon);
        // Reward: challengerBps (50%) of the stake; the bond came back. Both withdrawn.
        assert.equal((await balance()) - before, STAKE / 2n);
        assert.equal(await w.world.market.read.creditOf([me, w.world.token.address]), 0n);
        assert.equal(await w.world.game.read.creditOf([me]), 0n);
        const report = v.daemon.report(jobId);
        assert.ok(report !== undefined);
        assert.deepEqual(
          report.disputes.map((d) => d.outcome),
          ['won'],
        );
        assert.equal(report.checked, 2);
      } finally {
        defence.abort();
        await v.stop();
        await defending; // rejects if the scripted solver failed
      }
    });
  }

  it('demands on-chain the data of a cheater that serves nothing off-chain but defends, with deposits it approved, and wins', async () => {
    const { jobId, chain } = await w.solverJob({ fraud: 'noise', serve: false });
    const defence = new AbortController();
    const defending = w.defend(jobId, chain, false, defence.signal);
    const v = await w.verifier({ config: { jobs: { only: [jobId.toString()] } } });
    // No allowance left from set-up: the verifier approves what the dispute needs itself.
    await v.chain.sender.writeContract({ address: w.world.token.address, abi: erc20Abi, functionName: 'approve', args: [w.world.game.address, 0n] });
    try {
      await until(
        'the job settled and the verifier is done with it',
        async () => (await readJob(v.chain, jobId)).status === 'Slashed' && v.daemon.db.job(jobId)?.done === 1,
        () => v.daemon.tick(),
        240_000,
      );
      const id = BigInt(v.daemon.db.disputes(jobId)[0]?.dispute_id ?? 0);
      const demands = await w.world.publicClient.getContractEvents({
        address: w.world.game.address,
        abi: w.world.game.abi,
        eventName: 'DataDemanded',
        args: { disputeId: id },
        fromBlock: 0n,
      });
      assert.ok(demands.length >= 1, 'the verifier demanded the data it was not served');
      assert.equal((await w.world.game.read.getDispute([id])).stage, Stage.ChallengerWon);
    } finally {
      defence.abort();
      await v.stop();
      await defending;
    }
  });

  it('retries a dispute move that failed and still wins', async () => {
    const { jobId, chain } = await w.solverJob({ fraud: 'noise' });
    const defence = new AbortController();
    const defending = w.defend(jobId, chain, false, defence.signal);
    const lines: { msg: string; move?: string }[] = [];
    let failed = 0;
    const v = await w.verifier({
      config: { jobs: { only: [jobId.toString()] } },
      logger: createJsonLogger({
        write: (l) => {
          lines.push(JSON.parse(l) as { msg: string });
        },
      }),
      // The first `point` fails as a dropped connection would, after the retries of the RPC layer.
      faultySender: (sender) => ({
        ...sender,
        writeContract: ((params: Parameters<typeof sender.writeContract>[0]) => {
          if (params.functionName === 'point' && failed++ === 0) return Promise.reject(new ChainError('CHAIN_RPC_FAILED', 'point: connection reset'));
          return sender.writeContract(params);
        }) as typeof sender.writeContract,
      }),
    });
    try {
      await until(
        'the job settled',
        async () => (await readJob(v.chain, jobId)).status === 'Slashed' && v.daemon.db.job(jobId)?.done === 1,
        () => v.daemon.tick(),
        90_000,
      );
      assert.equal(failed, 2, 'point was sent again after the failure');
      assert.ok(lines.some((l) => l.msg === 'dispute move failed; retrying'));
      assert.deepEqual(
        v.daemon.db.disputes(jobId).map((x) => x.outcome),
        ['won'],
      );
    } finally {
      defence.abort();
      await v.stop();
      await defending; // rejects if the scripted solver failed
    }
  });

  it('resumes an open dispute after a restart and still wins it', async () => {
    const { jobId, chain } = await w.solverJob({ fraud: 'wrong-lr' });
    const defence = new AbortController();
    const defending = w.defend(jobId, chain, false, defence.signal);
    const first = await w.verifier({ config: { jobs: { only: [jobId.toString()] } } });
    const dataDir = first.dataDir;
    try {
      await until(
        'a dispute opened',
        () => first.daemon.db.disputes(jobId).some((d) => d.dispute_id !== null),
        () => first.daemon.tick(),
      );
      // Stop right after the challenge, mid-game, and start a new daemon on the same data.
      const disputeId = BigInt(first.daemon.db.disputes(jobId)[0]?.dispute_id ?? 0);
      await first.stop();
      const stopped = await w.world.game.read.getDispute([disputeId]);
      assert.ok(stopped.stage < Stage.SolverWon, `the game was still running when the verifier stopped (stage ${stopped.stage})`);
      const second = await w.verifier({ dataDir, config: { jobs: { only: [jobId.toString()] } } });
      try {
        await until(
          'the job settled',
          async () => (await readJob(second.chain, jobId)).status === 'Slashed' && second.daemon.db.job(jobId)?.done === 1,
          () => second.daemon.tick(),
          90_000,
        );
        assert.deepEqual(
          second.daemon.db.disputes(jobId).map((x) => x.outcome),
          ['won'],
        );
      } finally {
        await second.stop();
      }
    } finally {
      defence.abort();
      await defending;
    }
  });
});
