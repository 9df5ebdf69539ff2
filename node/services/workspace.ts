/**
 * A job's local workspace: its spec, dataset and checkpoints on disk (`<dataDir>/jobs/<id>/`), and
 * the solver's own chain of states regenerated from a checkpoint on demand. Training, the states
 * server and the dispute defender all read the same workspace, so what is served and defended is
 * bit-for-bit what was committed (with the same backend and the same transition: honest unless the
 * composition root injects another).
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import type { Hex } from 'viem';
import {
  writeFileAtomic,
  buildGraph,
  createDirCheckpointStore,
  createTrajectory,
  DatasetTree,
  datasetRoot,
  decodeJobSpec,
  decodeState,
  recordBytes,
  useBackend,
  VeritrainError,
  type BackendName,
  type CheckpointStore,
  type Graph,
  type JobSpec,
  type Trajectory,
  type Transition,
} from '../../sdk/index.ts';

/** The transition a job trains with, given its checkpoint interval k (undefined: the honest one). */
export type TransitionFor = (k: number) => Transition | undefined;

export interface JobWorkspace {
  readonly jobId: bigint;
  readonly spec: JobSpec;
  readonly graph: Graph;
  readonly records: Uint8Array;
  readonly checkpoints: CheckpointStore;
  readonly k: number;
  /** Index of the final checkpoint (N/k). */
  readonly lastIndex: number;
  /** The transition this node trains with (undefined: the honest one). */
  readonly transition: Transition | undefined;
  dataset(): DatasetTree;
  /** The node's chain over checkpoint interval `interval`, from its stored checkpoint (cached). */
  trajectory(interval: number): Promise<Trajectory>;
  tf(): Promise<typeof tfjs>;
}

export const jobDir = (dataDir: string, jobId: bigint): string => path.join(dataDir, 'jobs', jobId.toString());

/** Saves the verified dataset next to the job, so a restart does not fetch it again. */
export async function saveDataset(dataDir: string, jobId: bigint, records: Uint8Array): Promise<void> {
  const dir = jobDir(dataDir, jobId);
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(path.join(dir, 'dataset.bin'), records);
}

/** Reads the saved dataset, checked against the spec's root; undefined when absent or corrupt. */
export async function readSavedDataset(dataDir: string, jobId: bigint, spec: JobSpec): Promise<Uint8Array | undefined> {
  try {
    const records = new Uint8Array(await readFile(path.join(jobDir(dataDir, jobId), 'dataset.bin')));
    return datasetRoot(records, recordBytes(spec)) === spec.data.root.toLowerCase() ? records : undefined;
  } catch {
    return undefined;
  }
}

export function createWorkspace(options: {
  dataDir: string;
  jobId: bigint;
  specHex: Hex;
  records: Uint8Array;
  backend: BackendName;
  transitionFor?: TransitionFor | undefined;
}): JobWorkspace {
  const spec = decodeJobSpec(options.specHex);
  const graph = buildGraph(spec);
  const k = spec.training.checkpointInterval;
  const checkpoints = createDirCheckpointStore(path.join(jobDir(options.dataDir, options.jobId), 'checkpoints'));
  const transition = options.transitionFor?.(k);
  let dataset: DatasetTree | undefined;
  const cache = new Map<number, Promise<Trajectory>>();
  const tf = () => useBackend(options.backend);
  return {
    jobId: options.jobId,
    spec,
    graph,
    records: options.records,
    checkpoints,
    k,
    lastIndex: spec.training.steps / k,
    transition,
    dataset: () => (dataset ??= new DatasetTree(options.records, recordBytes(spec))),
    tf,
    trajectory(interval) {
      let t = cache.get(interval);
      if (t === undefined) {
        t = (async () => {
          const file = await checkpoints.file(interval);
          if (file === undefined)
            throw new VeritrainError('CONTENT_UNAVAILABLE', `checkpoint ${interval} of job ${options.jobId} is not stored on this node`, {
              details: { jobId: options.jobId.toString(), interval },
            });
          return createTrajectory({
            tf: await tf(),
            graph,
            spec,
            records: options.records,
            start: interval * k,
            end: (interval + 1) * k,
            startState: decodeState(file),
            ...(transition === undefined ? {} : { transition }),
          });
        })();
        t.catch(() => {
          cache.delete(interval);
        });
        // Keep a few intervals: each holds up to k + 1 states.
        if (cache.size >= 4) cache.delete(cache.keys().next().value as number);
        cache.set(interval, t);
      }
      return t;
    },
  };
}
