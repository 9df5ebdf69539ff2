/**
 * Deployed addresses per chain: `deployments/<chainId>.json`, written by `deploy` (sdk/chain/deploy.ts,
 * `npm run deploy`) and read here, schema-validated, by every role.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Abi, Address } from 'viem';
import { getAddress, isAddress } from 'viem';
import * as z from 'zod';
import { ConfigError } from '../errors.ts';

/** `deployments/` at the repository root; override with `dir` or the VERITRAIN_DEPLOYMENTS env variable. */
export const DEFAULT_DEPLOYMENTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'deployments');

/** Economic parameters fixed at deployment (docs/PROTOCOL.md §6.5). Durations in seconds, amounts in token units. */
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
  /** Bond a challenger posts in the stake token (docs/PROTOCOL.md §6.9). */
  readonly challengeBond: bigint;
  /** Seconds each side of a dispute may spend on its moves. */
  readonly clockBudget: number;
}

export interface DeployedContract {
  readonly address: Address;
  /** The ABI at deployment time; the SDK itself uses the generated sdk/abi. */
  readonly abi?: Abi | undefined;
}

/** A validated `deployments/<chainId>.json`. */
export interface Deployment {
  readonly chainId: number;
  readonly contracts: {
    readonly JobMarket: DeployedContract;
    readonly StakingVault: DeployedContract;
    readonly DisputeGame: DeployedContract;
    readonly ElementJudge: DeployedContract;
    readonly TestToken?: DeployedContract | undefined;
  };
  /** The mintable TestToken (stake and payment token) on development chains. */
  readonly token?: Address | undefined;
  readonly stakeToken: Address;
  readonly paymentTokens: readonly Address[];
  readonly treasury: Address;
  readonly owner: Address;
  readonly parameters: MarketParameters;
  /** Block of the first deployment transaction: log scans start here. */
  readonly deployedAt: number;
}

const address = z
  .string()
  .refine((s) => isAddress(s, { strict: false }), 'must be a 20-byte 0x address')
  .transform((s) => getAddress(s));
const contract = z.object({ address, abi: z.array(z.looseObject({ type: z.string() })).optional() });
const uint = z.number().int().nonnegative();
const bps = z.number().int().min(0).max(10_000);

const deploymentSchema = z.object({
  chainId: z.number().int().positive(),
  contracts: z.object({ JobMarket: contract, StakingVault: contract, DisputeGame: contract, ElementJudge: contract, TestToken: contract.optional() }),
  token: address.optional(),
  stakeToken: address,
  paymentTokens: z.array(address),
  treasury: address,
  owner: address,
  parameters: z.object({
    unstakeDelay: uint,
    challengerBps: bps,
    submitterBps: bps,
    expirySubmitterBps: bps,
    minSolverStake: z.union([z.string().regex(/^\d+$/, 'must be a decimal integer'), z.number().int().nonnegative()]).transform((v) => BigInt(v)),
    minChallengeWindow: uint,
    challengeBond: z.union([z.string().regex(/^\d+$/, 'must be a decimal integer'), z.number().int().nonnegative()]).transform((v) => BigInt(v)),
    clockBudget: uint,
  }),
  deployedAt: uint,
});

/**
 * Validates a parsed deployment object. `source` names it in errors.
 *
 * @example
 * ```ts
 * const deployment = parseDeployment(JSON.parse(text), 'deployments/31337.json');
 * ```
 */
export function parseDeployment(value: unknown, source = 'deployment'): Deployment {
  const result = deploymentSchema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`${source} is not a valid deployment: ${issues.join('; ')}`, { details: { source, issues } });
  }
  const d = result.data;
  return {
    ...d,
    contracts: {
      JobMarket: { address: d.contracts.JobMarket.address, abi: d.contracts.JobMarket.abi as Abi | undefined },
      StakingVault: { address: d.contracts.StakingVault.address, abi: d.contracts.StakingVault.abi as Abi | undefined },
      DisputeGame: { address: d.contracts.DisputeGame.address, abi: d.contracts.DisputeGame.abi as Abi | undefined },
      ElementJudge: { address: d.contracts.ElementJudge.address, abi: d.contracts.ElementJudge.abi as Abi | undefined },
      ...(d.contracts.TestToken === undefined
        ? {}
        : { TestToken: { address: d.contracts.TestToken.address, abi: d.contracts.TestToken.abi as Abi | undefined } }),
    },
  };
}

export interface LoadDeploymentOptions {
  /** Directory holding `<chainId>.json`; defaults to $VERITRAIN_DEPLOYMENTS, then DEFAULT_DEPLOYMENTS_DIR. */
  readonly dir?: string | undefined;
  /** A file to read instead of `<dir>/<chainId>.json` (its chainId must still match). */
  readonly file?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Reads and validates `deployments/<chainId>.json`.
 * Throws ConfigError when the file is missing, not JSON, off-schema or for another chain.
 *
 * @example
 * ```ts
 * import { loadDeployment } from 'veritrain/chain';
 * const { contracts } = await loadDeployment(31337);
 * console.log(contracts.JobMarket.address);
 * ```
 */
export async function loadDeployment(chainId: number, options: LoadDeploymentOptions = {}): Promise<Deployment> {
  const dir =
    options.dir ??
    (process.env.VERITRAIN_DEPLOYMENTS !== undefined && process.env.VERITRAIN_DEPLOYMENTS !== '' ? process.env.VERITRAIN_DEPLOYMENTS : DEFAULT_DEPLOYMENTS_DIR);
  const file = options.file ?? path.join(dir, `${chainId}.json`);
  let text: string;
  try {
    text = await readFile(file, { encoding: 'utf8', ...(options.signal === undefined ? {} : { signal: options.signal }) });
  } catch (err) {
    options.signal?.throwIfAborted();
    const missing = (err as { code?: unknown }).code === 'ENOENT';
    throw new ConfigError(
      missing ? `no deployment for chain ${chainId}: ${file} does not exist (deploy with \`npm run deploy\`, or pass the file)` : `cannot read ${file}`,
      { details: { chainId, file }, cause: err },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file} is not JSON`, { details: { file }, cause: err });
  }
  const deployment = parseDeployment(json, file);
  if (deployment.chainId !== chainId) {
    throw new ConfigError(`${file} is a deployment for chain ${deployment.chainId}, not ${chainId}`, {
      details: { file, chainId, fileChainId: deployment.chainId },
    });
  }
  return deployment;
}
