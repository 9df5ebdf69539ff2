/** Progress of a long submitter operation, for a CLI's progress lines or a UI. */
export interface Progress {
  /** What is happening: 'upload-dataset', 'upload-spec', 'approve', 'post', 'confirm', 'fetch-checkpoint', 'export', … */
  readonly phase: string;
  /** Units done and total (bytes for transfers), when known. */
  readonly done?: number | undefined;
  readonly total?: number | undefined;
  /** A transaction hash or CID the phase is about. */
  readonly ref?: string | undefined;
}

export type OnProgress = (progress: Progress) => void;

/** Splits bytes into chunks for a streaming put, reporting each chunk as it is consumed. */
// eslint-disable-next-line @typescript-eslint/require-await -- ContentStore.put takes an AsyncIterable
export async function* chunksWithProgress(
  bytes: Uint8Array,
  phase: string,
  onProgress: OnProgress | undefined,
  chunkBytes = 1 << 20,
): AsyncGenerator<Uint8Array> {
  onProgress?.({ phase, done: 0, total: bytes.length });
  for (let off = 0; off < bytes.length; off += chunkBytes) {
    yield bytes.subarray(off, Math.min(bytes.length, off + chunkBytes));
    onProgress?.({ phase, done: Math.min(bytes.length, off + chunkBytes), total: bytes.length });
  }
}
