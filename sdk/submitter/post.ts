import { modelCost, modelPlan } from '../spec/model.ts';
import type { Address, Hex } from 'viem';
import { erc20Abi, parseEventLogs } from 'viem';
import { jobMarketAbi } from '../abi/index.ts';
import { marketAddress, requireWallet, type ChainClient } from '../chain/client.ts';
import { withRetry } from '../chain/retry.ts';
import { ConfigError } from '../errors.ts';
import { assertSpecRoots } from '../graph/complete.ts';
import { putJobSpec } from '../storage/objects.ts';
import type { P2PNode } from '../p2p/node.ts';
import type { ContentStore } from '../storage/types.ts';
import { checkpointCount, parseJobSpec, specHash, type JobSpec, type JobSpecInput } from '../spec/job-spec.ts';
import type { OnProgress } from './progress.ts';

const DAY = 86_400;

export interface PostJobParameters {
  /** The job spec (a parsed spec file is validated here; graphRoot must match the graph it defines). */
  readonly spec: JobSpec | JobSpecInput;
  /** Where the spec is uploaded (and where solvers fetch it and the dataset from). */
  readonly store: ContentStore;
  /** Escrowed payment, in the payment token's smallest unit. */
  readonly payment: bigint;
  /** Stake the solver must lock, in the stake token's smallest unit (at least the market minimum). */
  readonly solverStake: bigint;
  /** Payment token; defaults to the deployment's first payment token. */
  readonly token?: Address | undefined;
  /** Seconds from now until the claim deadline (default 1 day); ignored when claimDeadline is set. */
  readonly claimWindow?: number | undefined;
  /** Absolute claim deadline, unix seconds. */
  readonly claimDeadline?: number | undefined;
  /** Seconds a solver has from its claim to submit the final checkpoint (default 1 day). */
  readonly trainingDuration?: number | undefined;
  /** Seconds verifiers have to dispute after submission (default: the market minimum). */
  readonly challengeWindow?: number | undefined;
  /** Refuse to post when the store does not hold the dataset (default true). */
  readonly requireDataset?: boolean | undefined;
  /** Gossip the job to solvers (the 'jobs' topic) from this node once it is posted; they also find it in the chain's events. */
  readonly announce?: Pick<P2PNode, 'publishJob'> | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: OnProgress | undefined;
}

export interface PostJobReturnType {
  readonly jobId: bigint;
  readonly specHash: Hex;
  readonly specCid: string;
  readonly txHash: Hex;
  /** The approval sent first, when the allowance was short. */
  readonly approveTxHash: Hex | undefined;
  readonly claimDeadline: number;
  readonly blockNumber: bigint;
  /** Peers the job announcement reached (undefined without `announce`; 0 when gossip failed). */
  readonly announcedTo: number | undefined;
}

/** Validates a spec input and checks that its graphRoot is the root of the graph it defines. */
export function validateSpec(input: JobSpec | JobSpecInput): JobSpec {
  const spec = parseJobSpec(input);
  assertSpecRoots(spec);
  return spec;
}

/**
 * Posts a job: validates the spec, uploads it (its CID is derived from specHash), approves the
 * market for the payment when the allowance is short, and escrows the payment with `postJob`.
 * Pre-checks what a user gets wrong (token not allowed, balance short, stake or challenge window
 * under the market minimum) before anything is sent; contract reverts are decoded (ChainError).
 *
 * @example
 * ```ts
 * import { createChainClient, createHeliaStore, postJob, accountFromEnv } from 'veritrain';
 * import { parseEther } from 'viem';
 * const client = await createChainClient({ rpcUrl: 'http://127.0.0.1:8545', signer: accountFromEnv('VERITRAIN_PRIVATE_KEY') });
 * const store = createHeliaStore({ directory: '.veritrain/ipfs' });
 * await store.start();
 * const { jobId } = await postJob(client, {
 *   spec, store, payment: parseEther('100'), solverStake: parseEther('10'), signal: AbortSignal.timeout(120_000),
 * });
 * ```
 */
export async function postJob(client: ChainClient, params: PostJobParameters): Promise<PostJobReturnType> {
  const wallet = requireWallet(client, 'postJob');
  const { signal, onProgress } = params;
  const spec = validateSpec(params.spec);
  const { publicClient, deployment, retry } = wallet;
  const market = marketAddress(wallet);
  const token = params.token ?? deployment.paymentTokens[0];
  if (token === undefined) throw new ConfigError('the deployment lists no payment token; pass `token`');
  const challengeWindow = params.challengeWindow ?? deployment.parameters.minChallengeWindow;
  const trainingDuration = params.trainingDuration ?? DAY;
  if (params.payment <= 0n) throw new ConfigError('payment must be positive');
  if (params.solverStake < deployment.parameters.minSolverStake)
    throw new ConfigError(`solverStake ${params.solverStake} is under the market minimum ${deployment.parameters.minSolverStake}`);
  if (challengeWindow < deployment.parameters.minChallengeWindow)
    throw new ConfigError(`challengeWindow ${challengeWindow} s is under the market minimum ${deployment.parameters.minChallengeWindow} s`);
  if (!Number.isInteger(trainingDuration) || trainingDuration <= 0 || trainingDuration > 0xffff_ffff)
    throw new ConfigError('trainingDuration must be a positive number of seconds');

  const read = <T>(action: string, fn: () => Promise<T>): Promise<T> => withRetry(fn, { ...retry, signal, action });
  const account = wallet.signer.address;
  const [allowed, balance, allowance, block] = await Promise.all([
    read('isPaymentToken', () => publicClient.readContract({ address: market, abi: jobMarketAbi, functionName: 'isPaymentToken', args: [token] })),
    read('balanceOf', () => publicClient.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [account] })),
    read('allowance', () => publicClient.readContract({ address: token, abi: erc20Abi, functionName: 'allowance', args: [account, market] })),
    read('getBlock', () => publicClient.getBlock()),
  ]);
  if (!allowed) throw new ConfigError(`token ${token} is not accepted by the market at ${market}`);
  if (balance < params.payment) throw new ConfigError(`${account} holds ${balance} of token ${token}, the payment needs ${params.payment}`);
  const claimDeadline = params.claimDeadline ?? Number(block.timestamp) + (params.claimWindow ?? DAY);

  if (params.requireDataset ?? true) {
    if (!(await params.store.has(spec.data.cid, { signal }))) {
      throw new ConfigError(`the store does not hold the dataset ${spec.data.cid}; add it with createDataset (solvers fetch it from you)`);
    }
  }
  onProgress?.({ phase: 'upload-spec' });
  const specCid = await putJobSpec(params.store, spec, { signal });
  onProgress?.({ phase: 'upload-spec', done: 1, total: 1, ref: specCid });

  let approveTxHash: Hex | undefined;
  if (allowance < params.payment) {
    onProgress?.({ phase: 'approve' });
    const approved = await wallet.sender.writeContract({
      address: token,
      abi: erc20Abi,
      functionName: 'approve',
      args: [market, params.payment],
      signal,
      onBroadcast: (hash) => {
        onProgress?.({ phase: 'approve', ref: hash });
      },
    });
    approveTxHash = approved.hash;
  }
  const hash = specHash(spec);
  onProgress?.({ phase: 'post' });
  const posted = await wallet.sender.writeContract({
    address: market,
    abi: jobMarketAbi,
    functionName: 'postJob',
    args: [
      {
        specHash: hash,
        checkpointCount: checkpointCount(spec) - 1,
        token,
        payment: params.payment,
        solverStake: params.solverStake,
        claimDeadline,
        trainingDuration,
        challengeWindow,
      },
    ],
    signal,
    onBroadcast: (h) => {
      onProgress?.({ phase: 'post', ref: h });
    },
  });
  const [event] = parseEventLogs({ abi: jobMarketAbi, eventName: 'JobPosted', logs: posted.receipt.logs });
  if (event === undefined) throw new ConfigError(`postJob ${posted.hash} emitted no JobPosted event: is ${market} the market?`);
  onProgress?.({ phase: 'post', done: 1, total: 1, ref: posted.hash });
  const jobId = event.args.jobId;
  // Best effort: the job is on chain either way, and solvers scan the chain's events too.
  const announcedTo =
    params.announce === undefined
      ? undefined
      : await params.announce
          .publishJob({ market: market.toLowerCase(), jobId: jobId.toString(), specHash: hash, specCid, datasetCid: spec.data.cid }, { signal })
          .then(
            (r) => r.recipients,
            () => 0,
          );
  return { jobId, specHash: hash, specCid, txHash: posted.hash, approveTxHash, claimDeadline, blockNumber: posted.receipt.blockNumber, announcedTo };
}

/** Gas of each market call, measured on the in-process Hardhat network (docs/PROTOCOL.md §6.8). */
export const MARKET_GAS = {
  approve: 46_000n,
  postJob: 170_730n,
  cancelJob: 40_000n,
  claimJob: 48_540n,
  commitCheckpoint: 53_744n,
  submitFinal: 62_993n,
  finalize: 69_843n,
  withdraw: 58_799n,
} as const;

export interface EstimateCostParameters {
  readonly spec: JobSpec | JobSpecInput;
  readonly payment: bigint;
  readonly solverStake: bigint;
  readonly signal?: AbortSignal | undefined;
}

export interface EstimateCostReturnType {
  readonly payment: bigint;
  readonly solverStake: bigint;
  /** Price of gas now (maxFeePerGas, or gasPrice on legacy chains), in wei. */
  readonly feePerGas: bigint;
  readonly submitter: { readonly gas: bigint; readonly fee: bigint };
  /** What the solver pays in gas to claim, commit every checkpoint, submit, finalize and withdraw: a floor for a payment it will accept. */
  readonly solver: { readonly gas: bigint; readonly fee: bigint; readonly checkpoints: number };
  readonly compute: {
    /** Floating-point operations of one training step (matmuls: 2·B·in·out forward, twice that backward). */
    readonly flopsPerStep: number;
    readonly totalFlops: number;
    /** Model parameters, and bytes of one checkpoint (parameters and momentum, fp32). */
    readonly parameters: number;
    readonly checkpointBytes: number;
  };
}

/**
 * Estimates what a job costs: the escrow, the gas of both sides at today's fee, and the compute.
 *
 * @example
 * ```ts
 * const cost = await estimateCost(client, { spec, payment: parseEther('100'), solverStake: parseEther('10') });
 * console.log(formatEther(cost.submitter.fee), cost.compute.totalFlops);
 * ```
 */
export async function estimateCost(client: ChainClient, params: EstimateCostParameters): Promise<EstimateCostReturnType> {
  const spec = validateSpec(params.spec);
  const feePerGas = await withRetry(
    async () => {
      try {
        return (await client.publicClient.estimateFeesPerGas({ type: 'eip1559', chain: null })).maxFeePerGas;
      } catch {
        return client.publicClient.getGasPrice();
      }
    },
    { ...client.retry, signal: params.signal, action: 'estimateFeesPerGas' },
  );
  const intervals = checkpointCount(spec) - 1;
  const submitterGas = MARKET_GAS.approve + MARKET_GAS.postJob;
  const solverGas = MARKET_GAS.claimJob + BigInt(intervals) * MARKET_GAS.commitCheckpoint + MARKET_GAS.submitFinal + MARKET_GAS.finalize + MARKET_GAS.withdraw;
  const { parameters, macsPerRecord } = modelCost(modelPlan(spec.model));
  const flopsPerStep = 6 * spec.training.batchSize * macsPerRecord;
  return {
    payment: params.payment,
    solverStake: params.solverStake,
    feePerGas,
    submitter: { gas: submitterGas, fee: submitterGas * feePerGas },
    solver: { gas: solverGas, fee: solverGas * feePerGas, checkpoints: intervals + 1 },
    compute: { flopsPerStep, totalFlops: flopsPerStep * spec.training.steps, parameters, checkpointBytes: 8 * parameters },
  };
}
