// Known-answer vectors from docs/PROTOCOL.md §2.8. A second implementation must reproduce them;
// if one changes here, the encoding changed and the spec's version must change with it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesToHex } from 'viem';
import {
  batchRecordIndex,
  MerkleTree,
  merkleRoot,
  parseJobSpec,
  specCid,
  specHash,
  stateRoot,
  tensorRoot,
  tensorRootBytes,
  TRACE_LEAF_BYTES,
  ZERO_HASHES,
} from './index.ts';
import { exampleSpec } from './spec/example-spec.ts';

describe('protocol vectors (docs/PROTOCOL.md §2.8)', () => {
  const leaves = new Uint8Array(96);
  leaves.fill(1, 0, 32);
  leaves.fill(2, 32, 64);
  leaves.fill(3, 64, 96);
  const a = { shape: [3], data: new Float32Array([1, -2, 0.5]) };
  const b = { shape: [2, 600], data: Float32Array.from({ length: 1200 }, (_, i) => i) };

  it('Merkle', () => {
    assert.equal(bytesToHex(ZERO_HASHES[1] as Uint8Array), '0xf5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb4b');
    assert.equal(bytesToHex(merkleRoot(leaves)), '0xd6cfa0d1046a0f4c1f9a6dc57afb0f4577680c106a48cf04125e7ba8606da219');
    assert.deepEqual(new MerkleTree(leaves).rangeProof(1, 2).siblings, [`0x${'01'.repeat(32)}`, `0x${'00'.repeat(32)}`]);
  });

  it('tensors and state', () => {
    assert.equal(tensorRoot(a), '0x9679d2c30fabbbe85b5f7677c7575b41f5d6b1deb0a788cd171fa7643a99e5dd');
    assert.equal(tensorRoot(b), '0x4f3842a3912d215c02126c05f24f2957956671d7bd1ce1b12fa2b9469cddfea9');
    assert.equal(stateRoot([a, b]), '0xde6b84fdd766b2443f0ae0d63c34afc2f94bf9bf698ba29eff4be9035054498c');
    assert.equal(bytesToHex(tensorRootBytes(b, TRACE_LEAF_BYTES)), '0xcada752099a8c46c54c37fc11a1e0a2d0949a0bfaabaf2dc40eb2b02568e637d');
  });

  it('batch selection and job spec', () => {
    assert.equal(batchRecordIndex(`0x${'ab'.repeat(32)}`, 7n, 3, 1000n), 349n);
    const spec = parseJobSpec(exampleSpec());
    assert.equal(specHash(spec), '0x7283d2c84bbe1f6a5e5c461902a9768004d5a0d9273179ca11cd863dce3a8158');
    assert.equal(specCid(spec), 'bafkreidsqpjmqs56d5vf4xcgdebks5uaatk2bwjhgf44ueonqy644oubla');
  });
});
