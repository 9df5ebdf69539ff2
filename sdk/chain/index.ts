// veritrain/chain: deployments, clients, signers and keystores, the transaction sender, revert decoding, the market's reads and the checkpoint chain, and the contracts' ABIs.
export * from './deployment.ts';
export * from './deploy.ts';
export * from './keystore.ts';
export * from './signer.ts';
export * from './revert.ts';
export * from './retry.ts';
export * from './sender.ts';
export * from './client.ts';
export * from './market.ts';
export * from './checkpoints.ts';
export * from '../abi/index.ts';
export * from './scan.ts';
