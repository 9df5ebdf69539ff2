/**
 * Deploys the Veritrain market and writes `deployments/<chainId>.json`.
 *
 *   Any RPC (Anvil, a testnet, an L2):
 *     RPC_URL=http://127.0.0.1:8545 DEPLOYER_PRIVATE_KEY=0x... node scripts/deploy.ts
 *   In-process Hardhat network (the file is written; the chain lives as long as the process):
 *     hardhat run scripts/deploy.ts
 *
 * Optional env: STAKE_TOKEN, PAYMENT_TOKENS (comma-separated), TREASURY, OWNER, and parameter
 * overrides UNSTAKE_DELAY, CHALLENGER_BPS, SUBMITTER_BPS, EXPIRY_SUBMITTER_BPS, MIN_SOLVER_STAKE,
 * MIN_CHALLENGE_WINDOW, CHALLENGE_BOND, CLOCK_BUDGET. Off development chains (31337, 1337) STAKE_TOKEN is required; on them a
 * mintable TestToken is deployed when it is absent.
 */
import type { Account, Address, Chain, PublicClient, Transport, WalletClient } from 'viem';
import { createPublicClient, createWalletClient, defineChain, http, isAddress, isHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { MarketParameters } from '../sdk/chain/deploy.ts';
import { deploy, writeDeployment } from '../sdk/chain/deploy.ts';

interface Clients {
  readonly publicClient: PublicClient;
  readonly walletClient: WalletClient<Transport, Chain | undefined, Account>;
}

function envAddress(name: string): Address | undefined {
  const value = process.env[name];
  if (value === undefined || value === '') return undefined;
  if (!isAddress(value)) throw new Error(`${name} is not an address: ${value}`);
  return value;
}

function envNumber(name: string): number | undefined {
  const value = process.env[name];
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer`);
  return n;
}

function parameterOverrides(): Partial<MarketParameters> {
  const out: { -readonly [K in keyof MarketParameters]?: MarketParameters[K] } = {};
  const set = (key: Exclude<keyof MarketParameters, 'minSolverStake' | 'challengeBond'>, env: string): void => {
    const v = envNumber(env);
    if (v !== undefined) out[key] = v;
  };
  set('unstakeDelay', 'UNSTAKE_DELAY');
  set('challengerBps', 'CHALLENGER_BPS');
  set('submitterBps', 'SUBMITTER_BPS');
  set('expirySubmitterBps', 'EXPIRY_SUBMITTER_BPS');
  set('minChallengeWindow', 'MIN_CHALLENGE_WINDOW');
  set('clockBudget', 'CLOCK_BUDGET');
  const stake = process.env.MIN_SOLVER_STAKE;
  if (stake !== undefined && stake !== '') out.minSolverStake = BigInt(stake);
  const bond = process.env.CHALLENGE_BOND;
  if (bond !== undefined && bond !== '') out.challengeBond = BigInt(bond);
  return out;
}

async function rpcClients(url: string): Promise<Clients> {
  const key = process.env.DEPLOYER_PRIVATE_KEY;
  if (key === undefined || !isHex(key) || key.length !== 66) {
    throw new Error('DEPLOYER_PRIVATE_KEY (0x + 64 hex digits) is required with RPC_URL');
  }
  const probe = createPublicClient({ transport: http(url) });
  const id = await probe.getChainId();
  const chain = defineChain({
    id,
    name: `chain-${id}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [url] } },
  });
  const account = privateKeyToAccount(key);
  return {
    publicClient: createPublicClient({ chain, transport: http(url) }),
    walletClient: createWalletClient({ account, chain, transport: http(url) }),
  };
}

async function hardhatClients(): Promise<Clients> {
  const { network } = await import('hardhat');
  const { viem } = await network.create();
  const [walletClient] = await viem.getWalletClients();
  if (walletClient === undefined) throw new Error('the in-process network has no accounts');
  return { publicClient: await viem.getPublicClient(), walletClient };
}

const url = process.env.RPC_URL;
const clients = url !== undefined && url !== '' ? await rpcClients(url) : await hardhatClients();
const paymentTokens = process.env.PAYMENT_TOKENS?.split(',')
  .map((s) => s.trim())
  .filter((s) => s !== '')
  .map((s) => {
    if (!isAddress(s)) throw new Error(`PAYMENT_TOKENS holds a non-address: ${s}`);
    return s;
  });
const stakeToken = envAddress('STAKE_TOKEN');
const treasury = envAddress('TREASURY');
const owner = envAddress('OWNER');
const deployment = await deploy({
  ...clients,
  parameters: parameterOverrides(),
  ...(stakeToken === undefined ? {} : { stakeToken }),
  ...(paymentTokens === undefined ? {} : { paymentTokens }),
  ...(treasury === undefined ? {} : { treasury }),
  ...(owner === undefined ? {} : { owner }),
  log: (line) => {
    console.log(line);
  },
});
const file = await writeDeployment(deployment);
console.log(`wrote ${file} (chain ${deployment.chainId}, from block ${deployment.deployedAt})`);
