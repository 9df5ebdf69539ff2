import { createRequire } from 'node:module';
import hardhatNodeTestRunner from '@nomicfoundation/hardhat-node-test-runner';
import hardhatViem from '@nomicfoundation/hardhat-viem';
import { defineConfig } from 'hardhat/config';

// Hardhat downloads compilers from the internet; these machines have none. The `solc` npm
// package ships the same compiler as wasm, pinned to SOLC_VERSION in package.json.
const SOLC_VERSION = '0.8.28';
const solcPath = createRequire(import.meta.url).resolve('solc/soljson.js');
// storageLayout feeds the committed layout snapshot (scripts/snapshots.ts); it does not change the bytecode.
const settings = (runs: number) => ({
  optimizer: { enabled: true, runs },
  viaIR: true,
  evmVersion: 'prague',
  outputSelection: { '*': { '*': ['storageLayout'] } },
});

export default defineConfig({
  plugins: [hardhatViem, hardhatNodeTestRunner],
  solidity: {
    compilers: [{ version: SOLC_VERSION, path: solcPath, settings: settings(10_000) }],
    // The judge carries the whole op-check library and the game every move (with the claim game
    // of long reductions and the AdamW opening): optimise both for size to stay under the
    // 24 KiB code limit (the game at runs = 1; its gas is paid once per dispute).
    overrides: {
      'contracts/ElementJudge.sol': { version: SOLC_VERSION, path: solcPath, settings: settings(200) },
      'contracts/DisputeGame.sol': { version: SOLC_VERSION, path: solcPath, settings: settings(1) },
    },
  },
  paths: {
    sources: 'contracts',
    tests: { solidity: 'contracts/test', nodejs: 'test' },
  },
  networks: {
    default: { type: 'edr-simulated', chainType: 'l1', hardfork: 'prague' },
  },
});
