/**
 * RootHasher: state roots of large states on a pool of worker threads.
 *
 * Every native SHA-256 call costs ~1 µs before it reads a byte, so one thread tops out near 40% of
 * bulk SHA-256 speed with 2 KiB leaves (docs/PROTOCOL.md §2.1). The tree splits cleanly: each
 * tensor's leaves are cut into aligned chunks of 2^CHUNK_HEIGHT leaves, workers hash a chunk to its
 * subtree root, and the calling thread joins chunk roots into the tensor root. Padding inside a
 * chunk equals the global padding because chunks are aligned, so the root is bit-identical to
 * `stateRoot`. Training also keeps hashing off its own thread this way.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Hex } from 'viem';
import { VeritrainError } from '../errors.ts';
import type { ChunkJob } from './hash-worker.ts';
import { merkleDepth, reduceToRoot } from './merkle.ts';
import { HASH_BYTES } from './sha256.ts';
import { stateRootFromTensorRoots } from './state.ts';
import { checkTensor, leafCount, STATE_LEAF_BYTES, subtreeRoot, tensorBytes, tensorRootFromDataRoot, type Tensor } from './tensor.ts';

/** 2^9 leaves = 1 MiB per chunk: large enough to amortise a message, small enough to balance. */
const CHUNK_HEIGHT = 9;
/** Tensors below this size are hashed on the calling thread. */
const INLINE_BYTES = 256 * 1024;

export interface RootHasherOptions {
  /** Worker threads; defaults to the machine's available parallelism. */
  readonly threads?: number;
}

export interface RootHasher {
  readonly threads: number;
  /**
   * The state root of `tensors` (same result as `stateRoot`). Tensors whose data is not in a
   * SharedArrayBuffer are copied into one first: at most one extra copy of the state.
   */
  stateRoot(tensors: readonly Tensor[], options?: { signal?: AbortSignal }): Promise<Hex>;
  close(): Promise<void>;
}

interface Pending {
  resolve(root: Uint8Array): void;
  reject(err: unknown): void;
}

export function createRootHasher(options: RootHasherOptions = {}): RootHasher {
  const threads = Math.max(1, options.threads ?? availableParallelism());
  const workers: Worker[] = [];
  const idle: Worker[] = [];
  const queue: ChunkJob[] = [];
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let closed = false;

  const pump = (): void => {
    while (idle.length > 0 && queue.length > 0) {
      (idle.pop() as Worker).postMessage(queue.shift());
    }
  };

  const failAll = (err: unknown): void => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
    queue.length = 0;
  };

  for (let i = 0; i < threads; i++) {
    const w = new Worker(new URL('./hash-worker.ts', import.meta.url));
    w.on('message', (msg: { id: number; root: Uint8Array }) => {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      idle.push(w);
      p?.resolve(msg.root);
      pump();
      // Idle workers must not keep the process alive; busy ones must.
      if (pending.size === 0) for (const x of workers) x.unref();
    });
    w.on('error', (err) => {
      failAll(new VeritrainError('PLATFORM_UNSUPPORTED', 'a hashing worker failed', { cause: err }));
    });
    w.unref();
    workers.push(w);
    idle.push(w);
  }

  const hashChunk = (buffer: SharedArrayBuffer, offset: number, length: number, height: number): Promise<Uint8Array> => {
    if (closed) return Promise.reject(new VeritrainError('PLATFORM_UNSUPPORTED', 'the root hasher is closed'));
    if (pending.size === 0) for (const x of workers) x.ref();
    const id = nextId++;
    const promise = new Promise<Uint8Array>((resolve, reject) => pending.set(id, { resolve, reject }));
    queue.push({ id, buffer, offset, length, height });
    pump();
    return promise;
  };

  const tensorDataRoot = async (tensor: Tensor): Promise<Uint8Array> => {
    const bytes = tensorBytes(tensor.data);
    const depth = merkleDepth(leafCount(tensor.data.length));
    if (bytes.length <= INLINE_BYTES) return subtreeRoot(bytes, depth);
    let shared: Uint8Array;
    if (bytes.buffer instanceof SharedArrayBuffer) {
      shared = bytes;
    } else {
      shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
      shared.set(bytes);
    }
    const buffer = shared.buffer as SharedArrayBuffer;
    const height = Math.min(CHUNK_HEIGHT, depth);
    const chunkBytes = STATE_LEAF_BYTES * 2 ** height;
    const jobs: Promise<Uint8Array>[] = [];
    for (let off = 0; off < shared.length; off += chunkBytes) {
      jobs.push(hashChunk(buffer, shared.byteOffset + off, Math.min(chunkBytes, shared.length - off), height));
    }
    const roots = await Promise.all(jobs);
    const nodes = new Uint8Array(roots.length * HASH_BYTES);
    roots.forEach((r, i) => {
      nodes.set(r, i * HASH_BYTES);
    });
    return reduceToRoot(nodes, roots.length, height, depth);
  };

  return {
    threads,
    async stateRoot(tensors, opts = {}) {
      opts.signal?.throwIfAborted();
      tensors.forEach(checkTensor);
      const dataRoots = await Promise.all(tensors.map(tensorDataRoot));
      opts.signal?.throwIfAborted();
      return stateRootFromTensorRoots(tensors.map((t, i) => tensorRootFromDataRoot(t.shape, dataRoots[i] as Uint8Array)));
    },
    async close() {
      closed = true;
      failAll(new VeritrainError('PLATFORM_UNSUPPORTED', 'the root hasher was closed'));
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
