/**
 * One signer interface over the wallets a user may bring: a viem LocalAccount (private key,
 * keystore), a viem WalletClient (local or JSON-RPC account, e.g. a node's unlocked accounts), or an
 * ethers v6 Signer (a Wallet signs offline; a JsonRpcSigner sends through its node). The
 * transaction sender (sdk/chain/sender.ts) fills nonce, gas and fees itself and then either signs
 * and broadcasts, or hands the complete transaction to a wallet that only sends.
 */
import type { Address, Chain, Hex, LocalAccount, Transport, WalletClient, Account } from 'viem';
import { getAddress } from 'viem';
import { KeyError } from '../errors.ts';

/** A transaction with everything filled in (the sender's job). */
export interface PreparedTransaction {
  readonly chainId: number;
  readonly to: Address;
  readonly data: Hex;
  readonly value: bigint;
  readonly nonce: number;
  readonly gas: bigint;
  /** EIP-1559 fees; absent on chains without them (then gasPrice is set). */
  readonly maxFeePerGas?: bigint | undefined;
  readonly maxPriorityFeePerGas?: bigint | undefined;
  readonly gasPrice?: bigint | undefined;
}

export interface ChainSigner {
  readonly address: Address;
  readonly kind: 'local' | 'json-rpc' | 'ethers';
  /** Signs a prepared transaction into its raw serialised form; undefined for wallets that only send. */
  readonly signTransaction: ((tx: PreparedTransaction) => Promise<Hex>) | undefined;
  /** Sends a prepared transaction through the wallet; returns its hash. Used when signTransaction is undefined. */
  readonly sendTransaction: ((tx: PreparedTransaction) => Promise<Hex>) | undefined;
  /** EIP-191 personal signature. */
  signMessage(message: string | { raw: Hex | Uint8Array }): Promise<Hex>;
}

/** The part of an ethers v6 Signer this adapter uses (ethers' Wallet and JsonRpcSigner both fit). */
export interface EthersSignerLike {
  getAddress(): Promise<string>;
  signTransaction(tx: EthersTransactionRequest): Promise<string>;
  signMessage(message: string | Uint8Array): Promise<string>;
  /** Present on ethers' JsonRpcSigner: sends without waiting for the node to index the transaction. */
  sendUncheckedTransaction?(tx: EthersTransactionRequest): Promise<string>;
}

/** The fields of an ethers TransactionRequest the adapter sets. */
export interface EthersTransactionRequest {
  type: number;
  to: string;
  from: string;
  data: string;
  value: bigint;
  nonce: number;
  gasLimit: bigint;
  chainId: bigint;
  maxFeePerGas?: bigint;
  maxPriorityFeePerGas?: bigint;
  gasPrice?: bigint;
}

/** Anything `toChainSigner` accepts. */
export type SignerInput = ChainSigner | LocalAccount | WalletClient<Transport, Chain | undefined, Account> | EthersSignerLike;

function viemTx(tx: PreparedTransaction) {
  const common = { chainId: tx.chainId, to: tx.to, data: tx.data, value: tx.value, nonce: tx.nonce, gas: tx.gas };
  return tx.maxFeePerGas !== undefined
    ? { ...common, type: 'eip1559' as const, maxFeePerGas: tx.maxFeePerGas, maxPriorityFeePerGas: tx.maxPriorityFeePerGas ?? 0n }
    : { ...common, type: 'legacy' as const, gasPrice: tx.gasPrice ?? 0n };
}

function ethersTx(tx: PreparedTransaction, from: Address): EthersTransactionRequest {
  const common = { to: tx.to, from, data: tx.data, value: tx.value, nonce: tx.nonce, gasLimit: tx.gas, chainId: BigInt(tx.chainId) };
  return tx.maxFeePerGas !== undefined
    ? { ...common, type: 2, maxFeePerGas: tx.maxFeePerGas, maxPriorityFeePerGas: tx.maxPriorityFeePerGas ?? 0n }
    : { ...common, type: 0, gasPrice: tx.gasPrice ?? 0n };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** A viem LocalAccount as a ChainSigner. */
export function fromLocalAccount(account: LocalAccount): ChainSigner {
  return {
    address: account.address,
    kind: 'local',
    signTransaction: (tx) => account.signTransaction(viemTx(tx)),
    sendTransaction: undefined,
    signMessage: (message) => account.signMessage({ message }),
  };
}

/** A viem WalletClient as a ChainSigner (its local account signs; a JSON-RPC account sends through the node). */
export function fromWalletClient(wallet: WalletClient<Transport, Chain | undefined, Account>): ChainSigner {
  const account = wallet.account;
  if (account.type === 'local') return fromLocalAccount(account);
  return {
    address: getAddress(account.address),
    kind: 'json-rpc',
    signTransaction: undefined,
    sendTransaction: (tx) => {
      const fees =
        tx.maxFeePerGas !== undefined
          ? { maxFeePerGas: tx.maxFeePerGas, maxPriorityFeePerGas: tx.maxPriorityFeePerGas ?? 0n }
          : { gasPrice: tx.gasPrice ?? 0n };
      return wallet.sendTransaction({ account, chain: null, to: tx.to, data: tx.data, value: tx.value, nonce: tx.nonce, gas: tx.gas, ...fees });
    },
    signMessage: (message) => wallet.signMessage({ account, message }),
  };
}

/** An ethers v6 Signer as a ChainSigner: a Wallet signs offline, a JsonRpcSigner sends through its node. */
export async function fromEthersSigner(signer: EthersSignerLike): Promise<ChainSigner> {
  const address = getAddress(await signer.getAddress());
  const sendUnchecked = signer.sendUncheckedTransaction?.bind(signer);
  return {
    address,
    kind: 'ethers',
    signTransaction: sendUnchecked === undefined ? async (tx) => (await signer.signTransaction(ethersTx(tx, address))) as Hex : undefined,
    sendTransaction: sendUnchecked === undefined ? undefined : async (tx) => (await sendUnchecked(ethersTx(tx, address))) as Hex,
    signMessage: async (message) =>
      (await signer.signMessage(
        typeof message === 'string' ? message : typeof message.raw === 'string' ? Buffer.from(message.raw.slice(2), 'hex') : message.raw,
      )) as Hex,
  };
}

/**
 * Adapts any supported signer. Throws KeyError SIGNER_INVALID for anything else.
 *
 * @example
 * ```ts
 * const signer = await toChainSigner(privateKeyToAccount(key));        // viem
 * const signer2 = await toChainSigner(new ethers.Wallet(key));          // ethers v6
 * ```
 */
export async function toChainSigner(input: SignerInput): Promise<ChainSigner> {
  const o: unknown = input;
  if (!isObject(o)) throw new KeyError('SIGNER_INVALID', 'a signer must be a viem account or wallet client, or an ethers Signer');
  if ((o.kind === 'local' || o.kind === 'json-rpc' || o.kind === 'ethers') && typeof o.signMessage === 'function' && 'sendTransaction' in o)
    return input as ChainSigner;
  if (o.type === 'local' && typeof o.signTransaction === 'function') return fromLocalAccount(input as LocalAccount);
  if (o.type === 'walletClient' || (typeof o.sendTransaction === 'function' && typeof o.getAddresses === 'function')) {
    if (!isObject(o.account)) throw new KeyError('SIGNER_INVALID', 'the viem WalletClient has no account; create it with `account`');
    return fromWalletClient(input as WalletClient<Transport, Chain | undefined, Account>);
  }
  if (typeof o.getAddress === 'function' && typeof o.signTransaction === 'function') return fromEthersSigner(input as EthersSignerLike);
  throw new KeyError('SIGNER_INVALID', 'unsupported signer: pass a viem LocalAccount or WalletClient, or an ethers v6 Signer');
}
