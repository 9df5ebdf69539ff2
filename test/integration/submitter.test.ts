/**
 * The submitter SDK end to end on a real chain (in-process Hardhat) and real IPFS (two Helia nodes
 * over bitswap): a submitter (viem account unlocked from a keystore) creates the dataset and posts
 * an MNIST job; a scripted solver (an ethers v6 Wallet) fetches spec and dataset from the
 * submitter's node, stakes, claims, trains with the real engine, uploads and commits every
 * checkpoint and submits the final one; after the challenge window the job is finalized (by a
 * JSON-RPC wallet); the submitter downloads the model, which must hash to the on-chain root,
 * load as a tfjs LayersModel from its files and classify held-out digits.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Wallet } from 'ethers';
import { network } from 'hardhat';
import type { Hex } from 'viem';
import { erc20Abi, getAddress, parseEther } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import {
  ChainError,
  ConfigError,
  KeyError,
  MNIST_RECORD_BYTES,
  cancelJob,
  cidToBytes,
  createChainClient,
  createDataset,
  createHeliaStore,
  createP2PNode,
  createRootHasher,
  createDirCheckpointStore,
  deploy,
  describeJobEvent,
  directoryHandler,
  downloadModel,
  encryptKeystore,
  estimateCost,
  fetchDataset,
  fetchJobSpec,
  getJob,
  importKeystore,
  jobMarketAbi,
  loadDeployment,
  postJob,
  readCheckpointChain,
  recordBytes,
  silentLogger,
  stakingVaultAbi,
  stateRoot,
  train,
  unlockKeystore,
  useBackend,
  watchJob,
  writeDeployment,
  type ChainClient,
  type JobEvent,
  type P2PNode,
  type HeliaStore,
  type WalletChainClient,
} from '../../sdk/index.ts';
import { mnistJob } from './fixtures/mnist-job.ts';

const DAY = 86_400;
const PAYMENT = parseEther('100');
const STAKE = parseEther('10');
// Hardhat's well-known development keys (accounts #1 and #2); checked against the node below.
const SUBMITTER_KEY: Hex = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const SOLVER_KEY: Hex = '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a';

const dirs: string[] = [];
const temp = async (name: string): Promise<string> => {
  const d = await mkdtemp(path.join(tmpdir(), `veritrain-${name}-`));
  dirs.push(d);
  return d;
};
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const wallet = (c: ChainClient): WalletChainClient => {
  if (c.sender === undefined || c.signer === undefined) throw new Error('no signer');
  return c as WalletChainClient;
};

describe('submitter SDK: post, a solver completes, download', async () => {
  const { viem } = await network.create();
  const publicClient = await viem.getPublicClient();
  const testClient = await viem.getTestClient();
  const [deployer, submitterRpc, solverRpc] = await viem.getWalletClients();
  assert.ok(deployer !== undefined && submitterRpc !== undefined && solverRpc !== undefined);
  assert.equal(privateKeyToAccount(SUBMITTER_KEY).address, getAddress(submitterRpc.account.address));
  assert.equal(new Wallet(SOLVER_KEY).address, getAddress(solverRpc.account.address));

  const deployment = await deploy({ publicClient, walletClient: deployer });
  const deploymentsDir = await temp('deployments');
  await writeDeployment(deployment, deploymentsDir);
  const token = deployment.token;
  assert.ok(token !== undefined);

  const keystoreDir = await temp('keystore');
  const opts = { publicClient, deploymentsDir, pollingIntervalMs: 50, logger: silentLogger };

  // Two IPFS nodes: the submitter's and the solver's, connected over loopback.
  const p2p = async (name: string, key: Hex, bootstrap?: string[]): Promise<{ node: P2PNode; store: HeliaStore }> => {
    const directory = await temp(name);
    const node = createP2PNode({
      account: privateKeyToAccount(key),
      chainId: deployment.chainId,
      market: deployment.contracts.JobMarket.address,
      directory,
      bootstrap,
      logger: silentLogger,
    });
    await node.start();
    const store = createHeliaStore({ directory, libp2p: node.libp2p, logger: silentLogger });
    await store.start();
    cleanups.push(async () => {
      await store.stop();
      await node.stop();
    });
    return { node, store };
  };

  const { spec: baseSpec, train: records, test } = mnistJob(200, 50);
  let submitter: WalletChainClient;
  let jobId: bigint;
  let finalRoot: Hex;
  let submitterStore: HeliaStore;
  let solverStore: HeliaStore;
  let submitterNode: P2PNode;
  let solverNode: P2PNode;

  it('loads the deployment by chain id and rejects bad ones with clear errors', async () => {
    const loaded = await loadDeployment(deployment.chainId, { dir: deploymentsDir });
    assert.equal(loaded.contracts.JobMarket.address, deployment.contracts.JobMarket.address);
    assert.equal(loaded.parameters.minSolverStake, 10n ** 18n);
    await assert.rejects(loadDeployment(5, { dir: deploymentsDir }), (e: unknown) => e instanceof ConfigError && /no deployment for chain 5/.test(e.message));
    const bad = path.join(deploymentsDir, '7.json');
    await writeFile(
      bad,
      JSON.stringify({
        ...(JSON.parse(JSON.stringify(deployment, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as object),
        chainId: 7,
        stakeToken: '0x1234',
      }),
    );
    await assert.rejects(loadDeployment(7, { dir: deploymentsDir }), (e: unknown) => e instanceof ConfigError && /stakeToken/.test(e.message));
  });

  it('unlocks the submitter from an encrypted keystore; a wrong password fails without leaking the key', async () => {
    const file = path.join(keystoreDir, 'submitter.json');
    const { address } = await importKeystore(file, SUBMITTER_KEY, 'correct horse', { scryptN: 2 ** 12 });
    assert.equal(address, getAddress(submitterRpc.account.address));
    await assert.rejects(importKeystore(file, SUBMITTER_KEY, 'x', { scryptN: 2 ** 12 }), KeyError);
    await assert.rejects(
      unlockKeystore(file, 'wrong'),
      (e: unknown) => e instanceof KeyError && e.code === 'KEYSTORE_INVALID' && !e.message.includes(SUBMITTER_KEY.slice(2, 10)),
    );
    const ks = await encryptKeystore(SUBMITTER_KEY, 'pw', { scryptN: 2 ** 12 });
    assert.ok(!JSON.stringify(ks).includes(SUBMITTER_KEY.slice(2)));
    const account = await unlockKeystore(file, 'correct horse');
    submitter = wallet(await createChainClient({ ...opts, signer: account }));
    assert.equal(submitter.signer.address, address);
  });

  it('creates the dataset, estimates the cost, posts the job and gossips it to a solver peer', async () => {
    ({ store: submitterStore, node: submitterNode } = await p2p('submitter', SUBMITTER_KEY));
    ({ store: solverStore, node: solverNode } = await p2p('solver', SOLVER_KEY, submitterNode.multiaddrs()));
    const heard: { jobId: string; specHash: string; from: string }[] = [];
    solverNode.onJob((m) => {
      heard.push({ jobId: m.body.jobId, specHash: m.body.specHash, from: m.from });
    });
    for (let i = 0; i < 200 && submitterNode.peers().length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    const minter = await createChainClient({ ...opts, signer: deployer });
    await wallet(minter).sender.writeContract({
      address: token,
      abi: [
        ...jobMarketAbi,
        {
          type: 'function',
          name: 'mint',
          stateMutability: 'nonpayable',
          inputs: [
            { name: 'to', type: 'address' },
            { name: 'amount', type: 'uint256' },
          ],
          outputs: [],
        },
      ] as const,
      functionName: 'mint',
      args: [submitter.signer.address, PAYMENT],
    });

    const progress: string[] = [];
    const dataset = await createDataset(submitterStore, {
      records,
      recordBytes: recordBytes(baseSpec),
      onProgress: (p) => {
        progress.push(p.phase);
      },
    });
    assert.equal(dataset.root, baseSpec.data.root);
    assert.equal(dataset.recordCount, baseSpec.data.recordCount);
    assert.ok(progress.includes('upload-dataset'));
    const { graphRoot: _g, ...rest } = baseSpec;
    const spec = { ...rest, data: { ...rest.data, cid: dataset.cid }, graphRoot: baseSpec.graphRoot };

    const cost = await estimateCost(submitter, { spec, payment: PAYMENT, solverStake: STAKE });
    assert.equal(cost.solver.checkpoints, 5);
    assert.ok(cost.submitter.fee > 0n && cost.compute.totalFlops > 1e9);

    // A stake under the market minimum is refused before anything is sent.
    await assert.rejects(postJob(submitter, { spec, store: submitterStore, payment: PAYMENT, solverStake: 1n }), ConfigError);
    const posted = await postJob(submitter, {
      spec,
      store: submitterStore,
      payment: PAYMENT,
      solverStake: STAKE,
      claimWindow: 3_600,
      trainingDuration: DAY,
      announce: submitterNode,
      onProgress: (p) => {
        progress.push(p.phase);
      },
    });
    jobId = posted.jobId;
    assert.equal(jobId, 1n);
    assert.equal(posted.announcedTo, 1, 'the announcement went to the one connected peer');
    for (let i = 0; i < 100 && heard.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(
      heard,
      [{ jobId: '1', specHash: posted.specHash, from: submitter.signer.address.toLowerCase() }],
      'the solver peer heard the signed announcement',
    );
    assert.ok(posted.approveTxHash !== undefined);
    assert.ok(progress.includes('approve') && progress.includes('post'));
    const job = await getJob(submitter, { jobId });
    assert.equal(job.status, 'Open');
    assert.equal(job.checkpointCount, 4);
    assert.equal(job.specCid, posted.specCid);
  });

  it('a solver (ethers v6 Wallet) completes the job while the submitter watches', async () => {
    const watched: JobEvent[] = [];
    const watching = (async () => {
      for await (const e of watchJob(submitter, { jobId, pollingIntervalMs: 50, signal: AbortSignal.timeout(120_000) })) watched.push(e);
    })();

    const solver = wallet(await createChainClient({ ...opts, signer: new Wallet(SOLVER_KEY) }));
    assert.equal(solver.signer.kind, 'ethers');
    const minter = wallet(await createChainClient({ ...opts, signer: deployer }));
    assert.equal(minter.signer.kind, 'json-rpc');
    const mintAbi = [
      {
        type: 'function',
        name: 'mint',
        stateMutability: 'nonpayable',
        inputs: [
          { name: 'to', type: 'address' },
          { name: 'amount', type: 'uint256' },
        ],
        outputs: [],
      },
    ] as const;
    await minter.sender.writeContract({ address: token, abi: mintAbi, functionName: 'mint', args: [solver.signer.address, STAKE] });
    // Approve and stake sent back to back: the sender orders their nonces.
    const vault = deployment.contracts.StakingVault.address;
    const market = deployment.contracts.JobMarket.address;
    const [approved, staked] = await Promise.all([
      solver.sender.writeContract({ address: token, abi: erc20Abi, functionName: 'approve', args: [vault, STAKE], gas: 100_000n }),
      solver.sender.writeContract({ address: vault, abi: stakingVaultAbi, functionName: 'stake', args: [STAKE], gas: 200_000n }).catch((e: unknown) => e),
    ]);
    // The stake may have been simulated before the approval was mined; then it is decoded, and retried.
    if (staked instanceof ChainError) {
      assert.equal(staked.errorName, 'ERC20InsufficientAllowance');
      await solver.sender.writeContract({ address: vault, abi: stakingVaultAbi, functionName: 'stake', args: [STAKE] });
    } else if (staked instanceof Error) throw staked;
    assert.equal(approved.receipt.status, 'success');
    await solver.sender.writeContract({ address: market, abi: jobMarketAbi, functionName: 'claimJob', args: [jobId] });

    // Too late to cancel: the revert comes back decoded by name, in words.
    await assert.rejects(cancelJob(submitter, { jobId }), (e: unknown) => {
      assert.ok(e instanceof ChainError, String(e));
      assert.equal(e.code, 'CHAIN_REVERTED');
      assert.equal(e.errorName, 'JobUnexpectedStatus');
      assert.match(e.message, /JobUnexpectedStatus: job 1 is Claimed, expected Open/);
      return true;
    });

    const job = await getJob(solver, { jobId });
    const spec = await fetchJobSpec(solverStore, job.specHash, { signal: AbortSignal.timeout(30_000) });
    const data = await fetchDataset(
      solverStore,
      spec.data.cid,
      { datasetRoot: spec.data.root, recordBytes: recordBytes(spec) },
      { signal: AbortSignal.timeout(30_000) },
    );
    const hasher = createRootHasher({ threads: 1 });
    cleanups.push(() => hasher.close());
    const result = await train({
      spec,
      records: data,
      backend: 'wasm',
      store: createDirCheckpointStore(await temp('solver-ckpt')),
      hasher,
      log: silentLogger,
      onCheckpoint: async ({ index, root, file }) => {
        const cid = await solverStore.put(file);
        const args =
          index < job.checkpointCount
            ? { functionName: 'commitCheckpoint' as const, args: [jobId, index, root, cidToBytes(cid)] as const }
            : { functionName: 'submitFinal' as const, args: [jobId, root, cidToBytes(cid)] as const };
        await solver.sender.writeContract({ address: market, abi: jobMarketAbi, ...args });
      },
    });
    finalRoot = result.roots[4] as Hex;
    assert.equal(stateRoot(result.finalState), finalRoot);

    const submitted = await getJob(submitter, { jobId });
    assert.equal(submitted.status, 'Submitted');
    assert.deepEqual(
      submitted.checkpoints.map((c) => c.index),
      [0, 1, 2, 3, 4],
    );
    assert.equal(submitted.finalizable, false);
    await testClient.increaseTime({ seconds: DAY + 1 });
    await testClient.mine({ blocks: 1 });
    assert.equal((await getJob(submitter, { jobId })).finalizable, true);
    await minter.sender.writeContract({ address: market, abi: jobMarketAbi, functionName: 'finalize', args: [jobId] });

    await watching;
    assert.deepEqual(
      watched.map((e) => e.name),
      ['JobPosted', 'JobClaimed', ...Array<string>(5).fill('CheckpointCommitted'), 'JobSubmitted', 'JobFinalized'],
    );
    assert.match(describeJobEvent(watched.at(-1) as JobEvent), /finalized/);
  });

  it('downloads the model: its root is the on-chain root and it classifies held-out MNIST digits', async () => {
    const directory = await temp('model');
    // A fresh node that holds nothing fetches the checkpoint from the solver over bitswap.
    const { store: fresh } = await p2p('downloader', SUBMITTER_KEY.replace(/.$/, '1') as Hex, solverNode.multiaddrs());
    const phases: string[] = [];
    const model = await downloadModel(submitter, {
      jobId,
      store: fresh,
      directory,
      onProgress: (p) => {
        phases.push(p.phase);
      },
      signal: AbortSignal.timeout(60_000),
    });
    assert.equal(model.finalized, true);
    assert.equal(model.stateRoot, finalRoot);
    assert.equal(stateRoot(model.state), finalRoot);
    const onChain = (await readCheckpointChain({ publicClient, market: deployment.contracts.JobMarket.address }, jobId)).checkpoints[4];
    assert.equal(model.stateRoot, onChain?.stateRoot);
    assert.ok(phases.includes('fetch-checkpoint') && phases.includes('export'));

    const tf = await useBackend('cpu');
    const loaded = await tf.loadLayersModel(directoryHandler(directory));
    const n = test.length / MNIST_RECORD_BYTES;
    const x = new Float32Array(n * 784);
    const labels: number[] = [];
    for (let r = 0; r < n; r++) {
      for (let f = 0; f < 784; f++) x[r * 784 + f] = (test[r * MNIST_RECORD_BYTES + f] as number) / 255;
      labels.push(test[r * MNIST_RECORD_BYTES + 784] as number);
    }
    const input = tf.tensor2d(x, [n, 784]);
    const output = loaded.predict(input);
    assert.ok(!Array.isArray(output));
    const predicted = Array.from(output.argMax(1).dataSync());
    const acc = predicted.filter((p, i) => p === labels[i]).length / n;
    assert.ok(acc >= 0.85, `held-out accuracy ${acc}`);
    // eslint-disable-next-line no-console -- the number a reader of the test log wants
    console.log(`# downloaded model: held-out accuracy ${acc.toFixed(3)} on ${n} digits`);
  });

  it('sender: a transaction left unmined is replaced with higher fees, and the replacement is what gets mined', async () => {
    const c = wallet(await createChainClient({ ...opts, signer: privateKeyToAccount(SUBMITTER_KEY), feeBumpAfterMs: 200, maxFeeBumps: 2 }));
    const broadcast: Hex[] = [];
    await testClient.setAutomine(false);
    try {
      const sent = c.sender.writeContract({
        address: token,
        abi: erc20Abi,
        functionName: 'approve',
        args: [deployment.contracts.JobMarket.address, 3n],
        onBroadcast: (h) => {
          broadcast.push(h);
        },
      });
      while (broadcast.length < 1) await new Promise((r) => setTimeout(r, 20));
      const first = await publicClient.getTransaction({ hash: broadcast[0] as Hex });
      // Nothing mines: the sender replaces the transaction twice (its limit), then waits.
      while (broadcast.length < 3) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(broadcast.length, 3, 'at most maxFeeBumps replacements');
      await testClient.mine({ blocks: 1 });
      const { hash, nonce, receipt } = await sent;
      assert.equal(hash, broadcast[2], 'the last replacement was mined');
      assert.equal(receipt.status, 'success');
      assert.equal(nonce, first.nonce, 'same nonce');
      const last = await publicClient.getTransaction({ hash });
      assert.ok(first.maxFeePerGas !== undefined && last.maxFeePerGas !== undefined);
      assert.ok(last.maxFeePerGas * 10_000n >= first.maxFeePerGas * 15_625n, `two 25% bumps: ${first.maxFeePerGas} -> ${last.maxFeePerGas}`);
      await assert.rejects(publicClient.getTransaction({ hash: broadcast[0] as Hex }), 'the original left the pool');
      assert.equal(
        await publicClient.readContract({
          address: token,
          abi: erc20Abi,
          functionName: 'allowance',
          args: [c.signer.address, deployment.contracts.JobMarket.address],
        }),
        3n,
      );
    } finally {
      await testClient.setAutomine(true);
    }
  });

  it('sender: recovers its nonce after a restart and times out waiting for confirmations that never come', async () => {
    const first = wallet(await createChainClient({ ...opts, signer: privateKeyToAccount(SUBMITTER_KEY) }));
    const a = await first.sender.writeContract({ address: token, abi: erc20Abi, functionName: 'approve', args: [deployment.contracts.JobMarket.address, 1n] });
    const restarted = wallet(await createChainClient({ ...opts, signer: privateKeyToAccount(SUBMITTER_KEY), confirmations: 3, receiptTimeoutMs: 400 }));
    await assert.rejects(
      restarted.sender.writeContract({ address: token, abi: erc20Abi, functionName: 'approve', args: [deployment.contracts.JobMarket.address, 2n] }),
      (e: unknown) => e instanceof ChainError && e.code === 'CHAIN_TIMEOUT' && e.txHash !== undefined,
    );
    const tx = await publicClient.getTransaction({ hash: (await publicClient.getBlock({ includeTransactions: true })).transactions[0]?.hash as Hex });
    assert.equal(tx.nonce, a.nonce + 1);
  });
});
