/**
 * The embedded ContentStore: a Helia node on a filesystem blockstore and datastore under one
 * directory (blocks/, data/), so pinned content survives restarts. Given the libp2p node of
 * sdk/p2p it fetches and serves blocks over bitswap on that node (one node, one peer id); without
 * one it is an offline store.
 */
import path from 'node:path';
import { unixfs, type UnixFS } from '@helia/unixfs';
import type { Libp2p } from '@libp2p/interface';
import { FsBlockstore } from 'blockstore-fs';
import { FsDatastore } from 'datastore-fs';
import { createHeliaLight, type Helia } from 'helia';
import { withBitswap } from '@helia/bitswap';
import { CID } from 'multiformats/cid';
import { ContentError } from '../errors.ts';
import { silentLogger, type Logger } from '../log.ts';
import { boundAndVerify, deadline, toContentError } from './stream.ts';
import { DEFAULT_STORE_LIMITS, type ContentStore, type StoreLimits } from './types.ts';

export interface HeliaStoreOptions {
  /** Directory of the blockstore (`blocks/`) and datastore (`data/`, pins live here). */
  readonly directory: string;
  /** A libp2p node (from createP2PNode) to fetch and serve blocks over bitswap. It must be started before the store, and is stopped by its owner. */
  readonly libp2p?: Libp2p | undefined;
  readonly logger?: Logger | undefined;
  readonly limits?: Partial<StoreLimits> | undefined;
}

export interface HeliaStore extends ContentStore {
  readonly kind: 'helia';
  /** The Helia node, for callers that need more than the ContentStore interface (available after start). */
  readonly helia: Helia;
}

async function drain(source: AsyncIterable<unknown>): Promise<void> {
  const it = source[Symbol.asyncIterator]();
  for (let r = await it.next(); r.done !== true; r = await it.next()) {
    /* consume */
  }
}

export function parseCid(cid: string): CID {
  try {
    return CID.parse(cid);
  } catch (err) {
    throw new ContentError('CONTENT_INVALID', `not a CID: ${cid.slice(0, 100)}`, { details: { cid: cid.slice(0, 100) }, cause: err });
  }
}

export function createHeliaStore(options: HeliaStoreOptions): HeliaStore {
  const log = (options.logger ?? silentLogger).child({ component: 'storage', store: 'helia' });
  const limits: StoreLimits = { ...DEFAULT_STORE_LIMITS, ...options.limits };
  let helia: Helia | undefined;
  let fs: UnixFS | undefined;
  let blockstore: FsBlockstore | undefined;
  let datastore: FsDatastore | undefined;

  const started = (): { helia: Helia; fs: UnixFS } => {
    if (helia === undefined || fs === undefined) throw new ContentError('STORAGE_FAILED', 'the Helia store is not started');
    return { helia, fs };
  };

  return {
    kind: 'helia',
    get helia() {
      return started().helia;
    },

    async start() {
      if (helia !== undefined) return;
      blockstore = new FsBlockstore(path.join(options.directory, 'blocks'));
      datastore = new FsDatastore(path.join(options.directory, 'data'));
      await blockstore.open();
      await datastore.open();
      const node = createHeliaLight({ blockstore, datastore });
      if (options.libp2p !== undefined) {
        // Helia's bitswap runs on the libp2p node it finds on `helia.libp2p`; lend it ours.
        withBitswap(Object.assign(node, { libp2p: options.libp2p }));
      }
      await node.start();
      helia = node;
      fs = unixfs(node);
      log.info('started', { directory: options.directory, online: options.libp2p !== undefined });
    },

    async stop() {
      if (helia === undefined) return;
      const node = helia;
      helia = undefined;
      fs = undefined;
      await node.stop();
      await blockstore?.close();
      await datastore?.close();
      log.info('stopped');
    },

    async put(content, opts = {}) {
      const { helia: node, fs: ufs } = started();
      const signal = deadline(opts.signal, limits.timeoutMs);
      try {
        const source = content instanceof Uint8Array ? [content] : content;
        const cid = await ufs.addByteStream(source, { signal });
        if (opts.pin ?? true) {
          if (!(await node.pins.isPinned(cid, { signal }))) {
            await drain(node.pins.add(cid, { signal })); // walks the DAG, all local
          }
        }
        log.debug('put', { cid: cid.toString() });
        return cid.toString();
      } catch (err) {
        throw toContentError(err, '(new content)', opts.signal, 'put');
      }
    },

    get(cid, opts) {
      const { fs: ufs } = started();
      const parsed = parseCid(cid);
      const signal = deadline(opts.signal, limits.timeoutMs);
      const source = async function* (): AsyncGenerator<Uint8Array> {
        try {
          const stat = await ufs.stat(parsed, { signal, offline: opts.offline ?? false });
          if (Number(stat.size) > opts.maxBytes) {
            throw new ContentError('CONTENT_TOO_LARGE', `${cid} declares ${stat.size} bytes, the bound is ${opts.maxBytes}`, {
              details: { cid, size: Number(stat.size), maxBytes: opts.maxBytes },
            });
          }
          yield* boundAndVerify(ufs.cat(parsed, { signal, offline: opts.offline ?? false }), cid, opts.maxBytes, opts.expected);
        } catch (err) {
          throw toContentError(err, cid, opts.signal, 'get');
        }
      };
      return source();
    },

    async stat(cid, opts = {}) {
      const { fs: ufs } = started();
      const parsed = parseCid(cid);
      try {
        const stat = await ufs.stat(parsed, { signal: deadline(opts.signal, limits.timeoutMs), offline: opts.offline ?? false });
        if (stat.type === 'directory') throw new ContentError('CONTENT_INVALID', `${cid} is a directory, not a file`, { details: { cid } });
        return { size: Number(stat.size) };
      } catch (err) {
        throw toContentError(err, cid, opts.signal, 'stat');
      }
    },

    async pin(cid, opts = {}) {
      const { helia: node } = started();
      const parsed = parseCid(cid);
      const signal = deadline(opts.signal, limits.timeoutMs);
      try {
        if (await node.pins.isPinned(parsed, { signal })) return;
        if (opts.offline === true && !(await this.has(cid, { signal }))) {
          throw new ContentError('CONTENT_UNAVAILABLE', `${cid} is not held locally`, { details: { cid } });
        }
        await drain(node.pins.add(parsed, { signal })); // fetches and keeps every block
        log.debug('pinned', { cid });
      } catch (err) {
        throw toContentError(err, cid, opts.signal, 'pin');
      }
    },

    async unpin(cid, opts = {}) {
      const { helia: node } = started();
      const parsed = parseCid(cid);
      try {
        if (!(await node.pins.isPinned(parsed, { signal: deadline(opts.signal, limits.timeoutMs) }))) return;
        await drain(node.pins.rm(parsed, { signal: deadline(opts.signal, limits.timeoutMs) }));
        log.debug('unpinned', { cid });
      } catch (err) {
        throw toContentError(err, cid, opts.signal, 'unpin');
      }
    },

    async isPinned(cid, opts = {}) {
      const { helia: node } = started();
      return node.pins.isPinned(parseCid(cid), { signal: deadline(opts.signal, limits.timeoutMs) });
    },

    async has(cid, opts = {}) {
      const { fs: ufs } = started();
      const parsed = parseCid(cid);
      try {
        // An offline traversal fails on the first missing block.
        await ufs.stat(parsed, { signal: deadline(opts.signal, limits.timeoutMs), offline: true, extended: true });
        return true;
      } catch {
        if (opts.signal?.aborted === true) throw opts.signal.reason;
        return false;
      }
    },
  };
}
