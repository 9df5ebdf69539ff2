#!/usr/bin/env node
/**
 * The devnet's submitter, a process of its own that uses only the SDK, as a user's program would:
 * builds the MNIST dataset from the `mnist` package (holding some digits out), uploads it to IPFS,
 * posts the plan's jobs with their payments in escrow, watches them until they settle, downloads
 * each finalized job's model (checked against the chain) and measures its held-out accuracy, and
 * withdraws the refunds of slashed jobs. Prints one JSON event per line on stdout and keeps
 * serving its content until SIGINT/SIGTERM.
 *
 *   VERITRAIN_PRIVATE_KEY=0x… node scripts/devnet/submitter.ts plan.json
 */
import path from 'node:path';
import { accountFromEnv } from '../../sdk/chain/keystore.ts';
import { createChainClient, requireWallet, type WalletChainClient } from '../../sdk/chain/client.ts';
import { MNIST_PIXELS, MNIST_RECORD_BYTES, loadMnist, splitMnist } from '../../sdk/data/mnist.ts';
import { useBackend } from '../../sdk/engine/backend.ts';
import { silentLogger } from '../../sdk/log.ts';
import { createP2PNode } from '../../sdk/p2p/node.ts';
import { completeSpec } from '../../sdk/graph/complete.ts';
import { describeModel, modelPlan } from '../../sdk/spec/model.ts';
import { exampleSpec } from '../../sdk/spec/example-spec.ts';
import { createHeliaStore } from '../../sdk/storage/helia.ts';
import { createKuboStore } from '../../sdk/storage/kubo.ts';
import type { ContentStore } from '../../sdk/storage/types.ts';
import { createDataset } from '../../sdk/submitter/dataset.ts';
import { directoryHandler, downloadModel } from '../../sdk/submitter/model.ts';
import { readJob } from '../../sdk/chain/market.ts';
import { postJob } from '../../sdk/submitter/post.ts';
import { watchJob, withdrawCredit } from '../../sdk/submitter/job.ts';
import { loadSubmitterPlan, type DevnetJobPlan, type SubmitterEvent } from './plan.ts';

const emit = (e: SubmitterEvent): void => {
  process.stdout.write(`${JSON.stringify(e)}\n`);
};

/** Held-out accuracy of the downloaded tfjs model, as its user would measure it. */
async function heldOutAccuracy(directory: string, records: Uint8Array): Promise<number> {
  const tf = await useBackend('cpu');
  const model = await tf.loadLayersModel(directoryHandler(directory));
  const n = records.length / MNIST_RECORD_BYTES;
  const x = new Float32Array(n * MNIST_PIXELS);
  const labels = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    for (let p = 0; p < MNIST_PIXELS; p++) x[r * MNIST_PIXELS + p] = (records[r * MNIST_RECORD_BYTES + p] as number) / 255;
    labels[r] = records[r * MNIST_RECORD_BYTES + MNIST_PIXELS] as number;
  }
  // The model's own input shape: [784] for an MLP, [28, 28, 1] for a CNN.
  const input = (model.inputs[0]?.shape ?? [null, MNIST_PIXELS]).slice(1) as number[];
  const predicted = tf.tidy(() => {
    const out = model.predict(tf.tensor(x, [n, ...input]));
    return (Array.isArray(out) ? out[0] : out)?.argMax(1).dataSync();
  });
  model.dispose();
  let correct = 0;
  for (let r = 0; r < n; r++) if (predicted?.[r] === labels[r]) correct++;
  return correct / n;
}

async function main(): Promise<void> {
  const file = process.argv[2];
  if (file === undefined || file === '--help') {
    process.stdout.write('usage: VERITRAIN_PRIVATE_KEY=0x… node scripts/devnet/submitter.ts <plan.json>\n');
    process.exitCode = file === undefined ? 2 : 0;
    return;
  }
  const plan = await loadSubmitterPlan(file);
  const controller = new AbortController();
  const onSignal = (): void => {
    controller.abort(new DOMException('interrupted', 'AbortError'));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const { signal } = controller;

  const account = accountFromEnv('VERITRAIN_PRIVATE_KEY');
  const client: WalletChainClient = requireWallet(
    await createChainClient({ rpcUrl: plan.rpcUrl, signer: account, deploymentsDir: plan.deploymentsDir, pollingIntervalMs: plan.pollMs, signal }),
    'the submitter',
  );
  const market = client.deployment.contracts.JobMarket.address;
  const p2p = createP2PNode({
    account,
    chainId: client.chainId,
    market,
    directory: plan.dataDir,
    listen: plan.listen,
    bootstrap: plan.bootstrap,
    logger: silentLogger,
  });
  await p2p.start();
  const store: ContentStore =
    plan.kuboUrl === undefined ? createHeliaStore({ directory: path.join(plan.dataDir, 'ipfs'), libp2p: p2p.libp2p }) : createKuboStore({ url: plan.kuboUrl });
  await store.start();
  try {
    emit({ event: 'started', address: account.address, peerId: p2p.peerId, multiaddrs: p2p.multiaddrs() });

    const t0 = performance.now();
    const { train, test } = splitMnist(loadMnist(), plan.holdout);
    const dataset = await createDataset(store, { records: train.records, recordBytes: MNIST_RECORD_BYTES, signal });
    emit({
      event: 'dataset',
      cid: dataset.cid,
      root: dataset.root,
      records: dataset.recordCount,
      bytes: dataset.bytes,
      heldOut: test.count,
      ms: Math.round(performance.now() - t0),
    });

    const posted: { job: DevnetJobPlan; jobId: bigint }[] = [];
    for (const job of plan.jobs) {
      const { graphRoot: _unused, ...input } = exampleSpec();
      const common = {
        ...input,
        training: { steps: job.steps, checkpointInterval: job.checkpointInterval, batchSize: job.batchSize },
        data: { ...input.data, root: dataset.root, cid: dataset.cid, recordCount: dataset.recordCount },
      };
      const spec = completeSpec(
        'layers' in job.model
          ? { ...common, model: { ...input.model, layers: job.model.layers } }
          : ({
              ...common,
              version: 2,
              model: { ...job.model.v2.model, loss: input.model.loss, initSeed: input.model.initSeed },
              optimizer: job.model.v2.optimizer,
            } as never),
      );
      const result = await postJob(client, {
        spec,
        store,
        payment: BigInt(job.payment),
        solverStake: BigInt(job.solverStake),
        claimWindow: 3_600,
        trainingDuration: job.trainingDuration,
        challengeWindow: job.challengeWindow,
        announce: p2p,
        signal,
      });
      posted.push({ job, jobId: result.jobId });
      emit({
        event: 'posted',
        name: job.name,
        jobId: result.jobId.toString(),
        specHash: result.specHash,
        model: describeModel(modelPlan(spec.model)),
        steps: job.steps,
        checkpointInterval: job.checkpointInterval,
        payment: job.payment,
        solverStake: job.solverStake,
        challengeWindow: job.challengeWindow,
      });
    }

    await Promise.all(
      posted.map(async ({ job, jobId }) => {
        for await (const _event of watchJob(client, { jobId, untilSettled: true, pollingIntervalMs: plan.pollMs, signal })) {
          /* until settled */
        }
        const settled = await readJob(client, jobId, { signal });
        emit({ event: 'settled', name: job.name, jobId: jobId.toString(), status: settled.status });
        if (settled.status === 'Finalized' && job.download) {
          const directory = path.join(plan.dataDir, `model-job-${jobId}`);
          const model = await downloadModel(client, { jobId, store, directory, requireFinalized: true, signal });
          emit({
            event: 'model',
            name: job.name,
            jobId: jobId.toString(),
            accuracy: await heldOutAccuracy(directory, test.records),
            heldOut: test.count,
            stateRoot: model.stateRoot,
            directory,
          });
        }
        if (settled.status === 'Slashed' || settled.status === 'Expired' || settled.status === 'Cancelled') {
          const { amount } = await withdrawCredit(client, { token: settled.token, signal });
          emit({ event: 'refund', name: job.name, jobId: jobId.toString(), amount: amount.toString() });
        }
      }),
    );
    emit({ event: 'done' });
    // Keep serving the dataset and the specs (an IPFS provider) until told to stop.
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener(
        'abort',
        () => {
          resolve();
        },
        { once: true },
      );
    });
  } finally {
    await store.stop().catch(() => undefined);
    await p2p.stop().catch(() => undefined);
  }
}

main().catch((err: unknown) => {
  const aborted = err instanceof DOMException && err.name === 'AbortError';
  if (!aborted) emit({ event: 'error', message: err instanceof Error ? err.message : String(err) });
  process.exitCode = aborted ? 130 : 1;
});
