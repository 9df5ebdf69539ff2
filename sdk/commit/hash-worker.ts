// Worker side of RootHasher: hashes one aligned chunk of tensor bytes to its subtree root.
import { parentPort } from 'node:worker_threads';
import { subtreeRoot } from './tensor.ts';

export interface ChunkJob {
  readonly id: number;
  readonly buffer: SharedArrayBuffer;
  readonly offset: number;
  readonly length: number;
  readonly height: number;
}

parentPort?.on('message', (job: ChunkJob) => {
  const root = subtreeRoot(new Uint8Array(job.buffer, job.offset, job.length), job.height);
  parentPort?.postMessage({ id: job.id, root });
});
