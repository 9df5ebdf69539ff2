/**
 * Dataset commitments and batch selection (docs/PROTOCOL.md §2.4-2.5).
 *
 * A dataset is R fixed-size records concatenated; recordHash = SHA-256(record) and
 * datasetRoot = Merkle root over the record hashes. The batch of step j is a pure function of
 * (dataSeed, j), so anyone, the chain included, recomputes any batch element in O(1).
 */
import { bytesToHex, hexToBytes, type Hex } from 'viem';
import { DatasetError } from '../errors.ts';
import { MerkleTree, merkleRoot, processRangeProof, type RangeProof } from './merkle.ts';
import { HASH_BYTES, sha256 } from './sha256.ts';

function checkRecords(records: Uint8Array, recordBytes: number): number {
  if (!Number.isSafeInteger(recordBytes) || recordBytes < 1) throw new DatasetError(`record size must be a positive integer, got ${recordBytes}`);
  if (records.length === 0 || records.length % recordBytes !== 0) {
    throw new DatasetError(`dataset of ${records.length} bytes is not a non-empty whole number of ${recordBytes}-byte records`, {
      bytes: records.length,
      recordBytes,
    });
  }
  return records.length / recordBytes;
}

/** Hashes of every record (R * 32 bytes). */
export function recordHashes(records: Uint8Array, recordBytes: number): Uint8Array {
  const count = checkRecords(records, recordBytes);
  const out = new Uint8Array(count * HASH_BYTES);
  for (let i = 0; i < count; i++) out.set(sha256(records.subarray(i * recordBytes, (i + 1) * recordBytes)), i * HASH_BYTES);
  return out;
}

/** The commitment to a dataset of fixed-size records. */
export function datasetRoot(records: Uint8Array, recordBytes: number): Hex {
  return bytesToHex(merkleRoot(recordHashes(records, recordBytes)));
}

/** A dataset with its tree, for proving records (a verifier or a solver in a dispute). */
export class DatasetTree {
  readonly recordBytes: number;
  readonly recordCount: number;
  readonly root: Hex;
  readonly #records: Uint8Array;
  readonly #tree: MerkleTree;

  constructor(records: Uint8Array, recordBytes: number) {
    this.recordCount = checkRecords(records, recordBytes);
    this.recordBytes = recordBytes;
    this.#records = records;
    this.#tree = new MerkleTree(recordHashes(records, recordBytes));
    this.root = this.#tree.root;
  }

  record(index: number): Uint8Array {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.recordCount) {
      throw new DatasetError(`record ${index} is outside a dataset of ${this.recordCount} records`);
    }
    return this.#records.subarray(index * this.recordBytes, (index + 1) * this.recordBytes);
  }

  prove(index: number): RangeProof {
    return this.#tree.rangeProof(index, 1);
  }
}

/** True when `record` is record `proof.start` of the dataset with `root` and `recordCount` records. */
export function verifyRecord(root: Hex, recordCount: number, record: Uint8Array, proof: RangeProof): boolean {
  if (proof.count !== 1) return false;
  try {
    return bytesToHex(processRangeProof(sha256(record), recordCount, proof)) === root.toLowerCase();
  } catch {
    return false;
  }
}

/**
 * Index of the record at position `slot` of the batch of `step`:
 * uint256(SHA-256(dataSeed || uint64 step || uint32 slot)) mod recordCount  (big-endian integers).
 * Sampling with replacement; the modulo bias is below recordCount / 2^256.
 */
export function batchRecordIndex(dataSeed: Hex, step: bigint, slot: number, recordCount: bigint): bigint {
  const seed = hexToBytes(dataSeed);
  if (seed.length !== 32) throw new DatasetError(`dataSeed must be 32 bytes, got ${seed.length}`);
  if (step < 0n || step >= 2n ** 64n) throw new DatasetError(`step ${step} is outside uint64`);
  if (!Number.isInteger(slot) || slot < 0 || slot > 0xffff_ffff) throw new DatasetError(`batch slot ${slot} is outside uint32`);
  if (recordCount < 1n) throw new DatasetError('a dataset needs at least one record');
  const msg = new Uint8Array(32 + 8 + 4);
  msg.set(seed, 0);
  const view = new DataView(msg.buffer);
  view.setBigUint64(32, step);
  view.setUint32(40, slot);
  return BigInt(bytesToHex(sha256(msg))) % recordCount;
}

/** Record indices of the whole batch of `step`, in slot order. */
export function batchIndices(dataSeed: Hex, step: bigint, batchSize: number, recordCount: bigint): bigint[] {
  return Array.from({ length: batchSize }, (_, slot) => batchRecordIndex(dataSeed, step, slot, recordCount));
}
