/**
 * Deploys Veritrain (StakingVault, JobMarket, ElementJudge, DisputeGame, and a mintable TestToken on development
 * chains) over any viem client pair, and writes `deployments/<chainId>.json`, which
 * `loadDeployment` (sdk/chain/deployment.ts) reads back. `scripts/deploy.ts` is the CLI over it;
 * `scripts/bench/gas.ts` and the integration tests call it directly.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Abi, Account, Address, Chain, Hex, PublicClient, Transport, WalletClient } from 'viem';
import { getAddress, isAddress } from 'viem';
import { ChainError, ConfigError } from '../errors.ts';
import { DEFAULT_DEPLOYMENTS_DIR, type DeployedContract, type Deployment, type MarketParameters } from './deployment.ts';

export type { DeployedContract, Deployment, MarketParameters } from './deployment.ts';

/** Hardhat's artifacts folder at the repository root (`hardhat build` writes it). */
export const DEFAULT_ARTIFACTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'artifacts');

/** Chain ids of local development nodes (Hardhat, Anvil, Ganache-style). Only these get a TestToken. */
export const DEV_CHAIN_IDS: ReadonlySet<number> = new Set([31337, 1337]);

const DAY = 86_400;

/** The defaults, in one place. */
export const DEFAULT_PARAMETERS: MarketParameters = {
  unstakeDelay: 7 * DAY,
  challengerBps: 5_000,
  submitterBps: 3_000,
  expirySubmitterBps: 5_000,
  minSolverStake: 10n ** 18n,
  minChallengeWindow: DAY,
  challengeBond: 10n ** 18n,
  clockBudget: DAY,
};

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
  /** Where the compiled contracts are; defaults to DEFAULT_ARTIFACTS_DIR. */
  readonly artifactsDir?: string;
}

interface Artifact {
  readonly abi: Abi;
  readonly bytecode: Hex;
}

/** Reads a compiled contract from Hardhat's artifacts folder (run `hardhat build` first). */
export async function readArtifact(sourcePath: string, name: string, artifactsDir = DEFAULT_ARTIFACTS_DIR): Promise<Artifact> {
  const file = path.join(artifactsDir, sourcePath, `${name}.json`);
  const json = JSON.parse(await readFile(file, 'utf8')) as { abi?: Abi; bytecode?: Hex };
  if (json.abi === undefined || json.bytecode === undefined || json.bytecode === '0x') {
    throw new ConfigError(`artifact ${file} has no abi or bytecode; run \`hardhat build\``, { details: { file } });
  }
  return { abi: json.abi, bytecode: json.bytecode };
}

/**
 * Deploys and wires the market; returns what `writeDeployment` stores.
 *
 * @example
 * ```ts
 * const deployment = await deploy({ publicClient, walletClient });
 * await writeDeployment(deployment);
 * ```
 */
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
      throw new ChainError('CHAIN_REVERTED', `deploying ${label} failed in transaction ${hash}`, { txHash: hash });
    }
    const address = getAddress(receipt.contractAddress);
    log(`deployed ${label} at ${address} (gas ${receipt.gasUsed})`);
    return address;
  };

  const contracts: { TestToken?: DeployedContract } = {};
  let stakeToken = options.stakeToken;
  let token: Address | undefined;
  if (stakeToken === undefined) {
    if (!isDev) throw new ConfigError(`chain ${chainId} is not a development chain: pass a stake token`, { details: { chainId } });
    const art = await readArtifact('contracts/dev/TestToken.sol', 'TestToken', options.artifactsDir);
    token = await send('TestToken', art, ['Veritrain Test Token', 'VTT', 18]);
    contracts.TestToken = { address: token, abi: art.abi };
    stakeToken = token;
  }
  const paymentTokens = (options.paymentTokens ?? [stakeToken]).map(checkedAddress);
  const treasury = checkedAddress(options.treasury ?? deployer);
  const owner = checkedAddress(options.owner ?? deployer);

  const vaultArt = await readArtifact('contracts/StakingVault.sol', 'StakingVault', options.artifactsDir);
  const vault = await send('StakingVault', vaultArt, [stakeToken, params.unstakeDelay]);
  const marketArt = await readArtifact('contracts/JobMarket.sol', 'JobMarket', options.artifactsDir);
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
  if (wire.status !== 'success') throw new ChainError('CHAIN_REVERTED', `StakingVault.setMarket failed in transaction ${wireHash}`, { txHash: wireHash });
  log(`wired StakingVault.market = ${market}`);

  // The element judge forwards long reductions and the spec-v2 relayout kinds to two sub-judges
  // and names the spec reader the game decodes specs with (code size limits).
  const reductionArt = await readArtifact('contracts/ReductionJudge.sol', 'ReductionJudge', options.artifactsDir);
  const reductions = await send('ReductionJudge', reductionArt, []);
  const relayoutArt = await readArtifact('contracts/RelayoutJudge.sol', 'RelayoutJudge', options.artifactsDir);
  const relayouts = await send('RelayoutJudge', relayoutArt, []);
  const judgeArt = await readArtifact('contracts/ElementJudge.sol', 'ElementJudge', options.artifactsDir);
  const specArt = await readArtifact('contracts/SpecReader.sol', 'SpecReader', options.artifactsDir);
  const specs = await send('SpecReader', specArt, []);
  const judge = await send('ElementJudge', judgeArt, [reductions, relayouts, specs]);
  const gameArt = await readArtifact('contracts/DisputeGame.sol', 'DisputeGame', options.artifactsDir);
  const game = await send('DisputeGame', gameArt, [market, judge, stakeToken, params.challengeBond, params.clockBudget]);
  if (checkedAddress(owner) === checkedAddress(deployer)) {
    const gameHash = await walletClient.writeContract({
      address: market,
      abi: marketArt.abi,
      functionName: 'setDisputeGame',
      args: [game],
      account: walletClient.account,
      chain: walletClient.chain,
    });
    const wired = await publicClient.waitForTransactionReceipt({ hash: gameHash });
    if (wired.status !== 'success') throw new ChainError('CHAIN_REVERTED', `JobMarket.setDisputeGame failed in transaction ${gameHash}`, { txHash: gameHash });
    log(`wired JobMarket.disputeGame = ${game}`);
  } else {
    log(`the market's owner ${owner} must call JobMarket.setDisputeGame(${game})`);
  }

  return {
    chainId,
    contracts: {
      JobMarket: { address: market, abi: marketArt.abi },
      StakingVault: { address: vault, abi: vaultArt.abi },
      DisputeGame: { address: game, abi: gameArt.abi },
      ElementJudge: { address: judge, abi: judgeArt.abi },
      ...contracts,
    },
    ...(token === undefined ? {} : { token }),
    stakeToken: checkedAddress(stakeToken),
    paymentTokens,
    treasury,
    owner,
    parameters: params,
    deployedAt: startBlock,
  };
}

/** Writes `<dir>/<chainId>.json` and returns its path. */
export async function writeDeployment(deployment: Deployment, dir = DEFAULT_DEPLOYMENTS_DIR): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${deployment.chainId}.json`);
  const json = JSON.stringify(deployment, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value), 2);
  await writeFile(file, `${json}\n`);
  return file;
}

function checkedAddress(value: string): Address {
  if (!isAddress(value)) throw new ConfigError(`not an address: ${value}`, { details: { value } });
  return getAddress(value);
}
