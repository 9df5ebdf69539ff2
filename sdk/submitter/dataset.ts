import type { Hex } from 'viem';
import { datasetRoot } from '../commit/dataset.ts';
import type { ContentStore } from '../storage/types.ts';
import { chunksWithProgress, type OnProgress } from './progress.ts';

export interface CreateDatasetParameters {
  /** Records back to back (docs/PROTOCOL.md §2.4), e.g. `loadMnist().records`. */
  readonly records: Uint8Array;
  /** Bytes per record: `recordBytes(spec)`, e.g. MNIST_RECORD_BYTES (785). */
  readonly recordBytes: number;
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: OnProgress | undefined;
}

export interface CreateDatasetReturnType {
  /** datasetRoot: the spec's `data.root`. */
  readonly root: Hex;
  /** CID of the dataset file: the spec's `data.cid`. */
  readonly cid: string;
  /** The spec's `data.recordCount`. */
  readonly recordCount: number;
  readonly bytes: number;
}

/**
 * Commits to a dataset (its Merkle root over record hashes) and adds the file to the store (pinned),
 * giving the three `data` fields of a job spec. Throws DatasetError when the size is not a whole
 * number of records.
 *
 * @example
 * ```ts
 * import { createDataset, createHeliaStore, loadMnist, MNIST_RECORD_BYTES } from 'veritrain';
 * const store = createHeliaStore({ directory: '.veritrain/ipfs' });
 * await store.start();
 * const { root, cid, recordCount } = await createDataset(store, { records: loadMnist().records, recordBytes: MNIST_RECORD_BYTES });
 * ```
 */
export async function createDataset(store: ContentStore, params: CreateDatasetParameters): Promise<CreateDatasetReturnType> {
  params.signal?.throwIfAborted();
  const root = datasetRoot(params.records, params.recordBytes);
  const cid = await store.put(chunksWithProgress(params.records, 'upload-dataset', params.onProgress), { signal: params.signal, pin: true });
  return { root, cid, recordCount: params.records.length / params.recordBytes, bytes: params.records.length };
}
