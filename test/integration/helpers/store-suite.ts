/**
 * The ContentStore suite: the same assertions for every implementation (embedded Helia, and Kubo
 * when VERITRAIN_KUBO_URL is set). `open` returns a started store over the same backing each time,
 * so closing and reopening shows what survives a restart.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it, after } from 'node:test';
import {
  ContentError,
  datasetRoot,
  fetchDataset,
  fetchJobSpec,
  fetchState,
  getBytes,
  putDataset,
  putJobSpec,
  putState,
  parseJobSpec,
  sha256Hex,
  specCid,
  specHash,
  stateRoot,
  type ContentStore,
} from '../../../sdk/index.ts';
import { exampleSpec } from '../../../sdk/testing/index.ts';
import { makeState } from './states.ts';

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of source) parts.push(c);
  return Buffer.concat(parts);
}

// eslint-disable-next-line @typescript-eslint/require-await -- put() takes an AsyncIterable
async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let off = 0; off < bytes.length; off += size) yield bytes.subarray(off, off + size);
}

const isContentError =
  (code: string) =>
  (err: unknown): boolean =>
    err instanceof ContentError && err.code === code;

export function contentStoreSuite(name: string, open: () => Promise<ContentStore>): void {
  describe(`ContentStore (${name})`, () => {
    const opened: ContentStore[] = [];
    const openStore = async (): Promise<ContentStore> => {
      const s = await open();
      opened.push(s);
      return s;
    };
    after(async () => {
      for (const s of opened) await s.stop();
    });

    it('puts bytes and a stream of the same content under one CID and streams it back', async () => {
      const store = await openStore();
      const data = randomBytes(3 * 1024 * 1024 + 17);
      const cid = await store.put(data);
      assert.equal(await store.put(chunked(data, 65_536)), cid);
      assert.match(cid, /^baf/);
      assert.deepEqual(await collect(store.get(cid, { maxBytes: data.length, expected: { sha256: sha256Hex(data) } })), data);
      assert.equal((await store.stat(cid)).size, data.length);
    });

    it('verifies a checkpoint against its state root and rejects a wrong root', async () => {
      const store = await openStore();
      const state = makeState(7, 2 * 1024 * 1024);
      const cid = await putState(store, state);
      const back = await fetchState(store, cid, stateRoot(state));
      assert.equal(stateRoot(back), stateRoot(state));
      await assert.rejects(fetchState(store, cid, stateRoot(makeState(8, 1024))), isContentError('CONTENT_INVALID'));
      // Content that is not a state file at all.
      const junk = await store.put(randomBytes(1000));
      await assert.rejects(fetchState(store, junk, stateRoot(state)), isContentError('CONTENT_INVALID'));
    });

    it('bounds what it reads and checks an expected SHA-256', async () => {
      const store = await openStore();
      const data = randomBytes(2 * 1024 * 1024);
      const cid = await store.put(data);
      await assert.rejects(getBytes(store, cid, { maxBytes: data.length - 1 }), isContentError('CONTENT_TOO_LARGE'));
      await assert.rejects(collect(store.get(cid, { maxBytes: 1024 })), isContentError('CONTENT_TOO_LARGE'));
      await assert.rejects(getBytes(store, cid, { maxBytes: data.length, expected: { sha256: sha256Hex(randomBytes(4)) } }), isContentError('CONTENT_INVALID'));
      assert.throws(() => store.get('not-a-cid', { maxBytes: 10 }), isContentError('CONTENT_INVALID'));
    });

    it('stores a job spec under specCid and fetches it by specHash; a dataset by its root', async () => {
      const store = await openStore();
      const spec = parseJobSpec(exampleSpec());
      assert.equal(await putJobSpec(store, spec), specCid(spec));
      // Decoding gives fp32-rounded hyper-parameters: compare the canonical identity.
      assert.equal(specHash(await fetchJobSpec(store, specHash(spec))), specHash(spec));
      const records = randomBytes(785 * 300);
      const cid = await putDataset(store, records);
      assert.deepEqual(Buffer.from(await fetchDataset(store, cid, { datasetRoot: datasetRoot(records, 785), recordBytes: 785 })), records);
      await assert.rejects(fetchDataset(store, cid, { datasetRoot: datasetRoot(records, 785), recordBytes: 784 }), isContentError('CONTENT_INVALID'));
    });

    it('pins, unpins and keeps pinned content when the store is closed and reopened', async () => {
      let store = await openStore();
      const data = randomBytes(1_500_000);
      const cid = await store.put(data, { pin: false });
      assert.equal(await store.isPinned(cid), false);
      assert.equal(await store.has(cid), true);
      await store.pin(cid);
      assert.equal(await store.isPinned(cid), true);
      const other = await store.put(randomBytes(1000));
      await store.unpin(other);
      assert.equal(await store.isPinned(other), false);
      await store.stop();
      store = await openStore();
      assert.equal(await store.isPinned(cid), true);
      assert.equal(await store.has(cid), true);
      assert.deepEqual(Buffer.from(await getBytes(store, cid, { maxBytes: data.length, offline: true })), data);
    });
  });
}
