/**
 * Which jobs to claim: a pure function of the job as the chain has it, its spec, the node's free
 * stake, the chain's time and the operator's policy, so it is unit-tested without a chain.
 */
import { getAddress, type Address } from 'viem';
import { modelCost, modelPlan, type BackendName, type JobRecord, type JobSpec } from '../../sdk/index.ts';

export interface ClaimPolicy {
  readonly autoClaim: boolean;
  readonly minPricePerStep: bigint;
  readonly maxParameters: number;
  readonly tokens: readonly string[];
  readonly flopsPerSecond?: number | undefined;
  readonly deadlineSafety: number;
  readonly maxChallengeWindow: number;
}

/** Rough sustained training throughput per backend (FLOP/s) when the operator set none. */
export const BACKEND_FLOPS: Readonly<Record<BackendName, number>> = { cpu: 2e9, wasm: 5e9, tensorflow: 5e10, webgpu: 5e10 };

export type ClaimDecision = { readonly claim: true } | { readonly claim: false; readonly reason: string; readonly final: boolean };

export function parameterCount(spec: Pick<JobSpec, 'model'>): number {
  return modelCost(modelPlan(spec.model)).parameters;
}

/** FLOPs of one step: the multiply-adds, 2 FLOPs each forward and twice that backward. */
export function flopsPerStep(spec: Pick<JobSpec, 'model' | 'training'>): number {
  return 6 * spec.training.batchSize * modelCost(modelPlan(spec.model)).macsPerRecord;
}

export function decideClaim(input: {
  job: JobRecord;
  spec: JobSpec;
  freeStake: bigint;
  chainTime: number;
  policy: ClaimPolicy;
  backend: BackendName;
  me: Address;
  clockBudget: number;
}): ClaimDecision {
  const { job, spec, policy } = input;
  if (job.status !== 'Open') return { claim: false, reason: `job is ${job.status}`, final: true };
  // A bait job: the chain's checkpoint count is not the spec's, so the job can never be submitted
  // as specified and ends in expiry, which pays the submitter part of the stake.
  const intervals = spec.training.steps / spec.training.checkpointInterval;
  if (job.checkpointCount !== intervals)
    return {
      claim: false,
      reason: `the market's checkpointCount ${job.checkpointCount} is not the spec's steps / checkpointInterval = ${intervals}`,
      final: true,
    };
  if (input.chainTime > job.claimDeadline) return { claim: false, reason: 'claim deadline passed', final: true };
  if (getAddress(job.submitter) === getAddress(input.me)) return { claim: false, reason: "posted by this node's own account", final: true };
  if (policy.tokens.length > 0 && !policy.tokens.some((t) => getAddress(t) === getAddress(job.token)))
    return { claim: false, reason: `payment token ${job.token} is not in policy.tokens`, final: true };
  // A bait job: a window so long the stake stays locked and the payment never comes.
  if (job.challengeWindow > policy.maxChallengeWindow)
    return {
      claim: false,
      reason: `challenge window ${job.challengeWindow} s is longer than policy.maxChallengeWindow ${policy.maxChallengeWindow} s`,
      final: true,
    };
  const price = job.payment / BigInt(spec.training.steps);
  if (price < policy.minPricePerStep)
    return { claim: false, reason: `pays ${price} per step, policy.minPricePerStep is ${policy.minPricePerStep}`, final: true };
  const params = parameterCount(spec);
  if (params > policy.maxParameters)
    return { claim: false, reason: `model has ${params} parameters, policy.maxParameters is ${policy.maxParameters}`, final: true };
  const seconds = (flopsPerStep(spec) * spec.training.steps) / (policy.flopsPerSecond ?? BACKEND_FLOPS[input.backend]);
  if (seconds > job.trainingDuration * policy.deadlineSafety) {
    return {
      claim: false,
      reason: `training needs about ${Math.ceil(seconds)} s on ${input.backend}, more than ${policy.deadlineSafety} of the ${job.trainingDuration} s allowed`,
      final: true,
    };
  }
  // A dispute gives the solver one clockBudget to regenerate the disputed interval (k steps; the
  // game plays a job's disputes one at a time): a job whose interval does not fit could be lost
  // on time by an honest node.
  const intervalSeconds = (flopsPerStep(spec) * spec.training.checkpointInterval) / (policy.flopsPerSecond ?? BACKEND_FLOPS[input.backend]);
  if (intervalSeconds > input.clockBudget * policy.deadlineSafety) {
    return {
      claim: false,
      reason: `regenerating one interval needs about ${Math.ceil(intervalSeconds)} s on ${input.backend}, more than ${policy.deadlineSafety} of the dispute game's ${input.clockBudget} s clock`,
      final: true,
    };
  }
  if (input.freeStake < job.solverStake)
    return { claim: false, reason: `needs ${job.solverStake} free stake, has ${input.freeStake} (stake more with \`veritrain-solver stake\`)`, final: false };
  if (!policy.autoClaim) return { claim: false, reason: 'policy.autoClaim is off', final: false };
  return { claim: true };
}
