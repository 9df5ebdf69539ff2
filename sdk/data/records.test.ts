import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { datasetRoot } from '../commit/dataset.ts';
import { loadBatch } from '../engine/batch.ts';
import { DatasetError } from '../errors.ts';
import { completeSpec } from '../graph/complete.ts';
import { recordBytes } from '../spec/job-spec.ts';
import { csvRecords, imageFolderRecords, npyRecords, parseNpy, type RecordSet } from './records.ts';

const f32At = (set: RecordSet, r: number, byte: number): number =>
  new DataView(set.records.buffer, set.records.byteOffset).getFloat32(r * set.recordBytes + byte, true);

/** A DatasetError whose message matches `re`. */
const fails = (re: RegExp) => (err: unknown) => err instanceof DatasetError && re.test(err.message);

describe('csvRecords', () => {
  const iris = 'sepal_length,sepal_width,label\n5.1,3.5,0\n4.9,3.0,2\n6.2,2.9,1\n';

  it('takes a header, a label by name, f32 features in file order and class bytes', () => {
    const set = csvRecords(iris, { label: 'label', source: 'iris.csv' });
    assert.deepEqual(set.input, [2]);
    assert.equal(set.recordCount, 3);
    assert.equal(set.recordBytes, 2 * 4 + 1);
    assert.equal(set.featureEncoding, 'f32');
    assert.equal(set.labelEncoding, 'class-u8');
    assert.equal(set.outputs, 3, 'largest label + 1');
    assert.equal(set.classes, undefined);
    assert.equal(f32At(set, 1, 0), Math.fround(4.9));
    assert.equal(f32At(set, 1, 4), Math.fround(3.0));
    assert.equal(set.records[1 * 9 + 8], 2);
    assert.equal(set.root, datasetRoot(set.records, 9));
  });

  it('takes a label column anywhere, by index, without a header; u8-unit bytes', () => {
    const set = csvRecords('7,0,255\r\n1,1,2\r\n\r\n', { label: 1, featureEncoding: 'u8-unit' });
    assert.deepEqual(set.input, [2]);
    assert.deepEqual([...set.records], [7, 255, 0, 1, 2, 1]);
    assert.equal(set.outputs, 2);
  });

  it('numbers class names in sorted order', () => {
    const set = csvRecords('x,species\n1,virginica\n2,setosa\n3,versicolor\n4,setosa\n', { label: 'species', labelNames: true });
    assert.deepEqual(set.classes, ['setosa', 'versicolor', 'virginica']);
    assert.deepEqual([...Array.from({ length: 4 }, (_, r) => set.records[r * 5 + 4])], [2, 0, 1, 0]);
    assert.equal(set.outputs, 3);
    // Without a header, class names in the label column do not make the first row a header.
    const bare = csvRecords('1,virginica\n2,setosa\n', { label: 1, labelNames: true });
    assert.equal(bare.recordCount, 2);
  });

  it('takes several f32 target columns, quoted fields, a BOM and another delimiter', () => {
    const set = csvRecords('\uFEFF"a";"t 1";"b";"t2"\n1;0.5;2;-1e-3\n', { label: ['t 1', 't2'], labelEncoding: 'f32', delimiter: ';' });
    assert.deepEqual(set.input, [2]);
    assert.equal(set.recordBytes, 16);
    assert.deepEqual(
      [0, 4, 8, 12].map((b) => f32At(set, 0, b)),
      [1, 2, 0.5, Math.fround(-1e-3)],
    );
    assert.equal(set.outputs, 2);
  });

  it('names the line and column of every malformed input', () => {
    const t = (csv: string, options: Parameters<typeof csvRecords>[1], re: RegExp): void => {
      assert.throws(() => csvRecords(csv, { source: 'd.csv', ...options }), fails(re));
    };
    t('a,b,label\n1,2,0\n1,2\n', { label: 'label' }, /^d\.csv line 3: 2 fields, expected 3 \(as on line 1\)$/);
    t('a,b,label\n1,2,0\n1,x2,0\n', { label: 'label' }, /^d\.csv line 3, column 'b' \(index 1\): 'x2' is not a number$/);
    t('1,2,0\n1,,0\n', { label: 2 }, /^d\.csv line 2, column 1: the cell is empty$/);
    t('a,label\n1,0\n1,256\n', { label: 'label' }, /line 3, column 'label' \(index 1\): label 256 is outside 0\.\.255/);
    t('a,label\n1,-1\n', { label: 'label' }, /label -1 is outside 0\.\.255/);
    t('a,label\n1,1.5\n', { label: 'label' }, /line 2, column 'label' \(index 1\): label 1.5 is not an integer class/);
    t('a,b\n1,0\n', { label: 'label' }, /^d\.csv has no column 'label'; its columns are 'a', 'b'$/);
    t('1,0\n', { label: 'label' }, /label column 'label' is named, but d\.csv has no header row/);
    t('1,0\n', { label: 5 }, /label column index 5 is out of range: d\.csv has 2 columns \(0\.\.1\)/);
    t('a,label\n256,0\n', { label: 'label', featureEncoding: 'u8-unit' }, /line 2, column 'a' \(index 0\): 256 is not a byte/);
    t('a,label\n1e39,0\n', { label: 'label' }, /line 2, column 'a' \(index 0\): 1e\+39 overflows fp32/);
    t('a,label\n0x10,0\n', { label: 'label' }, /'0x10' is not a number/);
    t('a,label\n"1,0\n', { label: 'label' }, /^d\.csv line 2: a quoted field is not closed/);
    t('a,label\n', { label: 'label' }, /header row but no data rows/);
    t('\n\n', { label: 0 }, /^d\.csv is empty$/);
    t('a\n1\n', { label: 'a' }, /no feature columns/);
    t('a,b,c\n1,2,3\n', { label: ['b', 'c'] }, /class-u8 labels are one column/);
    t('a,s\n1,\n', { label: 's', labelNames: true }, /line 2, column 's' \(index 1\): the label is empty/);
  });

  it('loads through the engine as the values written (features then label, §2.4)', () => {
    const set = csvRecords('a,b,c,y\n0.25,-2,7,1\n', { label: 'y' });
    const spec = completeSpec({
      version: 2,
      model: { input: [...set.input], layers: [{ type: 'dense', units: 2 }], loss: 'softmax-xent', initSeed: `0x${'11'.repeat(32)}` },
      optimizer: { kind: 'sgd-momentum', learningRate: 0.1, momentum: 0 },
      training: { steps: 1, checkpointInterval: 1, batchSize: 1 },
      data: {
        root: set.root,
        cid: 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy',
        recordCount: set.recordCount,
        featureEncoding: set.featureEncoding,
        labelEncoding: set.labelEncoding,
        seed: `0x${'33'.repeat(32)}`,
      },
      dtype: 'fp32',
    });
    assert.equal(recordBytes(spec), set.recordBytes);
    const batch = loadBatch(spec, set.records, 0);
    assert.deepEqual([...batch.x], [0.25, -2, 7]);
    assert.deepEqual([...batch.y], [0, 1]);
  });
});

/** NPY bytes as np.save writes them: magic, version, header length, dict padded to 64 bytes, data. */
function npy(descr: string, shape: readonly number[], data: Uint8Array, options: { fortran?: boolean; major?: number } = {}): Uint8Array {
  const major = options.major ?? 1;
  const dict = `{'descr': '${descr}', 'fortran_order': ${options.fortran === true ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const prefix = major === 1 ? 10 : 12;
  const padded = dict.padEnd(Math.ceil((prefix + dict.length + 1) / 64) * 64 - prefix - 1, ' ') + '\n';
  const head = new Uint8Array(prefix);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(head.buffer);
  if (major === 1) view.setUint16(8, padded.length, true);
  else view.setUint32(8, padded.length, true);
  return Uint8Array.from([...head, ...new TextEncoder().encode(padded), ...data]);
}
const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

describe('npyRecords', () => {
  const images = Uint8Array.from({ length: 2 * 2 * 3 }, (_, i) => i * 20); // (2, 2, 3) uint8
  const classes = bytesOf(BigInt64Array.from([3n, 1n]));

  it('reads (N, H, W) uint8 as [H, W, 1] u8-unit records with int64 class labels', () => {
    const set = npyRecords(npy('|u1', [2, 2, 3], images), npy('<i8', [2], classes));
    assert.deepEqual(set.input, [2, 3, 1]);
    assert.equal(set.featureEncoding, 'u8-unit');
    assert.equal(set.labelEncoding, 'class-u8');
    assert.deepEqual([...set.records], [0, 20, 40, 60, 80, 100, 3, 120, 140, 160, 180, 200, 220, 1]);
    assert.equal(set.outputs, 4);
    assert.equal(set.root, datasetRoot(set.records, 7));
  });

  it('stores uint8 under f32 as v / 255, rounds float64 to fp32, and reads format version 2', () => {
    const asF32 = npyRecords(npy('|u1', [2, 2, 3], images), npy('|u1', [2], Uint8Array.of(0, 1)), { featureEncoding: 'f32' });
    assert.equal(asF32.recordBytes, 6 * 4 + 1);
    assert.equal(f32At(asF32, 1, 4), Math.fround(140 / 255));
    const f8 = npyRecords(npy('<f8', [1, 3], bytesOf(Float64Array.of(0.1, -2.5, 1e-50)), { major: 2 }), npy('<u2', [1], bytesOf(Uint16Array.of(9))));
    assert.deepEqual(f8.input, [3]);
    assert.equal(f8.featureEncoding, 'f32');
    assert.deepEqual(
      [0, 4, 8].map((b) => f32At(f8, 0, b)),
      [Math.fround(0.1), -2.5, 0],
    );
    assert.equal(f8.records[12], 9);
  });

  it('reads float labels (N, k) as f32 targets', () => {
    const set = npyRecords(npy('<f4', [2, 1], bytesOf(Float32Array.of(1, 2))), npy('<f4', [2, 2], bytesOf(Float32Array.of(0.5, 1.5, 2.5, 3.5))));
    assert.equal(set.labelEncoding, 'f32');
    assert.equal(set.outputs, 2);
    assert.equal(set.recordBytes, 12);
    assert.deepEqual(
      [0, 4, 8].map((b) => f32At(set, 1, b)),
      [2, 2.5, 3.5],
    );
  });

  it('refuses malformed files with the fix', () => {
    const y = npy('|u1', [2], Uint8Array.of(0, 1));
    const x = npy('|u1', [2, 3], new Uint8Array(6));
    const t = (xs: Uint8Array, ys: Uint8Array, re: RegExp, options = {}): void => {
      assert.throws(() => npyRecords(xs, ys, { featuresSource: 'x.npy', labelsSource: 'y.npy', ...options }), fails(re));
    };
    t(new TextEncoder().encode('PK\x03\x04 a zip, not an npy'), y, /^x\.npy is not an NPY file/);
    t(Uint8Array.from([...x.subarray(0, 6), 4, 0, ...x.subarray(8)]), y, /format version 4\.0/);
    t(npy('|u1', [2, 3], new Uint8Array(6), { fortran: true }), y, /Fortran \(column-major\) order; save it in C order/);
    t(npy('>f4', [2, 3], new Uint8Array(24)), y, /^x\.npy is big-endian \('>f4'\); save it little-endian: x\.astype\('<f4'\)$/);
    t(npy('|O', [2, 3], new Uint8Array(48)), y, /holds Python objects/);
    t(npy('<i4', [2, 3], new Uint8Array(24)), y, /^x\.npy has dtype int32; features must be uint8, float32 or float64$/);
    t(npy('<f2', [2, 3], new Uint8Array(12)), y, /dtype '<f2' \(float16\); supported/);
    t(npy('|u1', [2, 3], new Uint8Array(5)), y, /^x\.npy holds 5 data bytes; shape \(2, 3\) of uint8 needs 6 \(truncated\?\)$/);
    t(x, npy('|u1', [3], new Uint8Array(3)), /^x\.npy has 2 records but y\.npy has 3 labels$/);
    t(x, npy('|u1', [2, 2], new Uint8Array(4)), /^y\.npy has shape \(2, 2\); labels must be \(N,\)$/);
    t(x, npy('<i2', [2], bytesOf(Int16Array.of(0, 300))), /^y\.npy record 1: label 300 is outside 0\.\.255/);
    t(x, npy('<i4', [2], bytesOf(Int32Array.of(-1, 0))), /^y\.npy record 0: label -1 is outside/);
    t(x, npy('<f4', [2], new Uint8Array(8)), /y\.npy is float32; class-u8 labels need an integer array/, { labelEncoding: 'class-u8' });
    t(npy('<f4', [2, 3], new Uint8Array(24)), y, /x\.npy is float32; u8-unit features need a uint8 array/, { featureEncoding: 'u8-unit' });
    t(npy('<f4', [1], bytesOf(Float32Array.of(Number.NaN))), npy('|u1', [1], Uint8Array.of(0)), /^x\.npy record 0, value 0: NaN is not a finite number$/);
    t(npy('|u1', [2, 1, 1, 1, 1], new Uint8Array(2)), y, /records must be \(N, n\), \(N, H, W\) or \(N, H, W, C\)/);
    t(npy('|u1', [0, 3], new Uint8Array(0)), npy('|u1', [0], new Uint8Array(0)), /holds no records/);
    const structured = new TextEncoder().encode("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }\n");
    t(Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, structured.length, 0, ...structured]), y, /structured dtype/);
  });

  it('parses the header of every supported dtype', () => {
    for (const [descr, kind, size] of [
      ['|u1', 'u', 1],
      ['<i8', 'i', 8],
      ['<f4', 'f', 4],
      ['<f8', 'f', 8],
    ] as const) {
      const a = parseNpy(npy(descr, [2], new Uint8Array(2 * size)));
      assert.equal(a.kind, kind);
      assert.equal(a.itemSize, size);
      assert.deepEqual(a.shape, [2]);
    }
  });
});

/** A PNG of `channels` (1 gray, 2 gray + alpha, 3 RGB, 4 RGBA) whose pixel p, channel c is (p * 7 + c * 50) mod 256. */
function png(width: number, height: number, channels: 1 | 2 | 3 | 4): Buffer {
  const image = new PNG({ width, height });
  for (let p = 0; p < width * height; p++) {
    const v = (c: number): number => (p * 7 + c * 50) % 256;
    const rgb = channels <= 2 ? [v(0), v(0), v(0)] : [v(0), v(1), v(2)];
    image.data.set([...rgb, channels === 2 ? v(1) : channels === 4 ? v(3) : 255], 4 * p);
  }
  const colorType = ({ 1: 0, 2: 4, 3: 2, 4: 6 } as const)[channels];
  return PNG.sync.write(image, { colorType });
}
const pixel = (p: number, c: number): number => (p * 7 + c * 50) % 256;

/** A baseline JPEG with one (grayscale) component: every 8x8 block DC 0, i.e. every pixel 128. */
function grayJpeg(width: number, height: number): Uint8Array {
  const seg = (marker: number, body: number[]): number[] => [0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body];
  const oneCode = [1, ...new Array<number>(15).fill(0), 0x00]; // one symbol (0x00) of code length 1
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
  const bits = '00'.repeat(blocks); // DC category 0, then end of block
  const scan = Array.from({ length: Math.ceil(bits.length / 8) }, (_, i) => Number.parseInt(bits.slice(8 * i, 8 * i + 8).padEnd(8, '1'), 2));
  return Uint8Array.from([
    0xff,
    0xd8,
    ...seg(0xdb, [0, ...new Array<number>(64).fill(1)]),
    ...seg(0xc0, [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]),
    ...seg(0xc4, [0x00, ...oneCode]),
    ...seg(0xc4, [0x10, ...oneCode]),
    ...seg(0xda, [1, 1, 0x00, 0, 63, 0]),
    ...scan,
    0xff,
    0xd9,
  ]);
}

describe('imageFolderRecords', () => {
  let root: string;
  let n = 0;
  /** A fresh dataset folder: { 'class/file': bytes }. */
  async function folder(files: Record<string, Uint8Array | string>): Promise<string> {
    const dir = path.join(root, `set-${n++}`);
    await mkdir(dir);
    for (const [name, content] of Object.entries(files)) {
      const file = path.join(dir, name);
      await mkdir(name.endsWith('/') ? file : path.dirname(file), { recursive: true });
      if (!name.endsWith('/')) await writeFile(file, content);
    }
    return dir;
  }
  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'veritrain-images-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('numbers classes by sorted folder name and lays out H x W x C pixels, then the class byte', async () => {
    const dir = await folder({ 'zebra/a.png': png(3, 2, 3), 'cat/2.PNG': png(3, 2, 3), 'cat/1.png': png(3, 2, 3), 'cat/.DS_Store': 'x' });
    const progress: string[] = [];
    const set = await imageFolderRecords(dir, { onProgress: (p) => progress.push(`${p.phase} ${p.done}/${p.total}`) });
    assert.deepEqual(progress, ['decode-images 1/3', 'decode-images 2/3', 'decode-images 3/3']);
    assert.deepEqual(set.classes, ['cat', 'zebra']);
    assert.deepEqual(set.input, [2, 3, 3]);
    assert.equal(set.recordCount, 3);
    assert.equal(set.recordBytes, 2 * 3 * 3 + 1);
    assert.equal(set.outputs, 2);
    const expected = Array.from({ length: 18 }, (_, i) => pixel(Math.floor(i / 3), i % 3));
    assert.deepEqual([...set.records.subarray(0, 18)], expected);
    assert.deepEqual(
      [0, 1, 2].map((r) => set.records[r * 19 + 18]),
      [0, 0, 1],
    );
    assert.equal(set.root, datasetRoot(set.records, 19));
  });

  it('reads grayscale PNGs and JPEGs as one channel, colour JPEGs as three', async () => {
    const gray = await imageFolderRecords(await folder({ 'a/1.png': png(4, 4, 1), 'b/1.jpg': grayJpeg(4, 4) }));
    assert.deepEqual(gray.input, [4, 4, 1]);
    assert.deepEqual(
      [...gray.records.subarray(0, 16)],
      Array.from({ length: 16 }, (_, p) => pixel(p, 0)),
    );
    assert.deepEqual([...gray.records.subarray(17, 33)], new Array<number>(16).fill(128));
    const rgb = new Uint8Array(8 * 8 * 4).map((_, i) => (i % 4 === 3 ? 255 : i % 4 === 0 ? 200 : 30));
    const color = jpeg.encode({ width: 8, height: 8, data: rgb }, 95).data;
    const set = await imageFolderRecords(await folder({ 'red/1.jpeg': color }), { featureEncoding: 'f32' });
    assert.deepEqual(set.input, [8, 8, 3]);
    const decoded = jpeg.decode(color, { useTArray: true, formatAsRGBA: false }).data;
    assert.deepEqual(
      [0, 1, 2].map((c) => f32At(set, 0, 4 * c)),
      [0, 1, 2].map((c) => Math.fround((decoded[c] as number) / 255)),
    );
    assert.ok((decoded[0] as number) > 180 && (decoded[1] as number) < 60, 'the decoded pixel is red');
  });

  it('refuses an alpha channel unless asked to drop it', async () => {
    const dir = await folder({ 'a/1.png': png(2, 2, 4), 'b/1.png': png(2, 2, 3) });
    await assert.rejects(imageFolderRecords(dir), fails(/a\/1\.png: has an alpha channel \(RGBA\); drop it with dropAlpha \(--drop-alpha\)/));
    const set = await imageFolderRecords(dir, { dropAlpha: true });
    assert.deepEqual(set.input, [2, 2, 3]);
    assert.deepEqual([...set.records.subarray(0, 3)], [pixel(0, 0), pixel(0, 1), pixel(0, 2)]);
    const grayAlpha = await folder({ 'a/1.png': png(2, 2, 2) });
    await assert.rejects(imageFolderRecords(grayAlpha), fails(/grayscale \+ alpha/));
    assert.deepEqual((await imageFolderRecords(grayAlpha, { dropAlpha: true })).input, [2, 2, 1]);
  });

  it('names the file of every malformed input', async () => {
    const t = async (files: Record<string, Uint8Array | string>, re: RegExp): Promise<void> => {
      await assert.rejects(imageFolderRecords(await folder(files)), fails(re));
    };
    await t(
      { 'a/1.png': png(4, 4, 3), 'b/1.png': png(4, 5, 3) },
      /b\/1\.png is 5x4x3 \(RGB\), but .*a\/1\.png is 4x4x3 \(RGB\): every image must have the same size and channels/,
    );
    await t({ 'a/1.png': png(4, 4, 1), 'a/2.png': png(4, 4, 3) }, /a\/2\.png is 4x4x3 \(RGB\), but .*a\/1\.png is 4x4x1 \(grayscale\)/);
    await t({ 'a/1.png': png(2, 2, 3), 'b/': '' }, /class folder .*b has no images/);
    await t({ 'readme.txt': 'hi' }, /has no class folders: put each class's images in a folder of its own/);
    await t({ '1.png': png(2, 2, 3) }, /\(the images directly in it are not read\)/);
    await t({ 'a/1.png': png(2, 2, 3), 'a/notes.txt': 'x' }, /a\/notes\.txt is not a \.png, \.jpg or \.jpeg file/);
    await t({ 'a/1.png': png(2, 2, 3), 'a/sub/2.png': png(2, 2, 3) }, /a\/sub is not a \.png/);
    await t({ 'a/1.png': 'not really a png' }, /a\/1\.png: is neither a PNG nor a JPEG/);
    await t({ 'a/1.png': png(2, 2, 3).subarray(0, 40) }, /a\/1\.png: is not a readable PNG/);
    await t({ 'a/1.jpg': Uint8Array.of(0xff, 0xd8, 0xff, 0xc0, 0, 3) }, /a\/1\.jpg: is not a readable JPEG/);
    await assert.rejects(imageFolderRecords(path.join(root, 'missing')), fails(/image folder .*missing does not exist/));
  });
});
