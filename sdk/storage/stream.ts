/**
 * Bounds and checks shared by every ContentStore: a byte bound and an optional SHA-256 over the
 * stream, a deadline, and collecting a stream into exactly one buffer.
 */
import { createHash } from 'node:crypto';
import { bytesToHex } from 'viem';
import { ContentError } from '../errors.ts';
import type { ContentStore, ExpectedContent, GetOptions } from './types.ts';

/** The caller's signal combined with a deadline of `timeoutMs`. */
export function deadline(signal: AbortSignal | undefined, timeoutMs: number): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
}

/**
 * Turns a failure of the backend into a ContentError. An abort of the caller's own signal is passed
 * on as the caller's reason; a deadline that passed is CONTENT_UNAVAILABLE.
 */
export function toContentError(err: unknown, cid: string, callerSignal: AbortSignal | undefined, action: string): unknown {
  if (err instanceof ContentError) return err;
  const reasonName = (callerSignal?.reason as { name?: unknown } | undefined)?.name;
  // A cancellation by the caller is the caller's; a deadline (ours or the caller's) means the content was not had in time.
  if (callerSignal?.aborted === true && reasonName !== 'TimeoutError') return callerSignal.reason;
  const name = err instanceof Error ? err.name : '';
  if (callerSignal?.aborted === true || name === 'TimeoutError' || name === 'AbortError') {
    return new ContentError('CONTENT_UNAVAILABLE', `${action} ${cid}: timed out`, { details: { cid }, cause: err });
  }
  return new ContentError('STORAGE_FAILED', `${action} ${cid} failed: ${err instanceof Error ? err.message : String(err)}`, { details: { cid }, cause: err });
}

/** Passes chunks through, throwing past `maxBytes` and, at the end, on a SHA-256 mismatch. */
export async function* boundAndVerify(
  source: AsyncIterable<Uint8Array>,
  cid: string,
  maxBytes: number,
  expected: ExpectedContent | undefined,
): AsyncGenerator<Uint8Array> {
  const hash = expected?.sha256 === undefined ? undefined : createHash('sha256');
  let total = 0;
  for await (const chunk of source) {
    total += chunk.byteLength;
    if (total > maxBytes) throw new ContentError('CONTENT_TOO_LARGE', `${cid} is larger than the bound of ${maxBytes} bytes`, { details: { cid, maxBytes } });
    hash?.update(chunk);
    yield chunk;
  }
  if (hash !== undefined && expected?.sha256 !== undefined) {
    const got = bytesToHex(hash.digest());
    if (got !== expected.sha256.toLowerCase()) {
      throw new ContentError('CONTENT_INVALID', `${cid} does not hash to the expected SHA-256`, { details: { cid, expected: expected.sha256, got } });
    }
  }
}

/**
 * Reads content into one buffer of exactly its declared size (bounded by `maxBytes`): the stream's
 * chunks are copied in as they arrive, so the content is held once. Throws ContentError when the
 * content is larger than the bound, shorter or longer than declared, or fails `expected`.
 */
export async function getBytes(store: ContentStore, cid: string, options: GetOptions): Promise<Uint8Array> {
  const { size } = await store.stat(cid, { signal: options.signal, offline: options.offline });
  if (size > options.maxBytes)
    throw new ContentError('CONTENT_TOO_LARGE', `${cid} declares ${size} bytes, the bound is ${options.maxBytes}`, {
      details: { cid, size, maxBytes: options.maxBytes },
    });
  const out = new Uint8Array(size);
  let off = 0;
  for await (const chunk of store.get(cid, { ...options, maxBytes: size })) {
    out.set(chunk, off);
    off += chunk.byteLength;
  }
  if (off !== size) throw new ContentError('CONTENT_INVALID', `${cid} declared ${size} bytes but held ${off}`, { details: { cid, size, got: off } });
  return out;
}
