import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bytesToHex, type Hex } from 'viem';
import { DatasetError } from '../errors.ts';
import { batchIndices, batchRecordIndex, datasetRoot, DatasetTree, verifyRecord } from './dataset.ts';
import { sha256 } from './sha256.ts';

const SEED: Hex = `0x${'ab'.repeat(32)}`;

describe('dataset commitments', () => {
  it('proves every record and rejects a changed one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 20 }), fc.nat(), (count, size, pick) => {
        const records = Uint8Array.from({ length: count * size }, (_, i) => (i * 31 + 7) & 0xff);
        const tree = new DatasetTree(records, size);
        assert.equal(tree.root, datasetRoot(records, size));
        const i = pick % count;
        assert.ok(verifyRecord(tree.root, count, tree.record(i), tree.prove(i)));
        const bad = tree.record(i).slice();
        bad[0] = (bad[0] as number) ^ 0x80;
        assert.ok(!verifyRecord(tree.root, count, bad, tree.prove(i)));
      }),
      { numRuns: 60 },
    );
  });

  it('rejects a dataset that is not whole records', () => {
    assert.throws(() => datasetRoot(new Uint8Array(10), 3), DatasetError);
    assert.throws(() => datasetRoot(new Uint8Array(10), 3), /not a non-empty whole number of 3-byte records/);
  });
});

describe('batch selection', () => {
  it('is uint256(H(seed || u64 step || u32 slot)) mod R', () => {
    const msg = new Uint8Array(44);
    msg.set(new Uint8Array(32).fill(0xab));
    new DataView(msg.buffer).setBigUint64(32, 7n);
    new DataView(msg.buffer).setUint32(40, 3);
    assert.equal(batchRecordIndex(SEED, 7n, 3, 1000n), BigInt(bytesToHex(sha256(msg))) % 1000n);
  });

  it('is deterministic, within range, and differs between steps', () => {
    const a = batchIndices(SEED, 0n, 64, 10_000n);
    assert.deepEqual(a, batchIndices(SEED, 0n, 64, 10_000n));
    assert.ok(a.every((i) => i >= 0n && i < 10_000n));
    assert.notDeepEqual(a, batchIndices(SEED, 1n, 64, 10_000n));
  });

  it('covers records about uniformly', () => {
    const counts = new Array<number>(10).fill(0);
    for (let step = 0n; step < 100n; step++) for (const i of batchIndices(SEED, step, 100, 10n)) counts[Number(i)] = (counts[Number(i)] ?? 0) + 1;
    // 10,000 draws over 10 records: each expects 1000, sd ~30.
    assert.ok(
      counts.every((c) => c > 850 && c < 1150),
      `counts ${counts.join(',')}`,
    );
  });
});
