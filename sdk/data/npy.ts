/**
 * NPY (numpy's `np.save` format, versions 1-3) to records: a features array [N, ...] and a labels
 * array [N] (or [N, k] float targets). The header is a Python dict literal after a magic string:
 *
 *   \x93NUMPY <major> <minor> <header length: u16 LE (v1) or u32 LE (v2, v3)> {'descr': '<f4', 'fortran_order': False, 'shape': (N, 28, 28), }
 *
 * then the data, C order. Only little-endian numeric dtypes are read; Fortran order, big-endian,
 * object and structured dtypes are refused with the numpy call that fixes them.
 */
import { DatasetError } from '../errors.ts';
import { RecordWriter, toClass, toF32, type FeatureEncoding, type LabelEncoding, type RecordSet } from './record-set.ts';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** A parsed NPY array: dtype kind ('u' unsigned, 'i' signed, 'f' float) and item size, shape, and the data bytes. */
export interface NpyArray {
  /** As written in the header, e.g. `<f4`, `|u1`. */
  readonly descr: string;
  readonly kind: 'u' | 'i' | 'f';
  readonly itemSize: number;
  readonly shape: readonly number[];
  /** The data, exactly `shape` product × itemSize bytes. */
  readonly data: Uint8Array;
}

const DTYPE_NAMES: Readonly<Record<string, string>> = {
  b1: 'bool',
  u1: 'uint8',
  i1: 'int8',
  u2: 'uint16',
  i2: 'int16',
  u4: 'uint32',
  i4: 'int32',
  u8: 'uint64',
  i8: 'int64',
  f2: 'float16',
  f4: 'float32',
  f8: 'float64',
};
const dtypeName = (descr: string): string => DTYPE_NAMES[descr.replace(/^[<>|=]/, '')] ?? descr;

/**
 * Parses an NPY file. Throws DatasetError naming `source` for a bad magic string or version, an
 * unreadable header, Fortran order, a big-endian, object, structured or unsupported dtype, and data
 * shorter or longer than the shape says.
 */
export function parseNpy(bytes: Uint8Array, source = 'NPY'): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new DatasetError(`${source} is not an NPY file (it does not start with \\x93NUMPY)`);
  const major = bytes[6] as number;
  if (major < 1 || major > 3) throw new DatasetError(`${source} is NPY format version ${major}.${bytes[7] ?? 0}; versions 1 to 3 are read`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) throw new DatasetError(`${source} is truncated in its header`);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lengthBytes;
  if (bytes.length < start + headerLength) throw new DatasetError(`${source} is truncated: its header says ${headerLength} bytes, the file is shorter`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLength));
  const bad = (what: string): never => {
    throw new DatasetError(`${source} has an unreadable NPY header (${what}): ${header.trim().slice(0, 120)}`);
  };

  if (/'descr'\s*:\s*\[/.test(header)) throw new DatasetError(`${source} has a structured dtype (a record array); save a plain numeric array`);
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1] ?? bad("no 'descr'");
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1] ?? bad("no 'fortran_order'");
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1] ?? bad("no 'shape'");
  if (fortran === 'True') {
    throw new DatasetError(`${source} is in Fortran (column-major) order; save it in C order: np.save(file, np.ascontiguousarray(x))`);
  }
  const shape = shapeText
    .split(',')
    .map((d) => d.trim())
    .filter((d) => d !== '')
    .map((d) => (/^\d+$/.test(d) ? Number(d) : bad(`shape entry '${d}'`)));

  const m = /^([<>|=]?)([a-zA-Z])(\d*)$/.exec(descr);
  const order = m?.[1] ?? '';
  const kind = m?.[2] ?? '';
  const itemSize = Number(m?.[3] ?? '');
  if (kind === 'O') throw new DatasetError(`${source} holds Python objects (dtype '${descr}'); save a numeric array`);
  if (m === null || !['u', 'i', 'f'].includes(kind) || !(kind === 'f' ? [4, 8] : [1, 2, 4, 8]).includes(itemSize)) {
    throw new DatasetError(`${source} has dtype '${descr}' (${dtypeName(descr)}); supported: uint8, int8..int64, uint16..uint64, float32, float64`);
  }
  if (order === '>' && itemSize > 1) throw new DatasetError(`${source} is big-endian ('${descr}'); save it little-endian: x.astype('<${kind}${itemSize}')`);
  if (order === '=' && itemSize > 1)
    throw new DatasetError(`${source} has native byte order ('${descr}'), which is ambiguous; save it as '<${kind}${itemSize}'`);

  const elements = shape.reduce((a, b) => a * b, 1);
  const data = bytes.subarray(start + headerLength);
  if (data.length !== elements * itemSize) {
    throw new DatasetError(
      `${source} holds ${data.length} data bytes; shape (${shape.join(', ')}) of ${dtypeName(descr)} needs ${elements * itemSize}${data.length < elements * itemSize ? ' (truncated?)' : ''}`,
      { bytes: data.length, expected: elements * itemSize },
    );
  }
  return { descr, kind: kind as 'u' | 'i' | 'f', itemSize, shape, data };
}

/** Element `i` of an array as a number (64-bit integers as bigint). */
function reader(a: NpyArray): (i: number) => number | bigint {
  const v = new DataView(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  switch (`${a.kind}${a.itemSize}`) {
    case 'u1':
      return (i) => a.data[i] as number;
    case 'i1':
      return (i) => v.getInt8(i);
    case 'u2':
      return (i) => v.getUint16(2 * i, true);
    case 'i2':
      return (i) => v.getInt16(2 * i, true);
    case 'u4':
      return (i) => v.getUint32(4 * i, true);
    case 'i4':
      return (i) => v.getInt32(4 * i, true);
    case 'u8':
      return (i) => v.getBigUint64(8 * i, true);
    case 'i8':
      return (i) => v.getBigInt64(8 * i, true);
    case 'f4':
      return (i) => v.getFloat32(4 * i, true);
    default:
      return (i) => v.getFloat64(8 * i, true);
  }
}

export interface NpyRecordsOptions {
  /** Default: `u8-unit` for a uint8 features array, `f32` for float32 / float64. */
  readonly featureEncoding?: FeatureEncoding | undefined;
  /** Default: `class-u8` for integer labels, `f32` for float labels. */
  readonly labelEncoding?: LabelEncoding | undefined;
  /** Names the files in messages (default `features.npy`, `labels.npy`). */
  readonly featuresSource?: string | undefined;
  readonly labelsSource?: string | undefined;
}

/**
 * Records from two NPY files: features [N, ...] (uint8, float32 or float64) and labels [N]
 * (integers: class-u8; floats: f32 targets, also [N, k]). The per-record shape is [1] for [N],
 * [n] for [N, n], [H, W, 1] for [N, H, W] and [H, W, C] for [N, H, W, C]. A uint8 array under
 * `f32` stores fl32(v / 255), what `u8-unit` decodes to; float arrays need `f32`.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { npyRecords } from 'veritrain';
 * const set = npyRecords(readFileSync('x.npy'), readFileSync('y.npy'));
 * // x of shape (N, 28, 28) uint8: set.input = [28, 28, 1], u8-unit features, class-u8 labels
 * ```
 */
export function npyRecords(features: Uint8Array, labels: Uint8Array, options: NpyRecordsOptions = {}): RecordSet {
  const xs = options.featuresSource ?? 'features.npy';
  const ys = options.labelsSource ?? 'labels.npy';
  const x = parseNpy(features, xs);
  const y = parseNpy(labels, ys);
  const xType = `${x.kind}${x.itemSize}`;
  if (xType !== 'u1' && x.kind !== 'f') throw new DatasetError(`${xs} has dtype ${dtypeName(x.descr)}; features must be uint8, float32 or float64`);
  const featureEncoding = options.featureEncoding ?? (xType === 'u1' ? 'u8-unit' : 'f32');
  if (featureEncoding === 'u8-unit' && xType !== 'u1') {
    throw new DatasetError(`${xs} is ${dtypeName(x.descr)}; u8-unit features need a uint8 array (use f32, or x.astype(np.uint8) for byte values)`);
  }
  const labelEncoding = options.labelEncoding ?? (y.kind === 'f' ? 'f32' : 'class-u8');
  if (labelEncoding === 'class-u8' && y.kind === 'f')
    throw new DatasetError(`${ys} is ${dtypeName(y.descr)}; class-u8 labels need an integer array (or use f32 targets)`);

  const [n, ...rest] = x.shape;
  if (n === undefined) throw new DatasetError(`${xs} is a scalar; features need shape (N, ...)`);
  if (rest.length > 3) throw new DatasetError(`${xs} has shape (${x.shape.join(', ')}); records must be (N, n), (N, H, W) or (N, H, W, C)`);
  const input = rest.length === 0 ? [1] : rest.length === 2 ? [...rest, 1] : rest;
  if (input.some((d) => d === 0)) throw new DatasetError(`${xs} has shape (${x.shape.join(', ')}): a record has no values`);
  const labelShape = y.shape;
  if (labelShape.length === 0 || labelShape.length > 2 || (labelShape.length === 2 && labelEncoding === 'class-u8')) {
    throw new DatasetError(`${ys} has shape (${labelShape.join(', ')}); labels must be (N,)${labelEncoding === 'f32' ? ' or (N, k)' : ''}`);
  }
  if (labelShape[0] !== n) throw new DatasetError(`${xs} has ${n} records but ${ys} has ${labelShape[0] ?? 0} labels`, { records: n, labels: labelShape[0] });
  const width = labelShape[1] ?? 1;
  if (width === 0) throw new DatasetError(`${ys} has shape (${labelShape.join(', ')}): no targets`);

  const writer = new RecordWriter({ count: n, input, featureEncoding, labelEncoding, labelWidth: width, source: xs });
  const perRecord = writer.features;
  const getX = reader(x);
  const getY = reader(y);
  for (let r = 0; r < n; r++) {
    for (let f = 0; f < perRecord; f++) {
      const i = r * perRecord + f;
      if (xType === 'u1') writer.byte(r, f, getX(i) as number);
      else
        writer.float(
          r,
          f,
          toF32(getX(i) as number, () => `${xs} record ${r}, value ${f}`),
        );
    }
  }
  let maxClass = 0;
  for (let r = 0; r < n; r++) {
    if (labelEncoding === 'class-u8') {
      const k = toClass(getY(r), () => `${ys} record ${r}`);
      maxClass = Math.max(maxClass, k);
      writer.label(r, k);
    } else
      for (let o = 0; o < width; o++)
        writer.target(
          r,
          o,
          toF32(Number(getY(r * width + o)), () => `${ys} record ${r}, target ${o}`),
        );
  }
  return writer.finish({ outputs: labelEncoding === 'class-u8' ? maxClass + 1 : width });
}
