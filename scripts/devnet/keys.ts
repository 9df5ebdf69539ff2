/**
 * Development keys of the devnet: the accounts Anvil (and Hardhat) fund from the well-known
 * development mnemonic. Never use them on a real chain. They travel to the child processes in
 * VERITRAIN_PRIVATE_KEY and are never printed.
 */
import { bytesToHex, type Hex } from 'viem';
import { ConfigError } from '../../sdk/errors.ts';
import { mnemonicToAccount } from 'viem/accounts';

export const DEV_MNEMONIC = 'test test test test test test test test test test test junk';

/** The development key at `index` (account #0 is the deployer). */
export function devKey(index: number): Hex {
  const key = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: index }).getHdKey().privateKey;
  if (key === null) throw new ConfigError(`no development key at index ${index}`);
  return bytesToHex(key);
}

/** Which development account plays which role in the demo. */
export const DEV_ROLES = { deployer: 0, submitter: 1, honest: 2, verifier: 3, cheater: 4 } as const;
