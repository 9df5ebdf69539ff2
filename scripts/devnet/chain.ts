/**
 * The devnet's chain: a fresh Anvil with the whole market deployed with short devnet parameters
 * (or an external JSON-RPC, deployed to or with an existing deployment), the deployment written
 * into the run's own deployments directory (never the repository's), and the development accounts
 * funded with the TestToken.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createPublicClient, createWalletClient, defineChain, http, parseEther, type Address, type Chain, type Hex, type PublicClient } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { deploy, writeDeployment } from '../../sdk/chain/deploy.ts';
import { loadDeployment, type Deployment, type MarketParameters } from '../../sdk/chain/deployment.ts';
import { testTokenAbi } from '../../sdk/abi/index.ts';
import { ConfigError } from '../../sdk/errors.ts';
import { startAnvil, startHeartbeat, type AnvilNode } from './anvil.ts';

/** Devnet parameters: minutes, not days (docs/PROTOCOL.md §6.5 has the production ones). */
export const DEVNET_PARAMETERS: Partial<MarketParameters> = {
  unstakeDelay: 60,
  minChallengeWindow: 20,
  clockBudget: 60,
  challengeBond: parseEther('1'),
  minSolverStake: parseEther('1'),
};

export interface DevnetChainOptions {
  /** Where `deployments/<chainId>.json` is written. */
  readonly runDir: string;
  /** An external JSON-RPC; default: a fresh Anvil on a free port. */
  readonly rpcUrl?: string | undefined;
  /** Deploys with this key (the external chain's deployer, or Anvil's account #0). */
  readonly deployerKey?: Hex | undefined;
  /** Use this deployment instead of deploying (external chains). */
  readonly deploymentFile?: string | undefined;
  readonly parameters?: Partial<MarketParameters> | undefined;
  /** Accounts minted `fundAmount` TestTokens (development deployments only). */
  readonly fund?: readonly Address[] | undefined;
  readonly fundAmount?: bigint | undefined;
  /** Funded accounts Anvil derives from the development mnemonic. */
  readonly accounts?: number | undefined;
  readonly log?: ((line: string) => void) | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface DevnetChain {
  readonly rpcUrl: string;
  readonly chainId: number;
  readonly chain: Chain;
  readonly publicClient: PublicClient;
  readonly deployment: Deployment;
  readonly deploymentsDir: string;
  /** The first block of this run (gas and events are counted from it). */
  readonly startBlock: bigint;
  /** The local Anvil, when the devnet started one. */
  readonly anvil: AnvilNode | undefined;
  stop(): Promise<void>;
}

export async function startDevnetChain(options: DevnetChainOptions): Promise<DevnetChain> {
  const log = options.log ?? (() => undefined);
  const anvil = options.rpcUrl === undefined ? await startAnvil({ accounts: options.accounts, signal: options.signal }) : undefined;
  const stopHeartbeat = anvil === undefined ? () => undefined : startHeartbeat(anvil.url);
  try {
    const rpcUrl = anvil?.url ?? options.rpcUrl ?? '';
    const probe = createPublicClient({ transport: http(rpcUrl) });
    const chainId = await probe.getChainId();
    const chain = defineChain({
      id: chainId,
      name: `veritrain-devnet-${chainId}`,
      nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
      rpcUrls: { default: { http: [rpcUrl] } },
    });
    const publicClient = createPublicClient({ chain, transport: http(rpcUrl), pollingInterval: 100 });
    const startBlock = await publicClient.getBlockNumber();
    const deploymentsDir = path.join(options.runDir, 'deployments');
    await mkdir(deploymentsDir, { recursive: true });
    const walletClient =
      options.deployerKey === undefined ? undefined : createWalletClient({ chain, transport: http(rpcUrl), account: privateKeyToAccount(options.deployerKey) });
    let deployment: Deployment;
    if (options.deploymentFile !== undefined) {
      deployment = await loadDeployment(chainId, { file: options.deploymentFile, signal: options.signal });
      await copyFile(options.deploymentFile, path.join(deploymentsDir, `${chainId}.json`));
      log(`using the deployment in ${options.deploymentFile}: market ${deployment.contracts.JobMarket.address}`);
    } else {
      if (walletClient === undefined) throw new ConfigError('an external chain needs a deployer key (DEPLOYER_PRIVATE_KEY) or an existing deployment file');
      deployment = await deploy({ publicClient, walletClient, parameters: options.parameters ?? DEVNET_PARAMETERS, log });
      await writeDeployment(deployment, deploymentsDir);
    }
    // Development deployments have a mintable TestToken: every role gets tokens to pay, stake and bond with.
    const token = deployment.token;
    if (token !== undefined && walletClient !== undefined) {
      for (const to of options.fund ?? []) {
        const hash = await walletClient.writeContract({
          address: token,
          abi: testTokenAbi,
          functionName: 'mint',
          args: [to, options.fundAmount ?? parseEther('1000')],
        });
        await publicClient.waitForTransactionReceipt({ hash });
      }
    }
    return {
      rpcUrl,
      chainId,
      chain,
      publicClient,
      deployment,
      deploymentsDir,
      startBlock,
      anvil,
      async stop() {
        stopHeartbeat();
        await anvil?.stop();
      },
    };
  } catch (err) {
    stopHeartbeat();
    await anvil?.stop();
    throw err;
  }
}
