import { modelPlan } from '../spec/model.ts';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import type { Hex } from 'viem';
import { readCheckpointChain } from '../chain/checkpoints.ts';
import { marketAddress, type ChainClient } from '../chain/client.ts';
import { marketSource, readJob, type JobRecord } from '../chain/market.ts';
import type { Tensor } from '../commit/tensor.ts';
import { useBackend, type BackendName } from '../engine/backend.ts';
import { ContentError, VeritrainError } from '../errors.ts';
import { buildGraph } from '../graph/graph.ts';
import { fetchJobSpec, fetchState } from '../storage/objects.ts';
import type { ContentStore } from '../storage/types.ts';
import type { JobSpec } from '../spec/job-spec.ts';
import type { OnProgress } from './progress.ts';

const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';

/**
 * A tfjs IOHandler over a directory holding `model.json` + `weights.bin` (the layout tfjs-node's
 * `file://` handler uses), for Node without tfjs-node: `tf.loadLayersModel(directoryHandler(dir))`,
 * `model.save(directoryHandler(dir))`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * const model = await tf.loadLayersModel(directoryHandler('./model'));
 * ```
 */
export function directoryHandler(dir: string): tfjs.io.IOHandler {
  return {
    async save(artifacts) {
      await mkdir(dir, { recursive: true });
      const weightData =
        artifacts.weightData === undefined
          ? new Uint8Array(0)
          : Array.isArray(artifacts.weightData)
            ? Buffer.concat(artifacts.weightData.map((b) => new Uint8Array(b)))
            : new Uint8Array(artifacts.weightData);
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.userDefinedMetadata === undefined ? {} : { userDefinedMetadata: artifacts.userDefinedMetadata }),
      };
      // Write to temporary names, then rename: a reader never sees half a model.
      await writeFile(path.join(dir, `${WEIGHTS_BIN}.tmp`), weightData);
      await writeFile(path.join(dir, `${MODEL_JSON}.tmp`), JSON.stringify(modelJson));
      await rename(path.join(dir, `${WEIGHTS_BIN}.tmp`), path.join(dir, WEIGHTS_BIN));
      await rename(path.join(dir, `${MODEL_JSON}.tmp`), path.join(dir, MODEL_JSON));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weightData.byteLength } };
    },
    async load() {
      const json = JSON.parse(await readFile(path.join(dir, MODEL_JSON), 'utf8')) as {
        modelTopology: object;
        format?: string;
        generatedBy?: string;
        convertedBy?: string | null;
        weightsManifest: { paths: string[]; weights: tfjs.io.WeightsManifestEntry[] }[];
        userDefinedMetadata?: Record<string, object>;
      };
      const buffers: Buffer[] = [];
      const weightSpecs: tfjs.io.WeightsManifestEntry[] = [];
      for (const group of json.weightsManifest) {
        for (const p of group.paths) buffers.push(await readFile(path.join(dir, p)));
        weightSpecs.push(...group.weights);
      }
      const all = Buffer.concat(buffers);
      return {
        modelTopology: json.modelTopology,
        weightSpecs,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
        ...(json.format === undefined ? {} : { format: json.format }),
        ...(json.generatedBy === undefined ? {} : { generatedBy: json.generatedBy }),
        ...(json.userDefinedMetadata === undefined ? {} : { userDefinedMetadata: json.userDefinedMetadata }),
      };
    },
  };
}

/**
 * Builds a tfjs LayersModel (dense layers) from a protocol state of the MLP family. The state holds
 * momentum slots then parameters, each layer as Wt (shape [out, in]) and b; tfjs kernels are [in, out].
 * The last layer gets softmax for softmax-cross-entropy and no activation for MSE.
 *
 * @example
 * ```ts
 * const tf = await useBackend('cpu');
 * const model = stateToLayersModel(tf, spec, state);
 * model.predict(tf.zeros([1, 784]));
 * ```
 */
export function stateToLayersModel(tf: typeof tfjs, spec: Pick<JobSpec, 'model' | 'optimizer' | 'training'>, state: readonly Tensor[]): tfjs.LayersModel {
  const graph = buildGraph(spec);
  if (state.length !== graph.state.length || state.some((t, i) => t.shape.join(',') !== graph.state[i]?.shape.join(','))) {
    throw new ContentError('CONTENT_INVALID', 'the state does not have the tensors the spec defines', {
      details: { tensors: state.length, expected: graph.state.length },
    });
  }
  const plan = modelPlan(spec.model);
  // The parameters (Wt_l, b_l per dense or conv layer) come last, after the optimizer's slots (§3.2).
  const params = state.slice(state.length - 2 * plan.layers.filter((l) => l.type === 'dense' || l.type === 'conv2d').length);
  const model = tf.sequential();
  const first = { inputShape: [...plan.input] };
  let tag = 0;
  plan.layers.forEach((layer, i) => {
    const input = i === 0 ? first : {};
    switch (layer.type) {
      case 'dense':
        model.add(tf.layers.dense({ units: layer.units, ...input, name: `dense_${++tag}` }));
        break;
      case 'conv2d':
        model.add(
          tf.layers.conv2d({
            filters: layer.filters,
            kernelSize: [...layer.kernel],
            strides: layer.stride,
            padding: layer.padding,
            ...input,
            name: `conv2d_${++tag}`,
          }),
        );
        break;
      case 'maxpool2d':
      case 'avgpool2d': {
        const pool = { poolSize: layer.size, strides: layer.size, padding: 'valid' as const, ...input };
        model.add(layer.type === 'maxpool2d' ? tf.layers.maxPooling2d(pool) : tf.layers.averagePooling2d(pool));
        break;
      }
      case 'flatten':
        model.add(tf.layers.flatten(input));
        break;
      default:
        model.add(tf.layers.activation({ activation: layer.type, ...input }));
    }
  });
  if (spec.model.loss === 'softmax-xent') model.add(tf.layers.activation({ activation: 'softmax' }));
  // Dense Wt [out, in] is the kernel transposed; conv Wt [F, KH·KW·C] is the kernel [KH, KW, C, F] with F first.
  const weights: tfjs.Tensor[] = params.map((t) => {
    if (t.shape.length === 1) return tf.tensor1d(t.data);
    const kernel = model.getWeights()[params.indexOf(t)] as tfjs.Tensor;
    const wt = tf.tensor2d(t.data, [t.shape[0] as number, t.shape[1] as number]);
    const out = kernel.shape.length === 4 ? tf.transpose(tf.reshape(wt, [t.shape[0] as number, ...kernel.shape.slice(0, 3)]), [1, 2, 3, 0]) : tf.transpose(wt);
    wt.dispose();
    return out;
  });
  model.setWeights(weights);
  for (const w of weights) w.dispose();
  return model;
}

export interface DownloadModelParameters {
  readonly jobId: bigint;
  /** Where the checkpoint and the spec are fetched from (IPFS). */
  readonly store: ContentStore;
  /** Directory to write the tfjs model to (model.json + weights.bin); omit to only fetch and verify. */
  readonly directory?: string | undefined;
  /** Refuse a job that is Submitted but not Finalized yet (still inside its challenge window); default false. */
  readonly requireFinalized?: boolean | undefined;
  /** tfjs backend for the export (default 'cpu'). */
  readonly backend?: BackendName | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: OnProgress | undefined;
}

export interface DownloadModelReturnType {
  readonly job: JobRecord;
  readonly spec: JobSpec;
  /** The final checkpoint's state root, read from the chain; the state below hashes to it. */
  readonly stateRoot: Hex;
  readonly cid: string;
  /** The protocol state (momentum slots, then parameters), verified against stateRoot. */
  readonly state: Tensor[];
  /** True once the job is Finalized (before that, a dispute could still slash it). */
  readonly finalized: boolean;
  /** Paths of the exported model, when a directory was given. */
  readonly files: { readonly modelJson: string; readonly weights: string } | undefined;
}

/**
 * Downloads a job's trained model: reads the final checkpoint's root from the chain and its CID
 * from the commit event, fetches the spec (checked against specHash) and the state file (checked
 * against the root), and exports a tfjs LayersModel to `directory`. A Slashed job is refused (its
 * final checkpoint was proven fraudulent); so is a job without a final checkpoint yet.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * const { stateRoot } = await downloadModel(client, { jobId: 1n, store, directory: './model' });
 * const model = await tf.loadLayersModel(directoryHandler('./model'));
 * ```
 */
export async function downloadModel(client: ChainClient, params: DownloadModelParameters): Promise<DownloadModelReturnType> {
  const { jobId, signal, onProgress } = params;
  const job = await readJob(client, jobId, { signal });
  if (job.status === 'Slashed')
    throw new VeritrainError('CONTENT_INVALID', `job ${jobId} was slashed: its final checkpoint was proven fraudulent`, {
      details: { jobId: jobId.toString() },
    });
  const finalized = job.status === 'Finalized';
  if (!finalized && job.status !== 'Submitted')
    throw new VeritrainError('CONTENT_UNAVAILABLE', `job ${jobId} is ${job.status}: it has no final checkpoint`, {
      details: { jobId: jobId.toString(), status: job.status },
    });
  if (!finalized && params.requireFinalized === true)
    throw new VeritrainError(
      'CONTENT_UNAVAILABLE',
      `job ${jobId} is Submitted but not finalized yet (challenge window until ${new Date(job.challengeDeadline * 1000).toISOString()})`,
    );
  // The final checkpoint from the logs, checked against the chain head the market stores.
  const final = (await readCheckpointChain(marketSource(client), jobId, { signal })).checkpoints[job.checkpointCount];
  if (final === undefined) throw new ContentError('CONTENT_UNAVAILABLE', `no final checkpoint committed for job ${jobId}`);
  const { stateRoot, cid } = final;
  if (cid === undefined) throw new ContentError('CONTENT_UNAVAILABLE', `the solver of job ${jobId} committed its final checkpoint without a valid CID`);

  onProgress?.({ phase: 'fetch-spec', ref: job.specHash });
  const spec = await fetchJobSpec(params.store, job.specHash, { signal });
  onProgress?.({ phase: 'fetch-checkpoint', ref: cid });
  const state = await fetchState(params.store, cid, stateRoot, { signal });
  onProgress?.({ phase: 'fetch-checkpoint', done: 1, total: 1, ref: cid });

  let files: DownloadModelReturnType['files'];
  if (params.directory !== undefined) {
    onProgress?.({ phase: 'export' });
    const tf = await useBackend(params.backend ?? 'cpu');
    const model = stateToLayersModel(tf, spec, state);
    try {
      model.setUserDefinedMetadata({
        veritrain: { chainId: client.chainId, market: marketAddress(client), jobId: jobId.toString(), stateRoot, cid: cid, specHash: job.specHash },
      });
      await model.save(directoryHandler(params.directory));
    } finally {
      model.dispose();
    }
    files = { modelJson: path.join(params.directory, MODEL_JSON), weights: path.join(params.directory, WEIGHTS_BIN) };
    onProgress?.({ phase: 'export', done: 1, total: 1, ref: params.directory });
  }
  return { job, spec, stateRoot, cid: cid, state, finalized, files };
}
