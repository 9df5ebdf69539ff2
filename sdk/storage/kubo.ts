/**
 * The production ContentStore: a Kubo node over its RPC API (kubo-rpc-client, the successor of
 * ipfs-http-client). Content is added as CIDv1 with raw leaves and 1 MiB chunks, the parameters the
 * embedded store uses; files up to 1 MiB get the same CID in both (one raw block), so a job spec's
 * CID is specCid(spec) either way. Larger files match only when Kubo is configured with 1024 links
 * per node (`Import.UnixFSFileMaxLinks`, or the `unixfs-v1-2025` import profile). Verification is
 * against protocol roots, never CIDs alone, so a different layout is a different CID, not a fault.
 * Kubo checks every block it fetches against its CID; the byte bound, the declared-size check and the
 * optional SHA-256 are applied here, on the stream.
 */
import { create, type KuboRPCClient } from 'kubo-rpc-client';
import { ContentError } from '../errors.ts';
import { silentLogger, type Logger } from '../log.ts';
import { parseCid } from './helia.ts';
import { boundAndVerify, deadline, toContentError } from './stream.ts';
import { DEFAULT_STORE_LIMITS, type ContentStore, type StoreLimits } from './types.ts';

export interface KuboStoreOptions {
  /** The Kubo RPC API, e.g. http://127.0.0.1:5001 (VERITRAIN_KUBO_URL). */
  readonly url: string;
  readonly logger?: Logger | undefined;
  readonly limits?: Partial<StoreLimits> | undefined;
}

export interface KuboStore extends ContentStore {
  readonly kind: 'kubo';
}

export const KUBO_ADD_OPTIONS = { cidVersion: 1, rawLeaves: true, chunker: 'size-1048576' } as const;

export function createKuboStore(options: KuboStoreOptions): KuboStore {
  const log = (options.logger ?? silentLogger).child({ component: 'storage', store: 'kubo' });
  const limits: StoreLimits = { ...DEFAULT_STORE_LIMITS, ...options.limits };
  let client: KuboRPCClient | undefined;

  const started = (): KuboRPCClient => {
    if (client === undefined) throw new ContentError('STORAGE_FAILED', 'the Kubo store is not started');
    return client;
  };

  const has = async (cid: string, signal?: AbortSignal): Promise<boolean> => {
    const stat = await started().files.stat(`/ipfs/${parseCid(cid).toString()}`, { withLocal: true, signal: deadline(signal, limits.timeoutMs) });
    return stat.local === true;
  };

  return {
    kind: 'kubo',

    async start() {
      if (client !== undefined) return;
      const c = create({ url: options.url });
      const id = await c.id({ signal: AbortSignal.timeout(10_000) }).catch((err: unknown) => {
        throw new ContentError('STORAGE_FAILED', `no Kubo RPC API at ${options.url}`, { details: { url: options.url }, cause: err });
      });
      client = c;
      log.info('started', { url: options.url, peerId: id.id.toString(), agent: id.agentVersion });
    },

    stop() {
      client = undefined;
      log.info('stopped');
      return Promise.resolve();
    },

    async put(content, opts = {}) {
      const c = started();
      try {
        const result = await c.add(content, { ...KUBO_ADD_OPTIONS, pin: opts.pin ?? true, signal: deadline(opts.signal, limits.timeoutMs) });
        return result.cid.toString();
      } catch (err) {
        throw toContentError(err, '(new content)', opts.signal, 'put');
      }
    },

    get(cid, opts) {
      const c = started();
      const parsed = parseCid(cid);
      const signal = deadline(opts.signal, limits.timeoutMs);
      const source = async function* (): AsyncGenerator<Uint8Array> {
        try {
          if (opts.offline === true && !(await has(cid, signal)))
            throw new ContentError('CONTENT_UNAVAILABLE', `${cid} is not held locally`, { details: { cid } });
          const stat = await c.files.stat(`/ipfs/${parsed.toString()}`, { signal });
          if (stat.type !== 'file') throw new ContentError('CONTENT_INVALID', `${cid} is a ${stat.type}, not a file`, { details: { cid } });
          if (stat.size > opts.maxBytes)
            throw new ContentError('CONTENT_TOO_LARGE', `${cid} declares ${stat.size} bytes, the bound is ${opts.maxBytes}`, {
              details: { cid, size: stat.size, maxBytes: opts.maxBytes },
            });
          yield* boundAndVerify(c.cat(parsed, { signal }), cid, opts.maxBytes, opts.expected);
        } catch (err) {
          throw toContentError(err, cid, opts.signal, 'get');
        }
      };
      return source();
    },

    async stat(cid, opts = {}) {
      const c = started();
      const parsed = parseCid(cid);
      try {
        if (opts.offline === true && !(await has(cid, opts.signal)))
          throw new ContentError('CONTENT_UNAVAILABLE', `${cid} is not held locally`, { details: { cid } });
        const stat = await c.files.stat(`/ipfs/${parsed.toString()}`, { signal: deadline(opts.signal, limits.timeoutMs) });
        if (stat.type !== 'file') throw new ContentError('CONTENT_INVALID', `${cid} is a ${stat.type}, not a file`, { details: { cid } });
        return { size: stat.size };
      } catch (err) {
        throw toContentError(err, cid, opts.signal, 'stat');
      }
    },

    async pin(cid, opts = {}) {
      const c = started();
      const parsed = parseCid(cid);
      try {
        if (opts.offline === true && !(await has(cid, opts.signal)))
          throw new ContentError('CONTENT_UNAVAILABLE', `${cid} is not held locally`, { details: { cid } });
        await c.pin.add(parsed, { recursive: true, signal: deadline(opts.signal, limits.timeoutMs) });
      } catch (err) {
        throw toContentError(err, cid, opts.signal, 'pin');
      }
    },

    async unpin(cid, opts = {}) {
      const c = started();
      const parsed = parseCid(cid);
      try {
        if (!(await this.isPinned(cid, opts))) return;
        await c.pin.rm(parsed, { recursive: true, signal: deadline(opts.signal, limits.timeoutMs) });
      } catch (err) {
        throw toContentError(err, cid, opts.signal, 'unpin');
      }
    },

    async isPinned(cid, opts = {}) {
      const c = started();
      const parsed = parseCid(cid);
      try {
        for await (const p of c.pin.ls({ paths: parsed, signal: deadline(opts.signal, limits.timeoutMs) })) {
          if (p.type === 'recursive' || p.type === 'direct') return true;
        }
        return false;
      } catch (err) {
        // Kubo answers "not pinned" with an error.
        if (err instanceof Error && /not pinned/i.test(err.message)) return false;
        throw toContentError(err, cid, opts.signal, 'pin ls');
      }
    },

    async has(cid, opts = {}) {
      try {
        return await has(cid, opts.signal);
      } catch {
        if (opts.signal?.aborted === true) throw opts.signal.reason;
        return false;
      }
    },
  };
}
