/**
 * The transaction sender every role uses: one nonce sequence per account (assigned and broadcast
 * under a lock, so concurrent sends never collide; recovered from the node's pending nonce at
 * start and after any failed broadcast, so it survives restarts and transactions sent elsewhere),
 * gas estimated with headroom (the estimate also simulates the call, so reverts are decoded before
 * anything is signed), transient RPC failures retried with backoff (reverts never are), and the
 * receipt awaited to N confirmations under a timeout, and a transaction left unmined re-sent with
 * the same nonce and 25% higher fees (a replacement) every `feeBumpAfterMs`, at most `maxFeeBumps`
 * times, so a fee spike does not block the account's nonce. A reverted transaction surfaces as
 * ChainError CHAIN_REVERTED with the custom error decoded by name.
 */
import type { Abi, Address, ContractFunctionArgs, ContractFunctionName, Hex, PublicClient, TransactionReceipt } from 'viem';
import { encodeFunctionData, keccak256 } from 'viem';
import { ChainError } from '../errors.ts';
import { silentLogger, type Logger } from '../log.ts';
import { decodeRevert, revertOfMined } from './revert.ts';
import { sleep, withRetry, type RetryOptions } from './retry.ts';
import type { ChainSigner, PreparedTransaction } from './signer.ts';

export interface TxSenderOptions {
  readonly publicClient: PublicClient;
  readonly signer: ChainSigner;
  readonly chainId: number;
  readonly logger?: Logger | undefined;
  /** Blocks that must include and follow a transaction before it counts (default 1: mined). */
  readonly confirmations?: number | undefined;
  /** Gas limit = estimate × this / 10,000 (default 12,000: 20% headroom). */
  readonly gasHeadroomBps?: number | undefined;
  /** How long to wait for the receipt and its confirmations (default 120 s). */
  readonly receiptTimeoutMs?: number | undefined;
  /** Delay between receipt polls (default 1 s; the first poll is immediate). */
  readonly pollingIntervalMs?: number | undefined;
  /** Re-send an unmined transaction with 25% higher fees after this long, and again after each period (default 30 s). */
  readonly feeBumpAfterMs?: number | undefined;
  /** Replacements per transaction at most (default 3: up to 1.95× the first fees; 0 disables). */
  readonly maxFeeBumps?: number | undefined;
  readonly retry?: RetryOptions | undefined;
}

export interface SendTransactionParameters {
  readonly to: Address;
  readonly data: Hex;
  readonly value?: bigint | undefined;
  /** A gas limit to use instead of the estimate (the call is still simulated). */
  readonly gas?: bigint | undefined;
  /** Label for logs and error messages ("postJob"). */
  readonly action?: string | undefined;
  /** Extra ABI errors to decode reverts with. */
  readonly abi?: Abi | undefined;
  readonly confirmations?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Called when the transaction is broadcast, before it is mined (for progress), and with the hash of each fee-bumped replacement. */
  readonly onBroadcast?: ((hash: Hex) => void) | undefined;
}

export interface SendTransactionReturnType {
  readonly hash: Hex;
  readonly nonce: number;
  readonly receipt: TransactionReceipt;
}

export type WriteContractParameters<abi extends Abi, name extends ContractFunctionName<abi, 'nonpayable' | 'payable'>> = {
  readonly address: Address;
  readonly abi: abi;
  readonly functionName: name;
  readonly args: ContractFunctionArgs<abi, 'nonpayable' | 'payable', name>;
} & Omit<SendTransactionParameters, 'to' | 'data' | 'abi' | 'action'>;

export interface TxSender {
  readonly address: Address;
  /** Simulates, signs, broadcasts and waits for a transaction. */
  send(params: SendTransactionParameters): Promise<SendTransactionReturnType>;
  /** `send` for a typed contract call; reverts are decoded with the contract's ABI as well. */
  writeContract<const abi extends Abi, name extends ContractFunctionName<abi, 'nonpayable' | 'payable'>>(
    params: WriteContractParameters<abi, name>,
  ): Promise<SendTransactionReturnType>;
  /** Waits for a transaction's receipt and confirmations (e.g. one sent before a restart). */
  waitForReceipt(
    hash: Hex,
    options?: { confirmations?: number | undefined; signal?: AbortSignal | undefined; action?: string | undefined; abi?: Abi | undefined },
  ): Promise<TransactionReceipt>;
}

const NONCE_TOO_LOW =
  /nonce too low|nonce has already been used|already known|known transaction|replacement transaction underpriced|nonce.*(?:lower|expired)|NONCE_EXPIRED/i;

function messageOf(err: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  for (let cur: unknown = err; typeof cur === 'object' && cur !== null && !seen.has(cur); cur = (cur as { cause?: unknown }).cause) {
    seen.add(cur);
    const m = cur as { message?: unknown; details?: unknown };
    if (typeof m.message === 'string') parts.push(m.message);
    if (typeof m.details === 'string') parts.push(m.details);
  }
  return parts.join(' | ');
}

/** Replacement fees: 25% over the previous ones (nodes require at least 10%), or the current market when higher. */
function bumpedFees(
  prev: PreparedTransaction,
  now: Pick<PreparedTransaction, 'maxFeePerGas' | 'maxPriorityFeePerGas' | 'gasPrice'>,
): Pick<PreparedTransaction, 'maxFeePerGas' | 'maxPriorityFeePerGas' | 'gasPrice'> {
  const up = (x: bigint | undefined, market: bigint | undefined): bigint | undefined => {
    if (x === undefined) return undefined;
    const raised = (x * 125n + 99n) / 100n;
    return market !== undefined && market > raised ? market : raised;
  };
  if (prev.gasPrice !== undefined) return { gasPrice: up(prev.gasPrice, now.gasPrice ?? now.maxFeePerGas) };
  return { maxFeePerGas: up(prev.maxFeePerGas, now.maxFeePerGas), maxPriorityFeePerGas: up(prev.maxPriorityFeePerGas, now.maxPriorityFeePerGas) };
}

/**
 * Creates the sender for one account. Make one per account per process and share it: the nonce
 * lock lives in it.
 *
 * @example
 * ```ts
 * const sender = createTxSender({ publicClient, signer: await toChainSigner(account), chainId: 31337 });
 * const { receipt } = await sender.writeContract({
 *   address: market, abi: jobMarketAbi, functionName: 'cancelJob', args: [3n], signal: AbortSignal.timeout(60_000),
 * });
 * ```
 */
export function createTxSender(options: TxSenderOptions): TxSender {
  const { publicClient, signer, chainId } = options;
  const log = (options.logger ?? silentLogger).child({ component: 'tx-sender', account: signer.address });
  const confirmationsDefault = options.confirmations ?? 1;
  const headroom = BigInt(options.gasHeadroomBps ?? 12_000);
  const receiptTimeoutMs = options.receiptTimeoutMs ?? 120_000;
  const pollMs = options.pollingIntervalMs ?? 1_000;
  const bumpAfterMs = options.feeBumpAfterMs ?? 30_000;
  const maxBumps = options.maxFeeBumps ?? 3;
  const retry = options.retry ?? {};
  let nextNonce: number | undefined;
  let lock: Promise<unknown> = Promise.resolve();

  const rpc = <T>(action: string, fn: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> => withRetry(fn, { ...retry, signal, action });

  async function fees(signal: AbortSignal | undefined): Promise<Pick<PreparedTransaction, 'maxFeePerGas' | 'maxPriorityFeePerGas' | 'gasPrice'>> {
    try {
      const f = await rpc('estimateFeesPerGas', () => publicClient.estimateFeesPerGas({ type: 'eip1559', chain: null }), signal);
      return { maxFeePerGas: f.maxFeePerGas, maxPriorityFeePerGas: f.maxPriorityFeePerGas };
    } catch (err) {
      signal?.throwIfAborted();
      if (err instanceof ChainError) throw err;
      // Chains without EIP-1559 (no baseFeePerGas): legacy pricing.
      return { gasPrice: await rpc('getGasPrice', () => publicClient.getGasPrice(), signal) };
    }
  }

  /** Runs `fn` after every earlier holder of the nonce lock is done. */
  function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = lock.then(fn, fn);
    lock = run.catch(() => undefined);
    return run;
  }

  async function broadcast(tx: PreparedTransaction, signal: AbortSignal | undefined): Promise<Hex> {
    if (signer.signTransaction !== undefined) {
      const raw = await signer.signTransaction(tx);
      const hash = keccak256(raw);
      try {
        return await rpc('sendRawTransaction', () => publicClient.sendRawTransaction({ serializedTransaction: raw }), signal);
      } catch (err) {
        // A retried broadcast that the node already holds is a success.
        if (/already known|known transaction|already imported/i.test(messageOf(err))) return hash;
        throw err;
      }
    }
    if (signer.sendTransaction === undefined) throw new ChainError('CHAIN_RPC_FAILED', 'the signer can neither sign nor send transactions');
    const send = signer.sendTransaction;
    return rpc('sendTransaction', () => send(tx), signal);
  }

  type WaitOptions = { confirmations?: number | undefined; signal?: AbortSignal | undefined; action?: string | undefined; abi?: Abi | undefined };

  function waitForReceipt(hash: Hex, opts: WaitOptions = {}): Promise<TransactionReceipt> {
    return waitForAny([hash], opts);
  }

  /**
   * The receipt of whichever of `hashes` is mined (one nonce: a transaction and its replacements,
   * newest first); `whilePending` runs between polls while none is, and may add a hash.
   */
  async function waitForAny(hashes: Hex[], opts: WaitOptions, whilePending?: (signal: AbortSignal) => Promise<void>): Promise<TransactionReceipt> {
    const confirmations = opts.confirmations ?? confirmationsDefault;
    const timeout = AbortSignal.timeout(receiptTimeoutMs);
    const signal = opts.signal === undefined ? timeout : AbortSignal.any([opts.signal, timeout]);
    const receiptOf = (hash: Hex) =>
      withRetry(
        () =>
          publicClient.getTransactionReceipt({ hash }).catch((err: unknown) => {
            if ((err as { name?: unknown }).name === 'TransactionReceiptNotFoundError') return undefined;
            throw err;
          }),
        { ...retry, signal, action: 'getTransactionReceipt' },
      );
    try {
      for (;;) {
        let receipt: TransactionReceipt | undefined;
        for (const h of [...hashes].reverse()) {
          receipt = await receiptOf(h);
          if (receipt !== undefined) break;
        }
        if (receipt === undefined) await whilePending?.(signal);
        else {
          const head = await withRetry(() => publicClient.getBlockNumber({ cacheTime: 0 }), { ...retry, signal, action: 'getBlockNumber' });
          if (head - receipt.blockNumber + 1n >= BigInt(confirmations)) {
            if (receipt.status === 'reverted') throw await revertOfMined(publicClient, receipt.transactionHash, receipt, opts);
            return receipt;
          }
        }
        await sleep(pollMs, signal);
      }
    } catch (err) {
      if (opts.signal?.aborted === true) throw opts.signal.reason as Error;
      if (timeout.aborted) {
        const hash = hashes[hashes.length - 1] as Hex;
        throw new ChainError(
          'CHAIN_TIMEOUT',
          `${opts.action ?? 'transaction'} ${hash} was not ${confirmations > 1 ? `confirmed ${confirmations} times` : 'mined'} within ${Math.round(receiptTimeoutMs / 1000)} s; it may still be mined later`,
          { txHash: hash, cause: err },
        );
      }
      throw err;
    }
  }

  async function send(params: SendTransactionParameters): Promise<SendTransactionReturnType> {
    const { signal } = params;
    const action = params.action ?? 'transaction';
    const value = params.value ?? 0n;
    const request = { account: signer.address, to: params.to, data: params.data, value };
    let gas: bigint;
    try {
      const estimate = await rpc(`${action} (estimateGas)`, () => publicClient.estimateGas(request), signal);
      gas = params.gas ?? (estimate * headroom) / 10_000n;
    } catch (err) {
      throw decodeRevert(err, { abi: params.abi, action }) ?? err;
    }
    const feeFields = await fees(signal);

    const { hash, nonce, tx } = await exclusive(async () => {
      for (let attempt = 0; ; attempt++) {
        signal?.throwIfAborted();
        nextNonce ??= await rpc('getTransactionCount', () => publicClient.getTransactionCount({ address: signer.address, blockTag: 'pending' }), signal);
        const tx: PreparedTransaction = { chainId, to: params.to, data: params.data, value, nonce: nextNonce, gas, ...feeFields };
        try {
          const h = await broadcast(tx, signal);
          nextNonce = tx.nonce + 1;
          return { hash: h, nonce: tx.nonce, tx };
        } catch (err) {
          nextNonce = undefined; // re-read the pending nonce next time
          if (attempt < 3 && NONCE_TOO_LOW.test(messageOf(err)) && !/already known/i.test(messageOf(err))) {
            log.warn('nonce out of date; resyncing', { nonce: tx.nonce, action });
            continue;
          }
          throw decodeRevert(err, { abi: params.abi, action }) ?? err;
        }
      }
    });
    log.info('transaction sent', { action, hash, nonce, gas });
    params.onBroadcast?.(hash);
    const hashes = [hash];
    let current = tx;
    let bumpAt = Date.now() + bumpAfterMs;
    const bump = async (s: AbortSignal): Promise<void> => {
      if (hashes.length > maxBumps || Date.now() < bumpAt) return;
      bumpAt = Date.now() + bumpAfterMs;
      try {
        const next: PreparedTransaction = { ...current, ...bumpedFees(current, await fees(s)) };
        const h = await broadcast(next, s);
        current = next;
        hashes.push(h);
        log.warn('transaction not mined; replaced it with higher fees', {
          action,
          nonce,
          hash: h,
          replaces: hashes[hashes.length - 2],
          maxFeePerGas: next.maxFeePerGas,
          gasPrice: next.gasPrice,
        });
        params.onBroadcast?.(h);
      } catch (err) {
        // Mined meanwhile (nonce too low) or refused: the receipt poll settles it.
        log.info('fee bump not accepted', { action, nonce, error: messageOf(err) });
      }
    };
    const receipt = await waitForAny(hashes, { confirmations: params.confirmations, signal, action, abi: params.abi }, bump);
    log.info('transaction mined', { action, hash: receipt.transactionHash, block: receipt.blockNumber, gasUsed: receipt.gasUsed });
    return { hash: receipt.transactionHash, nonce, receipt };
  }

  return {
    address: signer.address,
    send,
    writeContract(params) {
      const { address, abi, functionName, args, ...rest } = params;
      const data = encodeFunctionData({ abi, functionName, args } as Parameters<typeof encodeFunctionData>[0]);
      return send({ ...rest, to: address, data, abi, action: functionName });
    },
    waitForReceipt,
  };
}
