/**
 * The state file format (docs/PROTOCOL.md §2.7): how a checkpoint's tensors travel through IPFS.
 *
 *   "VTS1" | u32 count | count x shapeEncoding | zero pad to a multiple of 8 | count x fp32 LE data
 *
 * Data follows the headers back to back, so every tensor's data starts 4-byte aligned and
 * decodes as a view, without a copy. The file is only transport: the commitment is stateRoot.
 */
import { EncodingError } from '../errors.ts';
import { DTYPE_FP32, ELEMENT_BYTES, elementCount, encodeShape, MAX_RANK, tensorBytes, type Tensor } from './tensor.ts';

const MAGIC = [0x56, 0x54, 0x53, 0x31]; // "VTS1"
const MAX_TENSORS = 1 << 16;

function headerBytes(tensors: readonly Tensor[]): number {
  const shapes = tensors.reduce((n, t) => n + 2 + 4 * t.shape.length, 0);
  return Math.ceil((8 + shapes) / 8) * 8;
}

/** Size in bytes of the encoded state. */
export function encodedStateSize(tensors: readonly Tensor[]): number {
  return headerBytes(tensors) + tensors.reduce((n, t) => n + t.data.byteLength, 0);
}

/**
 * Encode tensors into `out` (a fresh buffer by default; pass a SharedArrayBuffer-backed one to
 * hash it on worker threads without another copy).
 */
export function encodeState(tensors: readonly Tensor[], out = new Uint8Array(encodedStateSize(tensors))): Uint8Array {
  if (tensors.length === 0 || tensors.length > MAX_TENSORS) throw new EncodingError(`a state holds 1..${MAX_TENSORS} tensors, got ${tensors.length}`);
  if (out.length !== encodedStateSize(tensors)) throw new EncodingError(`output buffer is ${out.length} bytes, the state needs ${encodedStateSize(tensors)}`);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  out.set(MAGIC, 0);
  view.setUint32(4, tensors.length);
  let off = 8;
  for (const t of tensors) {
    if (t.data.length !== elementCount(t.shape)) throw new EncodingError(`tensor of shape [${t.shape.join(', ')}] has ${t.data.length} elements`);
    const enc = encodeShape(t.shape);
    out.set(enc, off);
    off += enc.length;
  }
  out.fill(0, off, headerBytes(tensors));
  off = headerBytes(tensors);
  for (const t of tensors) {
    out.set(tensorBytes(t.data), off);
    off += t.data.byteLength;
  }
  return out;
}

/** Decode a state file; throws EncodingError naming what is wrong (magic, truncation, trailing bytes). */
export function decodeState(bytes: Uint8Array): Tensor[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (end: number, what: string): void => {
    if (end > bytes.length)
      throw new EncodingError(`state file is truncated: ${what} needs ${end} bytes, the file has ${bytes.length}`, { size: bytes.length, need: end });
  };
  need(8, 'the header');
  if (MAGIC.some((b, i) => bytes[i] !== b)) throw new EncodingError('not a Veritrain state file (bad magic)');
  const count = view.getUint32(4);
  if (count === 0 || count > MAX_TENSORS) throw new EncodingError(`state file declares ${count} tensors (allowed 1..${MAX_TENSORS})`);
  const shapes: number[][] = [];
  let off = 8;
  for (let i = 0; i < count; i++) {
    need(off + 2, `shape ${i}`);
    if (bytes[off] !== DTYPE_FP32) throw new EncodingError(`tensor ${i} has dtype code ${bytes[off]}, only fp32 (1) is defined`);
    const rank = bytes[off + 1] as number;
    if (rank > MAX_RANK) throw new EncodingError(`tensor ${i} has rank ${rank}, the maximum is ${MAX_RANK}`);
    need(off + 2 + 4 * rank, `shape ${i}`);
    shapes.push(Array.from({ length: rank }, (_, a) => view.getUint32(off + 2 + 4 * a)));
    off += 2 + 4 * rank;
  }
  off = Math.ceil(off / 8) * 8;
  need(off, 'the header padding');
  const tensors: Tensor[] = [];
  for (const [i, shape] of shapes.entries()) {
    let n: number;
    try {
      n = elementCount(shape);
    } catch (err) {
      throw new EncodingError(`tensor ${i} has an invalid shape [${shape.join(', ')}]`, { cause: err });
    }
    need(off + n * ELEMENT_BYTES, `tensor ${i} data`);
    const start = bytes.byteOffset + off;
    const data = start % ELEMENT_BYTES === 0 ? new Float32Array(bytes.buffer, start, n) : new Float32Array(bytes.slice(off, off + n * ELEMENT_BYTES).buffer);
    tensors.push({ shape, data });
    off += n * ELEMENT_BYTES;
  }
  if (off !== bytes.length) throw new EncodingError(`state file has ${bytes.length - off} trailing bytes`);
  return tensors;
}
