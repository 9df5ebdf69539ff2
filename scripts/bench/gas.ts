/**
 * Gas of the market's happy path, from transaction receipts on the in-process Hardhat network.
 * Run: `hardhat run scripts/bench/gas.ts`. The last line is one JSON object.
 *
 * Setup that a solver or submitter does once (token approval, staking) is not counted. The market
 * has already served one job, as in steady state (the job counter is non-zero).
 * happyPath10 = postJob + claimJob + 10 commitCheckpoint (indices 0..9) + submitFinal (index 10)
 *             + finalize + withdraw.
 */
import { network } from 'hardhat';
import type { Hex } from 'viem';
import { getContract, keccak256, toHex } from 'viem';
import { jobMarketAbi, stakingVaultAbi, testTokenAbi } from '../../sdk/abi/index.ts';
import { deploy, DEFAULT_PARAMETERS } from '../deploy-lib.ts';

const CHECKPOINTS = 10;
const PAYMENT = 1_000n * 10n ** 18n;
const STAKE = DEFAULT_PARAMETERS.minSolverStake * 100n;

const { viem } = await network.create();
const publicClient = await viem.getPublicClient();
const testClient = await viem.getTestClient();
const [deployer, submitter, solver] = await viem.getWalletClients();
if (deployer === undefined || submitter === undefined || solver === undefined) throw new Error('need 3 accounts');

const deployment = await deploy({ publicClient, walletClient: deployer });
const tokenAddress = deployment.token;
if (tokenAddress === undefined) throw new Error('expected a TestToken on the in-process network');
const client = { public: publicClient, wallet: deployer };
const token = getContract({ address: tokenAddress, abi: testTokenAbi, client });
const market = getContract({ address: deployment.contracts.JobMarket.address, abi: jobMarketAbi, client });
const vault = getContract({ address: deployment.contracts.StakingVault.address, abi: stakingVaultAbi, client });

async function gasOf(hash: Promise<Hex>): Promise<bigint> {
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
  if (receipt.status !== 'success') throw new Error(`transaction ${receipt.transactionHash} reverted`);
  return receipt.gasUsed;
}

/** A 36-byte CIDv1 (dag-pb, sha2-256), the shape of a checkpoint's CID. */
function cidOf(seed: string): Hex {
  return `0x01701220${keccak256(toHex(seed)).slice(2)}`;
}

async function postParams(tag: string) {
  const now = (await publicClient.getBlock()).timestamp;
  return {
    specHash: keccak256(toHex(tag)),
    checkpointCount: CHECKPOINTS,
    token: token.address,
    payment: PAYMENT,
    solverStake: STAKE,
    claimDeadline: Number(now) + 3_600,
    trainingDuration: 86_400,
    challengeWindow: DEFAULT_PARAMETERS.minChallengeWindow,
  };
}

// One-time setup, not counted.
await gasOf(token.write.mint([submitter.account.address, PAYMENT * 10n]));
await gasOf(token.write.mint([solver.account.address, STAKE * 10n]));
await gasOf(token.write.approve([market.address, PAYMENT * 10n], { account: submitter.account }));
await gasOf(token.write.approve([vault.address, STAKE * 10n], { account: solver.account }));
await gasOf(vault.write.stake([STAKE * 10n], { account: solver.account }));
await gasOf(market.write.postJob([await postParams('warm-up')], { account: submitter.account }));

// The measured job.
const postJob = await gasOf(market.write.postJob([await postParams('job')], { account: submitter.account }));
const jobId = await market.read.lastJobId();
const claimJob = await gasOf(market.write.claimJob([jobId], { account: solver.account }));
const commits: bigint[] = [];
for (let i = 0; i < CHECKPOINTS; i++) {
  commits.push(
    await gasOf(
      market.write.commitCheckpoint([jobId, i, keccak256(toHex(`root-${i}`)), cidOf(`cp-${i}`)], {
        account: solver.account,
      }),
    ),
  );
}
const submitFinal = await gasOf(market.write.submitFinal([jobId, keccak256(toHex('root-final')), cidOf('cp-final')], { account: solver.account }));
await testClient.increaseTime({ seconds: DEFAULT_PARAMETERS.minChallengeWindow + 1 });
await testClient.mine({ blocks: 1 });
const finalize = await gasOf(market.write.finalize([jobId], { account: submitter.account }));
const withdraw = await gasOf(market.write.withdraw([token.address], { account: solver.account }));

const commitSum = commits.reduce((a, b) => a + b, 0n);
const commitMax = commits.reduce((a, b) => (b > a ? b : a), 0n);
const happyPath10 = postJob + claimJob + commitSum + submitFinal + finalize + withdraw;

console.log(`commitCheckpoint per index: ${commits.join(', ')}`);
console.log(
  JSON.stringify({
    bench: 'gas',
    postJob: Number(postJob),
    claimJob: Number(claimJob),
    commitCheckpoint: Number(commitMax),
    submitFinal: Number(submitFinal),
    finalize: Number(finalize),
    withdraw: Number(withdraw),
    happyPath10: Number(happyPath10),
  }),
);
