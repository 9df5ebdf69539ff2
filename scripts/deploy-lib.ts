/**
 * Deploys the Veritrain market (StakingVault + JobMarket, and a mintable TestToken on development
 * chains) over any viem client pair, and writes `deployments/<chainId>.json`.
 * Used by `scripts/deploy.ts` (any RPC URL, or the in-process Hardhat network) and by
 * `scripts/bench/gas.ts`.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Abi, Account, Address, Chain, Hex, PublicClient, Transport, WalletClient } from 'viem';
import { getAddress, isAddress } from 'viem';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Chain ids of local development nodes (Hardhat, Anvil, Ganache-style). Only these get a TestToken. */
export const DEV_CHAIN_IDS: ReadonlySet<number> = new Set([31337, 1337]);

/**
 * Economic parameters fixed at deployment. Reasons for each default are in docs/PROTOCOL.market.md.
 * Durations are in seconds; amounts in the stake token's smallest unit.
 */
export interface MarketParameters {
  /** Wait between `requestUnstake` and `withdrawStake`. */
  readonly unstakeDelay: number;
  /** Share (bps) of a dispute slash credited to the winning challenger. */
  readonly challengerBps: number;
  /** Share (bps) of a dispute slash credited to the submitter, on top of its refund. */
  readonly submitterBps: number;
  /** Share (bps) of an expiry slash credited to the submitter; the treasury gets the rest. */
  readonly expirySubmitterBps: number;
  /** Lower bound on a job's required solver stake. */
  readonly minSolverStake: bigint;
  /** Lower bound on a job's challenge window. */
  readonly minChallengeWindow: number;
}

const DAY = 86_400;

/** The defaults, in one place. */
export const DEFAULT_PARAMETERS: MarketParameters = {
  unstakeDelay: 7 * DAY,
  challengerBps: 5_000,
  submitterBps: 3_000,
  expirySubmitterBps: 5_000,
  minSolverStake: 10n ** 18n,
  minChallengeWindow: DAY,
};

export interface DeployedContract {
  readonly address: Address;
  readonly abi: Abi;
}

/** The content of `deployments/<chainId>.json`, which the SDK reads. */
export interface Deployment {
  readonly chainId: number;
  readonly contracts: Readonly<Record<'JobMarket' | 'StakingVault', DeployedContract>> &
    Readonly<Partial<Record<'TestToken', DeployedContract>>>;
  /** The mintable TestToken (stake and payment token) on development chains. */
  readonly token?: Address;
  readonly stakeToken: Address;
  readonly paymentTokens: readonly Address[];
  readonly treasury: Address;
  readonly owner: Address;
  readonly parameters: Omit<MarketParameters, 'minSolverStake'> & { readonly minSolverStake: string };
  /** Block of the first deployment transaction: indexers start reading logs here. */
  readonly deployedAt: number;
}

export interface DeployOptions {
  readonly publicClient: PublicClient;
  readonly walletClient: WalletClient<Transport, Chain | undefined, Account>;
  readonly parameters?: Partial<MarketParameters>;
  /** Stake token; required off development chains (there a TestToken is deployed when absent). */
  readonly stakeToken?: Address;
  /** Payment tokens allowed from the start; defaults to the stake token. */
  readonly paymentTokens?: readonly Address[];
  /** Receives protocol slash shares; defaults to the deployer. */
  readonly treasury?: Address;
  /** Owner of the market (token allowlist, dispute-game wiring); defaults to the deployer. */
  readonly owner?: Address;
  /** Progress lines go here (a CLI passes console.log). */
  readonly log?: (line: string) => void;
}

interface Artifact {
  readonly abi: Abi;
  readonly bytecode: Hex;
}

/** Reads a compiled contract from Hardhat's artifacts folder (run `hardhat build` first). */
export async function readArtifact(sourcePath: string, name: string): Promise<Artifact> {
  const file = path.join(ROOT, 'artifacts', sourcePath, `${name}.json`);
  const json = JSON.parse(await readFile(file, 'utf8')) as { abi?: Abi; bytecode?: Hex };
  if (json.abi === undefined || json.bytecode === undefined || json.bytecode === '0x') {
    throw new Error(`artifact ${file} has no abi or bytecode; run \`hardhat build\``);
  }
  return { abi: json.abi, bytecode: json.bytecode };
}

export async function deploy(options: DeployOptions): Promise<Deployment> {
  const { publicClient, walletClient } = options;
  const log = options.log ?? (() => undefined);
  const params: MarketParameters = { ...DEFAULT_PARAMETERS, ...options.parameters };
  const deployer = walletClient.account.address;
  const chainId = await publicClient.getChainId();
  const isDev = DEV_CHAIN_IDS.has(chainId);
  const startBlock = Number(await publicClient.getBlockNumber()) + 1;

  const send = async (label: string, artifact: Artifact, args: readonly unknown[]): Promise<Address> => {
    const hash = await walletClient.deployContract({
      abi: artifact.abi,
      bytecode: artifact.bytecode,
      args,
      account: walletClient.account,
      chain: walletClient.chain,
    });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== 'success' || receipt.contractAddress == null) {
      throw new Error(`deploying ${label} failed in transaction ${hash}`);
    }
    const address = getAddress(receipt.contractAddress);
    log(`deployed ${label} at ${address} (gas ${receipt.gasUsed})`);
    return address;
  };

  const contracts: Record<string, DeployedContract> = {};
  let stakeToken = options.stakeToken;
  let token: Address | undefined;
  if (stakeToken === undefined) {
    if (!isDev) throw new Error(`chain ${chainId} is not a development chain: pass a stake token`);
    const art = await readArtifact('contracts/dev/TestToken.sol', 'TestToken');
    token = await send('TestToken', art, ['Veritrain Test Token', 'VTT', 18]);
    contracts.TestToken = { address: token, abi: art.abi };
    stakeToken = token;
  }
  const paymentTokens = (options.paymentTokens ?? [stakeToken]).map(checkedAddress);
  const treasury = checkedAddress(options.treasury ?? deployer);
  const owner = checkedAddress(options.owner ?? deployer);

  const vaultArt = await readArtifact('contracts/StakingVault.sol', 'StakingVault');
  const vault = await send('StakingVault', vaultArt, [stakeToken, params.unstakeDelay]);
  const marketArt = await readArtifact('contracts/JobMarket.sol', 'JobMarket');
  const market = await send('JobMarket', marketArt, [
    vault,
    {
      treasury,
      challengerBps: params.challengerBps,
      submitterBps: params.submitterBps,
      expirySubmitterBps: params.expirySubmitterBps,
      minSolverStake: params.minSolverStake,
      minChallengeWindow: params.minChallengeWindow,
    },
    paymentTokens,
    owner,
  ]);
  const wireHash = await walletClient.writeContract({
    address: vault,
    abi: vaultArt.abi,
    functionName: 'setMarket',
    args: [market],
    account: walletClient.account,
    chain: walletClient.chain,
  });
  const wire = await publicClient.waitForTransactionReceipt({ hash: wireHash });
  if (wire.status !== 'success') throw new Error(`StakingVault.setMarket failed in transaction ${wireHash}`);
  log(`wired StakingVault.market = ${market}`);

  contracts.StakingVault = { address: vault, abi: vaultArt.abi };
  contracts.JobMarket = { address: market, abi: marketArt.abi };
  return {
    chainId,
    contracts: contracts as Deployment['contracts'],
    ...(token === undefined ? {} : { token }),
    stakeToken: checkedAddress(stakeToken),
    paymentTokens,
    treasury,
    owner,
    parameters: { ...params, minSolverStake: params.minSolverStake.toString() },
    deployedAt: startBlock,
  };
}

/** Writes `<dir>/<chainId>.json` and returns its path. */
export async function writeDeployment(deployment: Deployment, dir = path.join(ROOT, 'deployments')): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${deployment.chainId}.json`);
  await writeFile(file, `${JSON.stringify(deployment, null, 2)}\n`);
  return file;
}

function checkedAddress(value: string): Address {
  if (!isAddress(value)) throw new Error(`not an address: ${value}`);
  return getAddress(value);
}
