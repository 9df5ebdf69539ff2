/**
 * The market through viem against a real node (the in-process Hardhat network): the happy path
 * and every failure path a user would hit, with on-chain custom errors checked by name.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { network } from 'hardhat';
import type { Hex } from 'viem';
import { BaseError, ContractFunctionRevertedError, decodeErrorResult, encodeAbiParameters, getContract, keccak256, parseEventLogs, toHex } from 'viem';
import { jobMarketAbi, stakingVaultAbi, testTokenAbi } from '../../sdk/abi/index.ts';
import { checkpointProof, EMPTY_CHECKPOINT_CHAIN, linkCheckpoint, readCheckpointChain, withCheckpointProof } from '../../sdk/chain/checkpoints.ts';
import { decodeRevert } from '../../sdk/chain/revert.ts';

const DAY = 86_400;
const PAYMENT = 1_000n * 10n ** 18n;
const STAKE = 50n * 10n ** 18n;
const MIN_STAKE = 10n ** 18n;
const STATUS = { Open: 1, Claimed: 2, Submitted: 3, Finalized: 4, Slashed: 5, Cancelled: 6, Expired: 7 } as const;

/** Every custom error a market call can surface, including those bubbled up from the vault. */
const errorsAbi = [...jobMarketAbi, ...stakingVaultAbi].filter((item) => item.type === 'error');

/** Name of the custom error in a rejected write, whether viem decoded it or only the node reported its data. */
function revertName(error: unknown): string | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (reverted instanceof ContractFunctionRevertedError && reverted.data !== undefined) return reverted.data.errorName;
  const data = /return data: (0x[0-9a-fA-F]+)/.exec(error.message)?.[1];
  if (data === undefined) return undefined;
  return decodeErrorResult({ abi: errorsAbi, data: data as Hex }).errorName;
}

/** Awaits a write that must revert with the custom error `name`. */
async function expectRevert(write: Promise<unknown>, name: string): Promise<void> {
  try {
    await write;
  } catch (error) {
    const got = revertName(error);
    if (got === undefined) throw error;
    assert.equal(got, name);
    return;
  }
  assert.fail(`expected a revert with ${name}`);
}

function cid(tag: string): Hex {
  return `0x01701220${keccak256(toHex(tag)).slice(2)}`;
}

function stateRoot(tag: string): Hex {
  return keccak256(toHex(`root:${tag}`));
}

describe('JobMarket over viem', async () => {
  const { viem } = await network.create();
  const publicClient = await viem.getPublicClient();
  const testClient = await viem.getTestClient();
  const wallets = await viem.getWalletClients();
  const wallet = (i: number) => {
    const w = wallets[i];
    if (w === undefined) throw new Error(`the network has no account ${i}`);
    return w;
  };
  const [deployer, submitter, solver, other, game, treasury] = [0, 1, 2, 3, 4, 5].map(wallet) as [
    ReturnType<typeof wallet>,
    ReturnType<typeof wallet>,
    ReturnType<typeof wallet>,
    ReturnType<typeof wallet>,
    ReturnType<typeof wallet>,
    ReturnType<typeof wallet>,
  ];

  // Contracts are typed from the generated sdk/abi, the same ABIs the SDK uses.
  const client = { public: publicClient, wallet: deployer };
  const tokenAddress = (await viem.deployContract('TestToken', ['Test', 'TST', 18])).address;
  const token = getContract({ address: tokenAddress, abi: testTokenAbi, client });
  const vaultAddress = (await viem.deployContract('StakingVault', [token.address, 7 * DAY])).address;
  const vault = getContract({ address: vaultAddress, abi: stakingVaultAbi, client });
  const marketAddress = (
    await viem.deployContract('JobMarket', [
      vault.address,
      {
        treasury: treasury.account.address,
        challengerBps: 5_000,
        submitterBps: 3_000,
        expirySubmitterBps: 5_000,
        minSolverStake: MIN_STAKE,
        minChallengeWindow: DAY,
      },
      [token.address],
      deployer.account.address,
    ])
  ).address;
  const market = getContract({ address: marketAddress, abi: jobMarketAbi, client });
  await vault.write.setMarket([market.address]);
  await market.write.setDisputeGame([game.account.address]);

  const asSubmitter = { account: submitter.account };
  const asSolver = { account: solver.account };
  const asGame = { account: game.account };

  async function mined(hash: Promise<Hex>) {
    const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
    assert.equal(receipt.status, 'success');
    return receipt;
  }

  async function now(): Promise<number> {
    return Number((await publicClient.getBlock()).timestamp);
  }

  async function advance(seconds: number): Promise<void> {
    await testClient.increaseTime({ seconds });
    await testClient.mine({ blocks: 1 });
  }

  async function postJob(checkpointCount: number, tag: string): Promise<bigint> {
    await mined(token.write.mint([submitter.account.address, PAYMENT]));
    await mined(token.write.approve([market.address, PAYMENT], asSubmitter));
    await mined(
      market.write.postJob(
        [
          {
            specHash: keccak256(toHex(`spec:${tag}`)),
            checkpointCount,
            token: token.address,
            payment: PAYMENT,
            solverStake: STAKE,
            claimDeadline: (await now()) + 3_600,
            trainingDuration: DAY,
            challengeWindow: DAY,
          },
        ],
        asSubmitter,
      ),
    );
    return market.read.lastJobId();
  }

  async function claimed(checkpointCount: number, tag: string): Promise<bigint> {
    const id = await postJob(checkpointCount, tag);
    await mined(market.write.claimJob([id], asSolver));
    return id;
  }

  async function submitted(checkpointCount: number, tag: string): Promise<bigint> {
    const id = await claimed(checkpointCount, tag);
    for (let i = 0; i < checkpointCount; i++) {
      await mined(market.write.commitCheckpoint([id, i, stateRoot(`${tag}:${i}`), cid(`${tag}:${i}`)], asSolver));
    }
    await mined(market.write.submitFinal([id, stateRoot(`${tag}:final`), cid(`${tag}:final`)], asSolver));
    return id;
  }

  async function status(id: bigint): Promise<number> {
    return (await market.read.getJob([id])).status;
  }

  before(async () => {
    // The solver stakes enough for several jobs at once.
    await mined(token.write.mint([solver.account.address, STAKE * 10n]));
    await mined(token.write.approve([vault.address, STAKE * 10n], asSolver));
    await mined(vault.write.stake([STAKE * 10n], asSolver));
  });

  it('runs the happy path: post, claim, commit, submit, finalize, withdraw', async () => {
    const id = await postJob(3, 'happy');
    assert.equal(await status(id), STATUS.Open);
    assert.equal((await token.read.balanceOf([market.address])) >= PAYMENT, true);

    await mined(market.write.claimJob([id], asSolver));
    assert.equal(await status(id), STATUS.Claimed);
    assert.equal((await vault.read.stakeOf([solver.account.address])).locked, STAKE);

    const commitReceipts = [];
    for (let i = 0; i < 3; i++) {
      commitReceipts.push(await mined(market.write.commitCheckpoint([id, i, stateRoot(`happy:${i}`), cid(`happy:${i}`)], asSolver)));
    }
    const final = await mined(market.write.submitFinal([id, stateRoot('happy:final'), cid('happy:final')], asSolver));
    assert.equal(await status(id), STATUS.Submitted);

    // The CID lives only in the logs; the SDK rebuilds the checkpoint list from them.
    const logs = parseEventLogs({
      abi: jobMarketAbi,
      eventName: 'CheckpointCommitted',
      logs: [...commitReceipts, final].flatMap((r) => r.logs),
    });
    assert.deepEqual(
      logs.map((l) => [l.args.index, l.args.cid]),
      [0, 1, 2, 3].map((i) => [i, cid(`happy:${i === 3 ? 'final' : String(i)}`)]),
    );
    // The market keeps only the chain head: the SDK's hash chain over the logged roots must equal it,
    // and a proof from those roots gives any interval's two roots back.
    const roots = [0, 1, 2].map((i) => stateRoot(`happy:${i}`)).concat(stateRoot('happy:final'));
    const [head, committed] = await market.read.checkpointChain([id]);
    assert.equal(committed, 4);
    assert.equal(
      head,
      roots.reduce((h, r, i) => linkCheckpoint(h, i, r), EMPTY_CHECKPOINT_CHAIN),
    );
    const chain = await readCheckpointChain({ publicClient, market: market.address }, id);
    assert.deepEqual(
      chain.checkpoints.map((c) => c.stateRoot),
      roots,
    );
    assert.deepEqual(await market.read.intervalRoots([id, 2, checkpointProof(chain, 2)]), [roots[2], roots[3]]);
    await expectRevert(market.read.intervalRoots([id, 1, { ...checkpointProof(chain, 1), roots: roots.slice(1, 3) }]), 'JobCheckpointProofInvalid');

    assert.equal(await market.read.isFinalizable([id]), false);
    await expectRevert(market.write.finalize([id]), 'JobChallengeWindowOpen');
    await advance(DAY + 1);
    assert.equal(await market.read.isFinalizable([id]), true);
    await mined(market.write.finalize([id], { account: other.account }));
    assert.equal(await status(id), STATUS.Finalized);
    assert.equal((await vault.read.stakeOf([solver.account.address])).locked, 0n);

    const before = await token.read.balanceOf([solver.account.address]);
    await mined(market.write.withdraw([token.address], asSolver));
    assert.equal(await token.read.balanceOf([solver.account.address]), before + PAYMENT);
    await expectRevert(market.write.withdraw([token.address], asSolver), 'JobMarketNothingToWithdraw');
    await expectRevert(market.write.finalize([id]), 'JobUnexpectedStatus');
  });

  it('cancels an unclaimed job and refunds the submitter', async () => {
    const id = await postJob(2, 'cancel');
    await expectRevert(market.write.cancelJob([id], asSolver), 'JobCallerNotSubmitter');
    await mined(market.write.cancelJob([id], asSubmitter));
    assert.equal(await status(id), STATUS.Cancelled);
    await expectRevert(market.write.claimJob([id], asSolver), 'JobUnexpectedStatus');
    assert.equal(await market.read.creditOf([submitter.account.address, token.address]), PAYMENT);
    await mined(market.write.withdraw([token.address], asSubmitter));
    assert.equal(await market.read.creditOf([submitter.account.address, token.address]), 0n);
  });

  it('rejects bad posts, late claims and wrong callers', async () => {
    await expectRevert(
      market.write.postJob(
        [
          {
            specHash: keccak256(toHex('x')),
            checkpointCount: 2,
            token: other.account.address,
            payment: PAYMENT,
            solverStake: STAKE,
            claimDeadline: (await now()) + 3_600,
            trainingDuration: DAY,
            challengeWindow: DAY,
          },
        ],
        asSubmitter,
      ),
      'JobMarketTokenNotAllowed',
    );
    const id = await postJob(2, 'late');
    await advance(3_601);
    await expectRevert(market.write.claimJob([id], asSolver), 'JobClaimDeadlinePassed');
    const id2 = await claimed(2, 'callers');
    await expectRevert(market.write.commitCheckpoint([id2, 0, stateRoot('a'), cid('a')], asSubmitter), 'JobCallerNotSolver');
    await expectRevert(market.write.commitCheckpoint([id2, 1, stateRoot('a'), cid('a')], asSolver), 'JobCheckpointOutOfOrder');
    await expectRevert(market.write.submitFinal([id2, stateRoot('a'), cid('a')], asSolver), 'JobCheckpointMissing');
    await expectRevert(market.write.openDispute([id2], asSolver), 'JobMarketCallerNotDisputeGame');
    await expectRevert(market.write.slash([id2, other.account.address], asSolver), 'JobMarketCallerNotDisputeGame');
  });

  it('a solver that commits ahead of every challenge only runs out of checkpoints: each stale proof is read again', async () => {
    const id = await claimed(8, 'stale');
    for (let i = 0; i < 3; i++) await mined(market.write.commitCheckpoint([id, i, stateRoot(`stale:${i}`), cid(`stale:${i}`)], asSolver));
    let calls = 0;
    let next = 3;
    const roots = await withCheckpointProof({ publicClient, market: market.address }, id, 1, async (proof) => {
      calls += 1;
      // The solver commits between every proof being read and it reaching the chain, five times
      // (more than a fixed retry budget of three would have survived).
      if (next < 8) {
        await mined(market.write.commitCheckpoint([id, next, stateRoot(`stale:${next}`), cid(`stale:${next}`)], asSolver));
        next += 1;
      }
      try {
        return await market.read.intervalRoots([id, 1, proof]);
      } catch (err) {
        throw decodeRevert(err) ?? err;
      }
    });
    assert.equal(calls, 6, 'five stale proofs, each read again, then the chain stopped moving');
    assert.deepEqual(roots, [stateRoot('stale:1'), stateRoot('stale:2')]);
    // A proof that is simply wrong (no commit explains it) is not retried.
    await assert.rejects(
      withCheckpointProof({ publicClient, market: market.address }, id, 1, async (proof) => {
        try {
          return await market.read.intervalRoots([id, 1, { ...proof, roots: proof.roots.slice(0, -1) }]);
        } catch (err) {
          throw decodeRevert(err) ?? err;
        }
      }),
      /JobCheckpointProofInvalid/,
    );
  });

  it('expires a job whose solver missed the deadline: refund and slash', async () => {
    const id = await claimed(2, 'expire');
    await mined(market.write.commitCheckpoint([id, 0, stateRoot('e0'), cid('e0')], asSolver));
    await expectRevert(market.write.expire([id]), 'JobTrainingDeadlineNotPassed');
    const creditBefore = await market.read.creditOf([submitter.account.address, token.address]);
    const stakeBefore = (await vault.read.stakeOf([solver.account.address])).staked;
    await advance(DAY + 1);
    await expectRevert(market.write.commitCheckpoint([id, 1, stateRoot('e1'), cid('e1')], asSolver), 'JobTrainingDeadlinePassed');
    assert.equal(await market.read.isExpirable([id]), true);
    await mined(market.write.expire([id], { account: other.account }));
    assert.equal(await status(id), STATUS.Expired);
    assert.equal(await market.read.creditOf([submitter.account.address, token.address]), creditBefore + PAYMENT + STAKE / 2n);
    assert.equal((await vault.read.stakeOf([solver.account.address])).staked, stakeBefore - STAKE);
  });

  it('lets the dispute game hold finalize, then slash with the split', async () => {
    const id = await submitted(2, 'dispute');
    await mined(market.write.openDispute([id], asGame));
    await advance(DAY + 1);
    await expectRevert(market.write.finalize([id]), 'JobDisputesOpen');
    const challenger = other.account.address;
    await mined(market.write.slash([id, challenger], asGame));
    assert.equal(await status(id), STATUS.Slashed);
    assert.equal(await market.read.creditOf([challenger, token.address]), STAKE / 2n);
    await expectRevert(market.write.slash([id, challenger], asGame), 'JobNotDisputable');
    const before = await token.read.balanceOf([challenger]);
    await mined(market.write.withdraw([token.address], { account: other.account }));
    assert.equal(await token.read.balanceOf([challenger]), before + STAKE / 2n);
  });

  it('finalizes after a dispute the solver won', async () => {
    const id = await submitted(1, 'won');
    await mined(market.write.openDispute([id], asGame));
    await mined(market.write.closeDispute([id, 0], asGame));
    await advance(DAY + 1);
    await expectRevert(market.write.openDispute([id], asGame), 'JobChallengeWindowClosed');
    await mined(market.write.finalize([id]));
    assert.equal(await status(id), STATUS.Finalized);
  });

  it('pauses the training deadline while disputes are open: the solver loses no training time to defending', async () => {
    const id = await claimed(3, 'paused');
    const deadline = (await market.read.getJob([id])).trainingDeadline;
    await advance(DAY - 600);
    await mined(market.write.openDispute([id], asGame));
    await mined(market.write.openDispute([id], asGame));
    // Two disputes held for two hours, past the nominal deadline: commits still land, expiry cannot.
    await advance(7_200);
    await mined(market.write.commitCheckpoint([id, 0, stateRoot('p0'), cid('p0')], asSolver));
    await expectRevert(market.write.expire([id]), 'JobDisputesOpen');
    await mined(market.write.closeDispute([id, 0], asGame));
    assert.equal((await market.read.getJob([id])).trainingDeadline, deadline, 'one dispute is still open');
    const receipt = await mined(market.write.closeDispute([id, 0], asGame));
    const events = parseEventLogs({ abi: jobMarketAbi, logs: receipt.logs });
    const closed = events.find((e) => e.eventName === 'DisputeClosed');
    assert.equal(closed?.eventName === 'DisputeClosed' && closed.args.outcome, 0, 'outcome SolverWon');
    const extended = events.find((e) => e.eventName === 'TrainingDeadlineExtended');
    const paused = 7_200 + 10; // the seconds between the first open and the last close: one per block mined
    const moved = (await market.read.getJob([id])).trainingDeadline - deadline;
    assert.ok(extended !== undefined && moved >= 7_200 && moved <= paused, `deadline moved by ${moved} s`);
    await mined(market.write.commitCheckpoint([id, 1, stateRoot('p1'), cid('p1')], asSolver));
    assert.equal(await market.read.isExpirable([id]), false, 'the moved deadline has not passed');
  });

  it('sybil challenges cannot fill the open-dispute counter: past 65,535 disputes still open', async () => {
    const id = await submitted(1, 'sybil');
    // Set the counter to 65,535 in storage (what 65,535 sybil challenges by the solver would leave),
    // in the job's third slot: token (20 bytes), challengeWindow (4), challengeDeadline (5), openDisputes (3).
    const JOBS_SLOT = 6n; // Ownable, Ownable2Step, disputeGame, isPaymentToken, _credits, lastJobId, then jobs
    const base = BigInt(keccak256(encodeAbiParameters([{ type: 'uint64' }, { type: 'uint256' }], [id, JOBS_SLOT])));
    const slot = toHex(base + 2n, { size: 32 });
    const word = BigInt((await publicClient.getStorageAt({ address: market.address, slot })) ?? '0x0');
    const mask = ((1n << 24n) - 1n) << 232n;
    await testClient.setStorageAt({ address: market.address, index: slot, value: toHex((word & ~mask) | (65_535n << 232n), { size: 32 }) });
    assert.equal((await market.read.getJob([id])).openDisputes, 65_535, 'the slot holds the counter');
    await mined(market.write.openDispute([id], asGame));
    assert.equal((await market.read.getJob([id])).openDisputes, 65_536, 'an honest challenger still gets in');
  });

  it('refuses jobs until the dispute game is wired: none could be challenged', async () => {
    const unwired = getContract({
      address: (
        await viem.deployContract('JobMarket', [
          vault.address,
          {
            treasury: treasury.account.address,
            challengerBps: 5_000,
            submitterBps: 3_000,
            expirySubmitterBps: 5_000,
            minSolverStake: MIN_STAKE,
            minChallengeWindow: DAY,
          },
          [token.address],
          deployer.account.address,
        ])
      ).address,
      abi: jobMarketAbi,
      client,
    });
    await expectRevert(
      unwired.write.postJob(
        [
          {
            specHash: keccak256(toHex('spec:unwired')),
            checkpointCount: 1,
            token: token.address,
            payment: PAYMENT,
            solverStake: STAKE,
            claimDeadline: (await now()) + 3_600,
            trainingDuration: DAY,
            challengeWindow: DAY,
          },
        ],
        asSubmitter,
      ),
      'JobMarketNotWired',
    );
  });

  it('keeps locked stake locked and releases unstaked stake after the delay', async () => {
    const id = await claimed(1, 'stake');
    const account = await vault.read.stakeOf([solver.account.address]);
    const free = await vault.read.freeStakeOf([solver.account.address]);
    assert.equal(free, account.staked - account.locked - account.pendingUnstake);
    await expectRevert(vault.write.requestUnstake([free + 1n], asSolver), 'StakingInsufficientFree');
    await mined(vault.write.requestUnstake([free], asSolver));
    await expectRevert(vault.write.withdrawStake(asSolver), 'StakingUnstakeNotReady');
    await advance(7 * DAY);
    const before = await token.read.balanceOf([solver.account.address]);
    await mined(vault.write.withdrawStake(asSolver));
    assert.equal(await token.read.balanceOf([solver.account.address]), before + free);
    assert.equal((await vault.read.stakeOf([solver.account.address])).locked >= STAKE, true);
    await expectRevert(vault.write.slash([solver.account.address, 1n, other.account.address], asGame), 'StakingUnauthorized');
    assert.equal(await status(id), STATUS.Claimed);
  });
});
