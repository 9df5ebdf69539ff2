/**
 * Deployment lives in the SDK (sdk/chain/deploy.ts) so that daemons and tests can deploy without
 * importing scripts/. This module keeps the old import path for the scripts (bench:gas, deploy).
 */
export { DEFAULT_ARTIFACTS_DIR, DEFAULT_PARAMETERS, DEV_CHAIN_IDS, deploy, readArtifact, writeDeployment } from '../sdk/chain/deploy.ts';
export type { DeployedContract, Deployment, DeployOptions, MarketParameters } from '../sdk/chain/deploy.ts';
