import { createRequire } from 'node:module';
import hardhatNodeTestRunner from '@nomicfoundation/hardhat-node-test-runner';
import hardhatViem from '@nomicfoundation/hardhat-viem';
import { defineConfig } from 'hardhat/config';

// Hardhat downloads compilers from the internet; these machines have none. The `solc` npm
// package ships the same compiler as wasm, pinned to SOLC_VERSION in package.json.
const SOLC_VERSION = '0.8.28';
const solcPath = createRequire(import.meta.url).resolve('solc/soljson.js');

export default defineConfig({
  plugins: [hardhatViem, hardhatNodeTestRunner],
  solidity: {
    version: SOLC_VERSION,
    path: solcPath,
    settings: {
      optimizer: { enabled: true, runs: 10_000 },
      viaIR: true,
      evmVersion: 'prague',
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
