/**
 * A folder of images per class to records: `<dir>/<class>/*.png|jpg|jpeg`, classes numbered in
 * sorted name order, each image's pixels in H x W x C order (NHWC) then its class byte. Every
 * image must have the same height, width and channels: grayscale is C = 1, colour C = 3; an alpha
 * channel is an error unless `dropAlpha` (then it is dropped, not composited). 16-bit PNGs are
 * scaled to 8 bits. Decoding is pngjs and jpeg-js, pure JavaScript; the dataset root commits to
 * the decoded bytes, so solvers never decode anything.
 */
import type { Dirent } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { DatasetError } from '../errors.ts';
import type { OnProgress } from '../submitter/progress.ts';
import { RecordWriter, sortedClasses, type FeatureEncoding, type RecordSet } from './record-set.ts';

export interface ImageFolderRecordsOptions {
  /** Default `u8-unit` (one byte per channel value); `f32` stores fl32(v / 255). */
  readonly featureEncoding?: FeatureEncoding | undefined;
  /** Drop the alpha channel of RGBA and grayscale-alpha images instead of refusing them. */
  readonly dropAlpha?: boolean | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Called after each image: `{ phase: 'decode-images', done, total }` (images). */
  readonly onProgress?: OnProgress | undefined;
}

const IMAGE_RE = /\.(png|jpe?g)$/i;

/** One decoded image: `channels` bytes per pixel, row-major. */
interface Pixels {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  readonly data: Uint8Array;
}

const describe = (p: Pick<Pixels, 'width' | 'height' | 'channels'>): string =>
  `${p.height}x${p.width}x${p.channels} (${p.channels === 1 ? 'grayscale' : 'RGB'})`;

/** The component count of a baseline or progressive JPEG, read from its SOF segment. */
function jpegComponents(bytes: Uint8Array): number | undefined {
  let i = 2;
  while (i + 4 <= bytes.length) {
    if (bytes[i] !== 0xff) return undefined;
    const marker = bytes[i + 1] as number;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return undefined; // EOI / SOS before any SOF
    const length = ((bytes[i + 2] as number) << 8) | (bytes[i + 3] as number);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return bytes[i + 9];
    i += 2 + length;
  }
  return undefined;
}

async function decode(file: string, bytes: Uint8Array, dropAlpha: boolean): Promise<Pixels> {
  const fail = (why: string): never => {
    throw new DatasetError(`${file}: ${why}`, { file });
  };
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) {
    const { PNG } = await import('pngjs');
    let png;
    try {
      png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch (err) {
      return fail(`is not a readable PNG (${err instanceof Error ? err.message : String(err)})`);
    }
    const channels = png.color ? 3 : 1;
    if (png.alpha && !dropAlpha) {
      fail(`has an alpha channel (${png.color ? 'RGBA' : 'grayscale + alpha'}); drop it with dropAlpha (--drop-alpha), or save the image without alpha`);
    }
    // pngjs always gives RGBA, 8 bits per channel.
    const data = new Uint8Array(png.width * png.height * channels);
    for (let p = 0; p < png.width * png.height; p++) for (let c = 0; c < channels; c++) data[p * channels + c] = png.data[4 * p + c] as number;
    return { width: png.width, height: png.height, channels, data };
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    const jpeg = await import('jpeg-js');
    let image;
    try {
      image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false });
    } catch (err) {
      return fail(`is not a readable JPEG (${err instanceof Error ? err.message : String(err)})`);
    }
    // jpeg-js gives RGB for every JPEG; a one-component (grayscale) JPEG has R = G = B.
    const channels = jpegComponents(bytes) === 1 ? 1 : 3;
    const pixels = image.width * image.height;
    const data = channels === 3 ? image.data.subarray(0, pixels * 3) : Uint8Array.from({ length: pixels }, (_, p) => image.data[3 * p] as number);
    return { width: image.width, height: image.height, channels, data };
  }
  return fail('is neither a PNG nor a JPEG (by its first bytes)');
}

async function list(dir: string, what: string): Promise<Dirent[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith('.'));
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new DatasetError(
      code === 'ENOENT' ? `${what} ${dir} does not exist` : code === 'ENOTDIR' ? `${what} ${dir} is not a folder` : `cannot read ${dir}: ${String(err)}`,
    );
  }
}

/**
 * Records from `<dir>/<class>/*.png|jpg|jpeg`. Hidden entries (a leading dot) are skipped; any
 * other non-image entry in a class folder is an error, as are an empty class folder, no class
 * folders, more than 256 classes, an unreadable image and an image whose size or channels differ
 * from the first one's.
 *
 * @example
 * ```ts
 * import { imageFolderRecords } from 'veritrain';
 * const set = await imageFolderRecords('./pets'); // ./pets/cat/*.jpg, ./pets/dog/*.jpg
 * // set.classes = ['cat', 'dog'], set.input = [H, W, 3], set.records: pixels then the class byte
 * ```
 */
export async function imageFolderRecords(dir: string, options: ImageFolderRecordsOptions = {}): Promise<RecordSet> {
  const entries = await list(dir, 'image folder');
  const classes = sortedClasses(
    entries.filter((e) => e.isDirectory()).map((e) => e.name),
    dir,
  );
  if (classes.length === 0) {
    const loose = entries.some((e) => e.isFile() && IMAGE_RE.test(e.name));
    throw new DatasetError(
      `${dir} has no class folders: put each class's images in a folder of its own, ${path.join(dir, '<class>', 'image.png')}${loose ? ' (the images directly in it are not read)' : ''}`,
    );
  }
  const files: { file: string; label: number }[] = [];
  for (const [label, name] of classes.entries()) {
    const folder = path.join(dir, name);
    const images = (await list(folder, 'class folder')).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of images) {
      const file = path.join(folder, e.name);
      if (!e.isFile() || !IMAGE_RE.test(e.name)) throw new DatasetError(`${file} is not a .png, .jpg or .jpeg file; a class folder holds images only`);
      files.push({ file, label });
    }
    if (images.length === 0) throw new DatasetError(`class folder ${folder} has no images`);
  }

  let writer: RecordWriter | undefined;
  let first: (Pixels & { file: string }) | undefined;
  for (const [r, { file, label }] of files.entries()) {
    options.signal?.throwIfAborted();
    const pixels = await decode(file, await readFile(file), options.dropAlpha === true);
    if (first === undefined) {
      first = { ...pixels, file };
      writer = new RecordWriter({
        count: files.length,
        input: [pixels.height, pixels.width, pixels.channels],
        featureEncoding: options.featureEncoding ?? 'u8-unit',
        labelEncoding: 'class-u8',
        labelWidth: 1,
        source: dir,
      });
    } else if (pixels.width !== first.width || pixels.height !== first.height || pixels.channels !== first.channels) {
      throw new DatasetError(`${file} is ${describe(pixels)}, but ${first.file} is ${describe(first)}: every image must have the same size and channels`, {
        file,
        first: first.file,
      });
    }
    const w = writer as RecordWriter;
    for (let f = 0; f < pixels.data.length; f++) w.byte(r, f, pixels.data[f] as number);
    w.label(r, label);
    options.onProgress?.({ phase: 'decode-images', done: r + 1, total: files.length });
  }
  return (writer as RecordWriter).finish({ outputs: classes.length, classes });
}
