/**
 * Reverts decoded into ChainError: every custom error of the market, the vault and the test token
 * (and Solidity's Error(string) / Panic(uint256)) by name, with a message a user understands, e.g.
 * "JobUnexpectedStatus: job 3 is Claimed, expected Open".
 */
import type { Abi, Hex, PublicClient, TransactionReceipt } from 'viem';
import { BaseError, decodeErrorResult, isHex } from 'viem';
import { disputeGameAbi, elementJudgeAbi, jobMarketAbi, relayoutJudgeAbi, stakingVaultAbi, testTokenAbi } from '../abi/index.ts';
import { ChainError } from '../errors.ts';

/** Stored job status names, by their numeric value (IJobMarket.JobStatus). */
export const JOB_STATUSES = ['None', 'Open', 'Claimed', 'Submitted', 'Finalized', 'Slashed', 'Cancelled', 'Expired'] as const;
export type JobStatusName = (typeof JOB_STATUSES)[number];

/** Name of a numeric job status ("Status(9)" for an unknown value). */
export function jobStatusName(status: number | bigint): string {
  return JOB_STATUSES[Number(status)] ?? `Status(${status})`;
}

/** Every custom error a market, vault, token, dispute game or judge call can surface (the v2 judge's bubble up through the element judge). */
export const veritrainErrorsAbi = [...jobMarketAbi, ...stakingVaultAbi, ...testTokenAbi, ...disputeGameAbi, ...elementJudgeAbi, ...relayoutJudgeAbi].filter(
  (item) => item.type === 'error',
);

const time = (t: unknown): string => {
  const n = Number(t);
  return Number.isFinite(n) ? `${new Date(n * 1000).toISOString()} (${n})` : String(t);
};
const s = (v: unknown): string =>
  typeof v === 'string' ? v : typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean' ? v.toString() : JSON.stringify(v);

const PANICS: Readonly<Record<number, string>> = {
  0x01: 'assertion failed',
  0x11: 'arithmetic overflow or underflow',
  0x12: 'division by zero',
  0x21: 'invalid enum value',
  0x22: 'bad storage byte array',
  0x31: 'pop on an empty array',
  0x32: 'array index out of bounds',
  0x41: 'out of memory',
  0x51: 'call to a zero function',
};

/** What each error means, in words; arguments in ABI order. */
const MESSAGES: Readonly<Record<string, (a: readonly unknown[]) => string>> = {
  JobUnexpectedStatus: (a) => `job ${s(a[0])} is ${jobStatusName(a[1] as number)}, expected ${jobStatusName(a[2] as number)}`,
  JobNotDisputable: (a) => `job ${s(a[0])} is ${jobStatusName(a[1] as number)}; disputes need Claimed or Submitted`,
  JobCallerNotSolver: (a) => `${s(a[1])} is not the solver of job ${s(a[0])}`,
  JobCallerNotSubmitter: (a) => `${s(a[1])} is not the submitter of job ${s(a[0])}`,
  JobClaimDeadlinePassed: (a) => `the claim deadline of job ${s(a[0])} passed at ${time(a[1])}; it is ${time(a[2])}`,
  JobTrainingDeadlinePassed: (a) => `the training deadline of job ${s(a[0])} passed at ${time(a[1])}; it is ${time(a[2])}`,
  JobTrainingDeadlineNotPassed: (a) => `the training deadline of job ${s(a[0])} is ${time(a[1])}, not passed yet (it is ${time(a[2])})`,
  JobChallengeWindowOpen: (a) => `the challenge window of job ${s(a[0])} is open until ${time(a[1])} (it is ${time(a[2])})`,
  JobChallengeWindowClosed: (a) => `the challenge window of job ${s(a[0])} closed at ${time(a[1])} (it is ${time(a[2])})`,
  JobDisputesOpen: (a) => `job ${s(a[0])} has ${s(a[1])} open dispute(s)`,
  JobNoOpenDispute: (a) => `job ${s(a[0])} has no open dispute`,
  JobTooManyDisputes: (a) => `job ${s(a[0])} has the maximum number of open disputes`,
  JobCheckpointIndexOutOfRange: (a) =>
    `checkpoint ${s(a[1])} of job ${s(a[0])} is out of range 0..${Number(a[2]) - 1} (the final one goes through submitFinal)`,
  JobCheckpointOutOfOrder: (a) => `checkpoint ${s(a[1])} of job ${s(a[0])} is out of order: ${s(a[2])} are committed, so the next is ${s(a[2])}`,
  JobCheckpointProofInvalid: (a) =>
    `the proof of interval ${s(a[1])} of job ${s(a[0])} does not match its checkpoint chain (stale, wrong roots, or checkpoint ${Number(a[1]) + 1} not committed)`,
  JobCheckpointMissing: (a) => `checkpoint ${s(a[1])} of job ${s(a[0])} is not committed yet`,
  JobStateRootZero: (a) => `a zero state root was committed for job ${s(a[0])}`,
  JobInvalidParameter: (a) => `the job parameter "${s(a[0])}" is invalid (zero, in the past, or under the market minimum)`,
  JobMarketTokenNotAllowed: (a) => `token ${s(a[0])} is not accepted for payment by the market`,
  JobMarketTransferMismatch: (a) => `token ${s(a[0])} moved ${s(a[2])} instead of ${s(a[1])} (fee-on-transfer or misbehaving token)`,
  JobMarketCallerNotDisputeGame: (a) => `${s(a[0])} is not the dispute game`,
  JobMarketDisputeGameAlreadySet: (a) => `the dispute game is already set to ${s(a[0])}`,
  JobMarketNothingToWithdraw: (a) => `${s(a[0])} has no credit of token ${s(a[1])}`,
  JobMarketInvalidParameters: (a) => `invalid market parameter "${s(a[0])}"`,
  StakingZeroAmount: () => 'the amount must not be zero',
  StakingInsufficientFree: (a) => `${s(a[0])} has ${s(a[2])} free stake, needs ${s(a[1])}`,
  StakingInsufficientLocked: (a) => `${s(a[0])} has ${s(a[2])} locked stake, needs ${s(a[1])}`,
  StakingUnstakeNotReady: (a) => `the unstake of ${s(a[0])} is available at ${time(a[1])} (it is ${time(a[2])})`,
  StakingNothingToWithdraw: (a) => `${s(a[0])} has no pending unstake to withdraw`,
  StakingUnauthorized: (a) => `${s(a[0])} may not call this vault function`,
  StakingMarketAlreadySet: (a) => `the vault's market is already ${s(a[0])}`,
  StakingZeroAddress: () => 'an address must not be zero',
  StakingTransferMismatch: (a) => `the stake token moved ${s(a[1])} instead of ${s(a[0])}`,
  ERC20InsufficientAllowance: (a) => `allowance of ${s(a[0])} is ${s(a[1])}, needs ${s(a[2])}`,
  ERC20InsufficientBalance: (a) => `${s(a[0])} has a token balance of ${s(a[1])}, needs ${s(a[2])}`,
  Error: (a) => s(a[0]),
  Panic: (a) => `panic 0x${Number(a[0]).toString(16)}: ${PANICS[Number(a[0])] ?? 'unknown'}`,
};

/** Formats a decoded custom error as "Name: what it means". */
export function describeRevert(errorName: string, args: readonly unknown[]): string {
  const explain = MESSAGES[errorName];
  return explain === undefined ? `${errorName}(${args.map(s).join(', ')})` : `${errorName}: ${explain(args)}`;
}

function walk(err: unknown, visit: (e: object) => boolean): void {
  const seen = new Set<unknown>();
  let cur: unknown = err;
  while (typeof cur === 'object' && cur !== null && !seen.has(cur)) {
    seen.add(cur);
    if (visit(cur)) return;
    cur = (cur as { cause?: unknown }).cause;
  }
}

/**
 * The revert data an RPC error carries, wherever the node and viem put it (a `data` field on an
 * error in the cause chain, viem's decoded `raw`, or a "return data: 0x…" message); undefined when
 * the failure was not a revert with data.
 */
export function revertDataOf(err: unknown): Hex | undefined {
  let found: Hex | undefined;
  walk(err, (e) => {
    const cand = [(e as { raw?: unknown }).raw, (e as { data?: unknown }).data, (e as { data?: { data?: unknown } }).data?.data];
    for (const c of cand) {
      if (typeof c === 'string' && isHex(c) && c.length >= 10) {
        found = c;
        return true;
      }
    }
    const message = (e as { message?: unknown }).message;
    const m = typeof message === 'string' ? /(?:return data|revert data): (0x[0-9a-fA-F]{8,})/.exec(message) : null;
    if (m?.[1] !== undefined) {
      found = m[1] as Hex;
      return true;
    }
    return false;
  });
  return found;
}

/** Whether the failure is a revert (execution reverted), with or without data. */
export function isRevert(err: unknown): boolean {
  if (revertDataOf(err) !== undefined) return true;
  let revert = false;
  walk(err, (e) => {
    const name = (e as { name?: unknown }).name;
    const raw = (e as { message?: unknown }).message;
    const msg = typeof raw === 'string' ? raw : '';
    revert =
      name === 'ContractFunctionRevertedError' ||
      name === 'ExecutionRevertedError' ||
      /execution reverted|reverted with|revert(ed)?\b.*(reason|custom error)|invalid opcode/i.test(msg);
    return revert;
  });
  return revert;
}

export interface DecodeRevertOptions {
  /** ABI errors to decode with besides the Veritrain ones (e.g. a dispute game's). */
  readonly abi?: Abi | undefined;
  /** What was being done, prefixed to the message ("postJob"). */
  readonly action?: string | undefined;
  readonly txHash?: Hex | undefined;
}

/**
 * Turns a revert into a ChainError CHAIN_REVERTED whose `errorName` and `args` are the decoded
 * custom error; returns undefined when `err` is not a revert.
 *
 * @example
 * ```ts
 * try { await publicClient.estimateGas(request); }
 * catch (err) { throw decodeRevert(err, { action: 'cancelJob' }) ?? err; }
 * ```
 */
export function decodeRevert(err: unknown, options: DecodeRevertOptions = {}): ChainError | undefined {
  if (err instanceof ChainError) return err;
  if (!isRevert(err)) return undefined;
  const prefix = options.action === undefined ? '' : `${options.action} reverted: `;
  const data = revertDataOf(err);
  const abi = [...veritrainErrorsAbi, ...(options.abi ?? []).filter((i) => i.type === 'error')];
  if (data !== undefined) {
    try {
      const decoded = decodeErrorResult({ abi, data });
      const args: readonly unknown[] = Array.isArray(decoded.args) ? decoded.args : [];
      return new ChainError('CHAIN_REVERTED', `${prefix}${describeRevert(decoded.errorName, args)}`, {
        errorName: decoded.errorName,
        args,
        cause: err,
        txHash: options.txHash,
        details: { data },
      });
    } catch {
      return new ChainError('CHAIN_REVERTED', `${prefix}reverted with unknown error data ${data.slice(0, 74)}`, {
        cause: err,
        txHash: options.txHash,
        details: { data },
      });
    }
  }
  const short = err instanceof BaseError ? err.shortMessage : err instanceof Error ? err.message : String(err);
  return new ChainError('CHAIN_REVERTED', `${prefix}reverted without a reason (${short})`, { cause: err, txHash: options.txHash });
}

/**
 * Replays a mined, reverted transaction on the state before its block to recover the revert
 * reason. A replay that passes means the block differed from the replay (its timestamp, or gas
 * that depends on it): the message says whether the transaction used all its gas.
 */
export async function revertOfMined(
  publicClient: PublicClient,
  hash: Hex,
  receipt: TransactionReceipt,
  opts: { action?: string | undefined; abi?: Abi | undefined } = {},
): Promise<ChainError> {
  let limit: bigint | undefined;
  try {
    const tx = await publicClient.getTransaction({ hash });
    limit = tx.gas;
    await publicClient.call({ account: tx.from, to: tx.to ?? undefined, data: tx.input, value: tx.value, gas: tx.gas, blockNumber: receipt.blockNumber - 1n });
  } catch (err) {
    const decoded = decodeRevert(err, { abi: opts.abi, action: opts.action, txHash: hash });
    if (decoded !== undefined) return decoded;
  }
  const outOfGas = limit !== undefined && receipt.gasUsed >= limit ? ', out of gas' : '';
  return new ChainError(
    'CHAIN_REVERTED',
    `${opts.action ?? 'transaction'} ${hash} reverted in block ${receipt.blockNumber} (gas used ${receipt.gasUsed}${limit === undefined ? '' : ` of ${limit}`}${outOfGas})`,
    { txHash: hash },
  );
}
