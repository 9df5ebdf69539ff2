import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bytesToHex } from 'viem';
import { ProofError, TensorError } from '../errors.ts';
import { createRootHasher } from './root-hasher.ts';
import { sha256 } from './sha256.ts';
import { stateRoot } from './state.ts';
import {
  encodeShape,
  openTensor,
  STATE_LEAF_BYTES,
  tensorRoot,
  tensorRootBytes,
  TensorTree,
  TRACE_LEAF_BYTES,
  verifyTensorOpening,
  type Tensor,
} from './tensor.ts';

const shapeArb = fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 0, maxLength: 3 });
const tensorArb = shapeArb.chain((shape) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return fc.float32Array({ minLength: n, maxLength: n }).map((data): Tensor => ({ shape, data }));
});

describe('tensor commitments', () => {
  it('encodes shapes as dtype, rank and big-endian dims', () => {
    assert.equal(bytesToHex(encodeShape([784, 128])), '0x0102000003100000008' + '0');
    assert.equal(bytesToHex(encodeShape([])), '0x0100');
  });

  it('a one-leaf tensor root is H(shape || H(zero-padded leaf))', () => {
    const data = new Float32Array([1, -2, 0.5]);
    const leaf = new Uint8Array(2048);
    leaf.set(new Uint8Array(data.buffer));
    const expected = sha256(Uint8Array.from([...encodeShape([3]), ...sha256(leaf)]));
    assert.equal(tensorRoot({ shape: [3], data }), bytesToHex(expected));
  });

  it('the shape is committed: same data, other shape, other root', () => {
    const data = new Float32Array(12).fill(1);
    assert.notEqual(tensorRoot({ shape: [3, 4], data }), tensorRoot({ shape: [4, 3], data }));
  });

  it('any element range opens and verifies to its values, in both layouts', () => {
    fc.assert(
      fc.property(tensorArb, fc.nat(), fc.nat(), fc.boolean(), (t, a, b, trace) => {
        const leafBytes = trace ? TRACE_LEAF_BYTES : STATE_LEAF_BYTES;
        const n = t.data.length;
        const first = a % n;
        const count = 1 + (b % Math.min(n - first, (3 * leafBytes) / 4));
        const tree = new TensorTree(t, leafBytes);
        const values = verifyTensorOpening(tree.root, tree.open(first, count));
        assert.deepEqual(new Uint8Array(values.buffer), new Uint8Array(t.data.buffer, first * 4, count * 4));
      }),
      { numRuns: 50 },
    );
  });

  it('the trace layout hashes 128-byte leaves: another root for the same tensor', () => {
    const data = Float32Array.from({ length: 50 }, (_, i) => i);
    const leaf = (k: number): Uint8Array => {
      const b = new Uint8Array(128);
      b.set(new Uint8Array(data.buffer, 128 * k, Math.min(128, 200 - 128 * k)));
      return sha256(b);
    };
    const dataRoot = sha256(Uint8Array.from([...leaf(0), ...leaf(1)]));
    const expected = sha256(Uint8Array.from([...encodeShape([50]), ...dataRoot]));
    assert.equal(bytesToHex(tensorRootBytes({ shape: [50], data }, TRACE_LEAF_BYTES)), bytesToHex(expected));
    assert.notEqual(tensorRoot({ shape: [50], data }), bytesToHex(expected));
  });

  it('a tampered opening fails with ProofError', () => {
    const t: Tensor = { shape: [3, 700], data: Float32Array.from({ length: 2100 }, (_, i) => i * 0.25) };
    const root = tensorRoot(t);
    const opening = openTensor(t, 600, 10);
    const leaves = opening.leaves.slice();
    leaves[100] = (leaves[100] as number) ^ 1;
    assert.throws(() => verifyTensorOpening(root, { ...opening, leaves }), ProofError);
    assert.throws(() => verifyTensorOpening(root, { ...opening, shape: [700, 3] }), ProofError);
    assert.throws(() => verifyTensorOpening(root, { ...opening, first: 2095, count: 10 }), TensorError);
  });

  it('rejects data that does not fit the shape, and bad shapes', () => {
    assert.throws(() => tensorRoot({ shape: [2, 3], data: new Float32Array(5) }), /shape \[2, 3\] needs 6 elements but the data has 5/);
    assert.throws(() => tensorRoot({ shape: [0], data: new Float32Array(0) }), /dimension 0 must be an integer/);
    assert.throws(() => tensorRoot({ shape: [1, 1, 1, 1, 1, 1, 1, 1, 1], data: new Float32Array(1) }), /rank 9 exceeds/);
  });
});

describe('state roots', () => {
  it('the worker pool gives the same root as the calling thread', async () => {
    const big = (shape: number[], seed: number): Tensor => ({
      shape,
      data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i + seed)),
    });
    // Sizes around the 1 MiB chunk and 256 KiB inline thresholds, and a partial last chunk.
    const state = [big([512, 1024], 1), big([100], 2), big([300, 1000], 3), big([1024, 300], 4), big([65_537], 5)];
    const hasher = createRootHasher({ threads: 2 });
    try {
      assert.equal(await hasher.stateRoot(state), stateRoot(state));
    } finally {
      await hasher.close();
    }
  });

  it('tensor order is committed', () => {
    const a: Tensor = { shape: [2], data: new Float32Array([1, 2]) };
    const b: Tensor = { shape: [2], data: new Float32Array([3, 4]) };
    assert.notEqual(stateRoot([a, b]), stateRoot([b, a]));
  });
});
