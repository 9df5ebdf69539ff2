/**
 * The protocol's objects on IPFS (docs/PROTOCOL.md §2.7): checkpoints and op traces (state files),
 * datasets and job specs. Every fetch is bounded and checked against the root or hash the caller
 * knows from the chain or the spec before anything is returned.
 */
import { bytesToHex, hexToBytes, type Hex } from 'viem';
import { decodeState, encodeState } from '../commit/codec.ts';
import { datasetRoot } from '../commit/dataset.ts';
import type { RootHasher } from '../commit/root-hasher.ts';
import { stateRoot } from '../commit/state.ts';
import type { Tensor } from '../commit/tensor.ts';
import { ContentError } from '../errors.ts';
import { cidOfSpecHash, decodeJobSpec, encodeJobSpec, specHash, type JobSpec } from '../spec/job-spec.ts';
import { getBytes } from './stream.ts';
import { DEFAULT_STORE_LIMITS, type ContentStore } from './types.ts';

export interface FetchOptions {
  readonly signal?: AbortSignal | undefined;
  /** Bound on the bytes fetched; defaults to the matching DEFAULT_STORE_LIMITS entry. */
  readonly maxBytes?: number | undefined;
  readonly offline?: boolean | undefined;
}

/** Encodes a state (or an op trace: the op outputs in graph order) as a state file and adds it. */
export async function putState(store: ContentStore, tensors: readonly Tensor[], options: { signal?: AbortSignal | undefined } = {}): Promise<string> {
  return store.put(encodeState(tensors), { signal: options.signal });
}

export interface FetchStateOptions extends FetchOptions {
  /** Hash large states on worker threads. */
  readonly hasher?: RootHasher | undefined;
}

/**
 * Fetches a state file, decodes it (the tensors are views of the one fetched buffer) and checks it
 * against `expectedRoot` (a checkpoint's on-chain stateRoot: the Merkle root over tensor roots).
 * Throws ContentError CONTENT_INVALID on a bad file or a mismatch.
 */
export async function fetchState(store: ContentStore, cid: string, expectedRoot: Hex, options: FetchStateOptions = {}): Promise<Tensor[]> {
  const bytes = await getBytes(store, cid, {
    maxBytes: options.maxBytes ?? DEFAULT_STORE_LIMITS.maxStateBytes,
    signal: options.signal,
    offline: options.offline,
  });
  let tensors: Tensor[];
  try {
    tensors = decodeState(bytes);
  } catch (err) {
    throw new ContentError('CONTENT_INVALID', `${cid} is not a valid state file`, { details: { cid }, cause: err });
  }
  const root =
    options.hasher === undefined ? stateRoot(tensors) : await options.hasher.stateRoot(tensors, options.signal === undefined ? {} : { signal: options.signal });
  if (root !== expectedRoot.toLowerCase()) {
    throw new ContentError('CONTENT_INVALID', `${cid} has state root ${root}, expected ${expectedRoot}`, {
      details: { cid, expected: expectedRoot, got: root },
    });
  }
  return tensors;
}

/** Adds a dataset file (records back to back). */
export async function putDataset(
  store: ContentStore,
  records: Uint8Array | AsyncIterable<Uint8Array>,
  options: { signal?: AbortSignal | undefined } = {},
): Promise<string> {
  return store.put(records, { signal: options.signal });
}

/** Fetches a dataset and checks it against the spec's datasetRoot (and record size). */
export async function fetchDataset(
  store: ContentStore,
  cid: string,
  expected: { datasetRoot: Hex; recordBytes: number },
  options: FetchOptions = {},
): Promise<Uint8Array> {
  const records = await getBytes(store, cid, {
    maxBytes: options.maxBytes ?? DEFAULT_STORE_LIMITS.maxDatasetBytes,
    signal: options.signal,
    offline: options.offline,
  });
  let root: Hex;
  try {
    root = datasetRoot(records, expected.recordBytes);
  } catch (err) {
    throw new ContentError('CONTENT_INVALID', `${cid} is not a dataset of ${expected.recordBytes}-byte records`, { details: { cid }, cause: err });
  }
  if (root !== expected.datasetRoot.toLowerCase()) {
    throw new ContentError('CONTENT_INVALID', `${cid} has dataset root ${root}, expected ${expected.datasetRoot}`, {
      details: { cid, expected: expected.datasetRoot, got: root },
    });
  }
  return records;
}

/** Adds the canonical spec bytes; the CID returned is specCid(spec) (raw codec, digest = specHash). */
export async function putJobSpec(store: ContentStore, spec: JobSpec, options: { signal?: AbortSignal | undefined } = {}): Promise<string> {
  const cid = await store.put(hexToBytes(encodeJobSpec(spec)), { signal: options.signal });
  const expected = cidOfSpecHash(specHash(spec));
  if (cid !== expected)
    throw new ContentError(
      'STORAGE_FAILED',
      `the store gave the spec CID ${cid}, expected ${expected}: it must add small files as one raw block (CIDv1, raw leaves)`,
      { details: { cid, expected } },
    );
  return cid;
}

/** Fetches the spec whose specHash the chain holds, checks the hash and the canonical encoding. */
export async function fetchJobSpec(store: ContentStore, hash: Hex, options: FetchOptions = {}): Promise<JobSpec> {
  const cid = cidOfSpecHash(hash);
  const bytes = await getBytes(store, cid, {
    maxBytes: options.maxBytes ?? DEFAULT_STORE_LIMITS.maxSpecBytes,
    signal: options.signal,
    offline: options.offline,
    expected: { sha256: hash },
  });
  try {
    return decodeJobSpec(bytesToHex(bytes));
  } catch (err) {
    throw new ContentError('CONTENT_INVALID', `${cid} is not a canonical job spec`, { details: { cid }, cause: err });
  }
}
