// Differential tests: TypeScript commitments (sdk/) against the Solidity libraries (contracts/)
// on a real EVM (Hardhat's in-process network). Both sides must agree bit for bit, and both
// must reject tampered proofs.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { ContractReturnType } from '@nomicfoundation/hardhat-viem/types';
import { network } from 'hardhat';
import { bytesToHex, decodeAbiParameters, hexToBytes, type Hex } from 'viem';
import {
  batchRecordIndex,
  DatasetTree,
  encodeJobSpec,
  JOB_SPEC_ABI,
  MAX_FAN_IN,
  MerkleTree,
  parseJobSpec,
  specHash,
  STATE_LEAF_BYTES,
  tensorRootFromDataRoot,
  TensorTree,
  TRACE_LEAF_BYTES,
  verifyRangeProof,
  verifyTensorOpening,
  type JobSpecInput,
  type Tensor,
} from '../../sdk/index.ts';

const { viem } = await network.create();
const RUNS = { numRuns: 100 };

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => bytesToHex(b));
const leafHashes = fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: 1, maxLength: 100 });
const concat = (xs: Uint8Array[]): Uint8Array => Uint8Array.from(xs.flatMap((x) => [...x]));
const asWords = (b: Uint8Array): Hex[] => Array.from({ length: b.length / 32 }, (_, i) => bytesToHex(b.subarray(i * 32, i * 32 + 32)));

describe('commitments: TypeScript and Solidity agree', () => {
  let harness: ContractReturnType<'CommitmentHarness'>;
  before(async () => {
    harness = await viem.deployContract('CommitmentHarness');
  });

  it('Merkle range proofs give the same root, and tampering is rejected by both', async () => {
    await fc.assert(
      fc.asyncProperty(leafHashes, fc.nat(), fc.nat(), fc.nat(), async (leaves, a, b, t) => {
        const n = leaves.length;
        const start = a % n;
        const count = 1 + (b % (n - start));
        const tree = new MerkleTree(concat(leaves));
        const proof = tree.rangeProof(start, count);
        const opened = leaves.slice(start, start + count);
        const onChain = await harness.read.processRangeProof([asWords(concat(opened)), BigInt(start), BigInt(n), [...proof.siblings]]);
        assert.equal(onChain, tree.root);
        if (proof.siblings.length === 0) return;
        const sibs = [...proof.siblings];
        const i = t % sibs.length;
        sibs[i] = `0x${(sibs[i] as string).slice(2, 65)}${(sibs[i] as string).endsWith('0') ? '1' : '0'}`;
        assert.ok(!verifyRangeProof(tree.root, concat(opened), n, { ...proof, siblings: sibs }));
        assert.notEqual(await harness.read.processRangeProof([asWords(concat(opened)), BigInt(start), BigInt(n), sibs]), tree.root);
        await assert.rejects(harness.read.processRangeProof([asWords(concat(opened)), BigInt(start), BigInt(n), sibs.slice(1)]), /MerkleProofLengthInvalid/);
      }),
      RUNS,
    );
  });

  it('tensor openings in both layouts verify on-chain and decode to the same fp32 bits', async () => {
    const tensor = fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 3 }).chain((shape) => {
      const n = shape.reduce((x, y) => x * y, 1);
      return fc.float32Array({ minLength: n, maxLength: n }).map((data): Tensor => ({ shape, data }));
    });
    await fc.assert(
      fc.asyncProperty(tensor, fc.nat(), fc.nat(), fc.constantFrom(STATE_LEAF_BYTES, TRACE_LEAF_BYTES), async (t, a, b, leafBytes) => {
        const n = t.data.length;
        const first = a % n;
        const count = 1 + (b % Math.min(n - first, 600));
        const tree = new TensorTree(t, leafBytes);
        const opening = tree.open(first, count);
        const values = verifyTensorOpening(tree.root, opening);
        const args = [
          tree.root,
          [...t.shape],
          BigInt(first),
          BigInt(count),
          bytesToHex(opening.leaves),
          [...opening.proof.siblings],
          BigInt(leafBytes),
        ] as const;
        const [ok, bits] = await harness.read.openTensor(args);
        assert.ok(ok);
        assert.deepEqual([...bits], [...new Uint32Array(values.buffer)]);
        const tampered = opening.leaves.slice();
        const at = (first % (leafBytes / 4)) * 4;
        tampered[at] = (tampered[at] as number) ^ 1;
        const [bad] = await harness.read.openTensor([
          tree.root,
          [...t.shape],
          BigInt(first),
          BigInt(count),
          bytesToHex(tampered),
          [...opening.proof.siblings],
          BigInt(leafBytes),
        ]);
        assert.equal(bad, false);
        assert.throws(() => verifyTensorOpening(tree.root, { ...opening, leaves: tampered }));
      }),
      RUNS,
    );
  });

  it('tensor roots commit to the shape the same way', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 2 ** 32 - 1 }), { maxLength: 8 }), bytes32, async (shape, dataRoot) => {
        fc.pre(shape.reduce((x, y) => x * y, 1) <= 2 ** 31 - 1);
        const expected = bytesToHex(tensorRootFromDataRoot(shape, hexToBytes(dataRoot)));
        assert.equal(await harness.read.tensorRoot([shape, dataRoot]), expected);
      }),
      RUNS,
    );
  });

  it('batch selection picks the same records', async () => {
    await fc.assert(
      fc.asyncProperty(
        bytes32,
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.nat({ max: 2 ** 32 - 1 }),
        fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }),
        async (seed, step, slot, r) => {
          assert.equal(await harness.read.recordIndex([seed, step, slot, r]), batchRecordIndex(seed, step, slot, r));
        },
      ),
      RUNS,
    );
  });

  it('dataset record proofs verify on-chain; a changed record does not', async () => {
    const records = Uint8Array.from({ length: 37 * 785 }, (_, i) => (i * 131) & 0xff);
    const tree = new DatasetTree(records, 785);
    for (const i of [0, 17, 36]) {
      const proof = [...tree.prove(i).siblings];
      assert.ok(await harness.read.verifyRecord([tree.root, BigInt(i), 37n, bytesToHex(tree.record(i)), proof]));
      const bad = tree.record(i).slice();
      bad[784] = 9;
      assert.equal(await harness.read.verifyRecord([tree.root, BigInt(i), 37n, bytesToHex(bad), proof]), false);
    }
  });

  it('specHash is the same for random valid specs', async () => {
    const specArb = fc.record({
      layers: fc.array(fc.integer({ min: 1, max: MAX_FAN_IN }), { minLength: 1, maxLength: 6 }),
      classes: fc.integer({ min: 2, max: 256 }),
      activation: fc.constantFrom('relu', 'tanh', 'sigmoid' as const),
      lr: fc.double({ min: 1e-6, max: 10, noNaN: true }),
      momentum: fc.double({ min: 0, max: 0.99, noNaN: true }),
      k: fc.integer({ min: 1, max: 1000 }),
      intervals: fc.integer({ min: 1, max: 1024 }), // MAX_CHECKPOINTS
      batch: fc.integer({ min: 1, max: MAX_FAN_IN }),
      records: fc.integer({ min: 1, max: 2 ** 40 }),
      seeds: fc.tuple(bytes32, bytes32, bytes32, bytes32),
    });
    await fc.assert(
      fc.asyncProperty(specArb, async (r) => {
        const input: JobSpecInput = {
          version: 1,
          model: { layers: [...r.layers, r.classes], activation: r.activation, loss: 'softmax-xent', initSeed: r.seeds[0] },
          optimizer: { kind: 'sgd-momentum', learningRate: r.lr, momentum: r.momentum },
          training: { steps: r.k * r.intervals, checkpointInterval: r.k, batchSize: r.batch },
          data: {
            root: r.seeds[1],
            cid: 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy',
            recordCount: r.records,
            featureEncoding: 'u8-unit',
            labelEncoding: 'class-u8',
            seed: r.seeds[2],
          },
          dtype: 'fp32',
          graphRoot: r.seeds[3],
        };
        const spec = parseJobSpec(input);
        const [tuple] = decodeAbiParameters(JOB_SPEC_ABI, encodeJobSpec(spec));
        assert.equal(await harness.read.specHash([tuple]), specHash(spec));
      }),
      { numRuns: 20 },
    );
  });
});
