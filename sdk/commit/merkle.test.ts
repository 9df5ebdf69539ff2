import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bytesToHex, type Hex } from 'viem';
import { MerkleTree, merkleDepth, merkleRoot, processRangeProof, verifyRangeProof } from './merkle.ts';

/** The spec's definition, written recursively and independently of the implementation. */
function referenceRoot(leaves: Uint8Array[]): Uint8Array {
  const d = merkleDepth(leaves.length);
  const padded = [...leaves];
  while (padded.length < 2 ** d) padded.push(new Uint8Array(32));
  const node = (lo: number, size: number): Uint8Array => {
    if (size === 1) return padded[lo] as Uint8Array;
    const h = createHash('sha256');
    h.update(node(lo, size / 2));
    h.update(node(lo + size / 2, size / 2));
    return h.digest();
  };
  return node(0, padded.length);
}

const leafList = fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: 1, maxLength: 70 });
const concat = (xs: Uint8Array[]): Uint8Array => Uint8Array.from(xs.flatMap((x) => [...x]));

describe('merkle', () => {
  it('merkleRoot equals the recursive definition for any leaf count', () => {
    fc.assert(
      fc.property(leafList, (leaves) => {
        assert.equal(bytesToHex(merkleRoot(concat(leaves))), bytesToHex(referenceRoot(leaves)));
      }),
    );
  });

  it('every contiguous range proof leads back to the root', () => {
    fc.assert(
      fc.property(leafList, fc.nat(), fc.nat(), (leaves, a, b) => {
        const n = leaves.length;
        const start = a % n;
        const count = 1 + (b % (n - start));
        const tree = new MerkleTree(concat(leaves));
        const proof = tree.rangeProof(start, count);
        const got = processRangeProof(concat(leaves.slice(start, start + count)), n, proof);
        assert.equal(bytesToHex(got), tree.root);
      }),
    );
  });

  it('a changed leaf, sibling, position or sibling count is rejected', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: 2, maxLength: 40 }), fc.nat(), fc.nat(), (leaves, a, bit) => {
        const n = leaves.length;
        const start = a % n;
        const tree = new MerkleTree(concat(leaves));
        const proof = tree.rangeProof(start, 1);
        const leaf = leaves[start] as Uint8Array;
        assert.ok(verifyRangeProof(tree.root, leaf, n, proof));
        const flipped = leaf.slice();
        flipped[bit % 32] = (flipped[bit % 32] as number) ^ (1 << (bit % 8));
        assert.ok(!verifyRangeProof(tree.root, flipped, n, proof), 'flipped leaf');
        if (proof.siblings.length > 0) {
          const sibs = [...proof.siblings];
          const i = bit % sibs.length;
          sibs[i] = bytesToHex(flipped);
          if (sibs[i] !== proof.siblings[i]) assert.ok(!verifyRangeProof(tree.root, leaf, n, { ...proof, siblings: sibs }), 'changed sibling');
          assert.ok(!verifyRangeProof(tree.root, leaf, n, { ...proof, siblings: proof.siblings.slice(1) }), 'missing sibling');
          assert.ok(!verifyRangeProof(tree.root, leaf, n, { ...proof, siblings: [...proof.siblings, proof.siblings[0] as Hex] }), 'extra sibling');
        }
        const other = (start + 1) % n;
        if (bytesToHex(leaves[other] as Uint8Array) !== bytesToHex(leaf)) {
          assert.ok(!verifyRangeProof(tree.root, leaf, n, { ...proof, start: other }), 'moved position');
        }
      }),
    );
  });

  it('rejects ranges outside the tree with a clear message', () => {
    const tree = new MerkleTree(new Uint8Array(32 * 5));
    assert.throws(() => tree.rangeProof(4, 2), /leaf range \[4, 6\) is outside a tree of 5 leaves/);
    assert.throws(() => merkleRoot(new Uint8Array(0)), /non-empty multiple of 32/);
  });
});
