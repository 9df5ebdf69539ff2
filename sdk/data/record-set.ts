/**
 * What every dataset builder (CSV, NPY, image folders) returns, and the writer they share: records
 * laid out as docs/PROTOCOL.md §2.4 says (features, then the label), checked against the spec's
 * limits, with their dataset root.
 */
import type { Hex } from 'viem';
import { datasetRoot } from '../commit/dataset.ts';
import { DatasetError } from '../errors.ts';
import { FEATURE_ENCODINGS, LABEL_ENCODINGS, MAX_RECORD_VALUES } from '../spec/job-spec.ts';
import { DEFAULT_STORE_LIMITS } from '../storage/types.ts';

export type FeatureEncoding = (typeof FEATURE_ENCODINGS)[number];
export type LabelEncoding = (typeof LABEL_ENCODINGS)[number];

/** The largest input dimension a v2 spec takes (`model.input` entries). */
const MAX_INPUT_DIM = 1 << 16;
/** The most records a spec takes (`data.recordCount`). */
const MAX_RECORDS = 2 ** 40;

/** Records built from a common format, with everything a spec needs to describe them. */
export interface RecordSet {
  /** Records back to back, `recordBytes` each: what `createDataset` uploads and `post --dataset` reads. */
  readonly records: Uint8Array;
  /** `data.recordCount`. */
  readonly recordCount: number;
  readonly recordBytes: number;
  /** Per-record input shape, `model.input` of a v2 spec: [n] or [H, W, C]. */
  readonly input: readonly number[];
  /** `data.featureEncoding`. */
  readonly featureEncoding: FeatureEncoding;
  /** `data.labelEncoding`. */
  readonly labelEncoding: LabelEncoding;
  /**
   * Units the model's last dense layer needs: for class-u8 labels the class count (the largest
   * label + 1, or the number of class names), for f32 labels the number of targets per record.
   */
  readonly outputs: number;
  /** Class names by label index, when the labels were named (image folders, CSV with `labelNames`). */
  readonly classes?: readonly string[] | undefined;
  /** `data.root`: datasetRoot(records, recordBytes). */
  readonly root: Hex;
}

export function isFeatureEncoding(value: string): value is FeatureEncoding {
  return (FEATURE_ENCODINGS as readonly string[]).includes(value);
}

export function isLabelEncoding(value: string): value is LabelEncoding {
  return (LABEL_ENCODINGS as readonly string[]).includes(value);
}

/**
 * Fills records in place: features then label, in the spec's encodings. u8 sources (pixels, u1
 * arrays) under `f32` store fl32(v / 255), the value `u8-unit` decodes to, so a model sees the
 * same inputs under either encoding.
 */
export class RecordWriter {
  readonly count: number;
  readonly input: readonly number[];
  readonly features: number;
  readonly featureEncoding: FeatureEncoding;
  readonly labelEncoding: LabelEncoding;
  /** Values per label: 1 for class-u8, the target count for f32. */
  readonly labelWidth: number;
  readonly recordBytes: number;
  readonly records: Uint8Array;
  readonly #view: DataView;
  readonly #labelAt: number;

  constructor(options: {
    count: number;
    input: readonly number[];
    featureEncoding: FeatureEncoding;
    labelEncoding: LabelEncoding;
    labelWidth: number;
    source: string;
  }) {
    const { count, input, source } = options;
    if (count < 1) throw new DatasetError(`${source} holds no records`);
    if (count > MAX_RECORDS) throw new DatasetError(`${source} holds ${count} records; a spec takes at most 2^40`);
    if (input.length !== 1 && input.length !== 3) throw new DatasetError(`${source}: a record's input must be [n] or [H, W, C], got [${input.join(', ')}]`);
    const big = input.find((d) => d > MAX_INPUT_DIM);
    if (big !== undefined) throw new DatasetError(`${source}: input dimension ${big} is larger than a spec takes (${MAX_INPUT_DIM})`);
    this.features = input.reduce((a, b) => a * b, 1);
    if (this.features > MAX_RECORD_VALUES) {
      throw new DatasetError(`${source}: ${this.features} values per record; a spec takes at most ${MAX_RECORD_VALUES}`);
    }
    this.count = count;
    this.input = input;
    this.featureEncoding = options.featureEncoding;
    this.labelEncoding = options.labelEncoding;
    this.labelWidth = options.labelEncoding === 'class-u8' ? 1 : options.labelWidth;
    this.#labelAt = this.features * (options.featureEncoding === 'u8-unit' ? 1 : 4);
    this.recordBytes = this.#labelAt + (options.labelEncoding === 'class-u8' ? 1 : 4 * this.labelWidth);
    const bytes = count * this.recordBytes;
    if (bytes > DEFAULT_STORE_LIMITS.maxDatasetBytes) {
      throw new DatasetError(`${source}: ${count} records of ${this.recordBytes} bytes are ${bytes} bytes; solvers fetch datasets up to 4 GiB`, {
        bytes,
      });
    }
    this.records = new Uint8Array(bytes);
    this.#view = new DataView(this.records.buffer);
  }

  /** Feature `f` of record `r` from a byte 0..255 (u8-unit: the byte; f32: fl32(byte / 255)). */
  byte(r: number, f: number, value: number): void {
    const at = r * this.recordBytes;
    if (this.featureEncoding === 'u8-unit') this.records[at + f] = value;
    else this.#view.setFloat32(at + 4 * f, value / 255, true);
  }

  /** Feature `f` of record `r` as an fp32 value (f32 only: checked by the caller with `toF32`). */
  float(r: number, f: number, value: number): void {
    this.#view.setFloat32(r * this.recordBytes + 4 * f, value, true);
  }

  /** The class label (0..255) of record `r`. */
  label(r: number, value: number): void {
    this.records[r * this.recordBytes + this.#labelAt] = value;
  }

  /** Target `o` of record `r` (f32 labels). */
  target(r: number, o: number, value: number): void {
    this.#view.setFloat32(r * this.recordBytes + this.#labelAt + 4 * o, value, true);
  }

  finish(extra: { outputs: number; classes?: readonly string[] | undefined }): RecordSet {
    return {
      records: this.records,
      recordCount: this.count,
      recordBytes: this.recordBytes,
      input: this.input,
      featureEncoding: this.featureEncoding,
      labelEncoding: this.labelEncoding,
      outputs: extra.outputs,
      ...(extra.classes === undefined ? {} : { classes: extra.classes }),
      root: datasetRoot(this.records, this.recordBytes),
    };
  }
}

/** `value` as fp32, or a DatasetError naming `where` when it is not finite or overflows fp32. */
export function toF32(value: number, where: () => string): number {
  const f = Math.fround(value);
  if (!Number.isFinite(f)) throw new DatasetError(`${where()}: ${value} ${Number.isFinite(value) ? 'overflows fp32' : 'is not a finite number'}`);
  return f;
}

/** A class label 0..255 (class-u8), or a DatasetError naming `where`. */
export function toClass(value: number | bigint, where: () => string): number {
  if (typeof value === 'number' && !Number.isInteger(value)) throw new DatasetError(`${where()}: label ${value} is not an integer class`);
  if (value < 0 || value > 255) throw new DatasetError(`${where()}: label ${value} is outside 0..255 (class-u8 labels are one byte)`);
  return Number(value);
}

/** Class names in label order: sorted by code point (what `Array.prototype.sort` does), so the order never depends on a locale. */
export function sortedClasses(names: Iterable<string>, source: string): string[] {
  const classes = [...new Set(names)].sort();
  if (classes.length > 256) throw new DatasetError(`${source} has ${classes.length} classes; class-u8 labels take at most 256`);
  return classes;
}
