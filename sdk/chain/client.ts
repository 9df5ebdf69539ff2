/**
 * The chain client every role passes around: a viem PublicClient for reads, the deployment of the
 * chain it is on, and (when it can write) a signer and the transaction sender of that signer.
 * Functions of the SDK take it first, as viem's actions take a client: `postJob(client, params)`.
 */
import type { Address, PublicClient, Transport } from 'viem';
import { createPublicClient, http } from 'viem';
import { ChainError, KeyError } from '../errors.ts';
import { silentLogger, type Logger } from '../log.ts';
import { loadDeployment, type Deployment } from './deployment.ts';
import { withRetry, type RetryOptions } from './retry.ts';
import { createTxSender, type TxSender, type TxSenderOptions } from './sender.ts';
import { toChainSigner, type ChainSigner, type SignerInput } from './signer.ts';

export interface ChainClient {
  readonly chainId: number;
  readonly publicClient: PublicClient;
  readonly deployment: Deployment;
  /** Undefined for a read-only client. */
  readonly signer: ChainSigner | undefined;
  /** The signer's transaction sender (undefined for a read-only client). */
  readonly sender: TxSender | undefined;
  readonly logger: Logger;
  readonly retry: RetryOptions;
  /** Delay between polls of watchers and receipt waits, in ms. */
  readonly pollingIntervalMs: number;
}

/** A client that can send transactions. */
export type WalletChainClient = ChainClient & { readonly signer: ChainSigner; readonly sender: TxSender };

export interface CreateChainClientParameters {
  /** JSON-RPC URL (http or https); or pass `publicClient`. */
  readonly rpcUrl?: string | undefined;
  /** An existing viem PublicClient (e.g. Hardhat's in-process network); takes precedence over rpcUrl. */
  readonly publicClient?: PublicClient | undefined;
  /** Who signs: a viem LocalAccount or WalletClient, or an ethers v6 Signer. Omit for read-only use. */
  readonly signer?: SignerInput | undefined;
  /** The deployment; otherwise read with loadDeployment(chainId, { dir, file }). */
  readonly deployment?: Deployment | undefined;
  readonly deploymentsDir?: string | undefined;
  readonly deploymentFile?: string | undefined;
  readonly logger?: Logger | undefined;
  readonly retry?: RetryOptions | undefined;
  readonly pollingIntervalMs?: number | undefined;
  readonly confirmations?: TxSenderOptions['confirmations'];
  readonly gasHeadroomBps?: TxSenderOptions['gasHeadroomBps'];
  readonly receiptTimeoutMs?: TxSenderOptions['receiptTimeoutMs'];
  readonly feeBumpAfterMs?: TxSenderOptions['feeBumpAfterMs'];
  readonly maxFeeBumps?: TxSenderOptions['maxFeeBumps'];
  readonly signal?: AbortSignal | undefined;
}

/**
 * Connects to a chain: reads its id, loads and checks the deployment for it, and adapts the signer.
 * Throws ChainError CHAIN_MISMATCH when the deployment is for another chain, ConfigError when no
 * deployment can be read, KeyError for an unsupported signer.
 *
 * @example
 * ```ts
 * import { createChainClient, accountFromEnv } from 'veritrain/chain';
 * const client = await createChainClient({
 *   rpcUrl: 'http://127.0.0.1:8545',
 *   signer: accountFromEnv('VERITRAIN_PRIVATE_KEY'),
 *   signal: AbortSignal.timeout(30_000),
 * });
 * console.log(client.chainId, client.deployment.contracts.JobMarket.address);
 * ```
 */
export async function createChainClient(params: CreateChainClientParameters): Promise<ChainClient> {
  const pollingIntervalMs = params.pollingIntervalMs ?? 1_000;
  const retry = params.retry ?? {};
  let publicClient = params.publicClient;
  if (publicClient === undefined) {
    if (params.rpcUrl === undefined || params.rpcUrl === '') throw new ChainError('CHAIN_RPC_FAILED', 'no RPC: pass rpcUrl or publicClient');
    publicClient = createPublicClient({
      transport: retrying(http(params.rpcUrl, { retryCount: 0, timeout: 30_000 }), retry),
      pollingInterval: pollingIntervalMs,
    });
  }
  const pc = publicClient;
  const chainId = await withRetry(() => pc.getChainId(), { ...retry, signal: params.signal, action: 'eth_chainId' });
  const deployment = params.deployment ?? (await loadDeployment(chainId, { dir: params.deploymentsDir, file: params.deploymentFile, signal: params.signal }));
  if (deployment.chainId !== chainId) {
    throw new ChainError('CHAIN_MISMATCH', `the node is on chain ${chainId} but the deployment is for chain ${deployment.chainId}`, {
      details: { chainId, deploymentChainId: deployment.chainId },
    });
  }
  const logger = (params.logger ?? silentLogger).child({ chainId });
  const signer = params.signer === undefined ? undefined : await toChainSigner(params.signer);
  const sender =
    signer === undefined
      ? undefined
      : createTxSender({
          publicClient,
          signer,
          chainId,
          logger,
          retry,
          pollingIntervalMs,
          confirmations: params.confirmations,
          gasHeadroomBps: params.gasHeadroomBps,
          receiptTimeoutMs: params.receiptTimeoutMs,
          feeBumpAfterMs: params.feeBumpAfterMs,
          maxFeeBumps: params.maxFeeBumps,
        });
  return { chainId, publicClient, deployment, signer, sender, logger, retry, pollingIntervalMs };
}

/**
 * The RPC transport under the SDK's one retry policy (withRetry: transient failures, backoff with
 * jitter), so every read of every role is retried the same way. A raw transaction is not re-sent
 * here: the TxSender re-broadcasts on its own terms (fee bumps, nonce checks).
 */
function retrying(transport: Transport, retry: RetryOptions): Transport {
  return (config) => {
    const inner = transport(config);
    const request = ((args, options) =>
      args.method === 'eth_sendRawTransaction'
        ? inner.request(args, options)
        : withRetry(() => inner.request(args, options), { ...retry, action: args.method })) as typeof inner.request;
    return { ...inner, request };
  };
}

/** Narrows a client to one that can send; throws KeyError SIGNER_INVALID for a read-only client. */
export function requireWallet(client: ChainClient, action: string): WalletChainClient {
  if (client.signer === undefined || client.sender === undefined) {
    throw new KeyError('SIGNER_INVALID', `${action} sends a transaction: create the client with a signer`);
  }
  return client as WalletChainClient;
}

/** The market's address on the client's chain. */
export const marketAddress = (client: ChainClient): Address => client.deployment.contracts.JobMarket.address;
