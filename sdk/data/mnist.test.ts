import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadMnist, MNIST_RECORD_BYTES, splitMnist } from './mnist.ts';

describe('mnist records', () => {
  const all = loadMnist();

  it('holds thousands of real digits with labels 0..9, balanced in any prefix', () => {
    assert.ok(all.count > 9000, `only ${all.count} digits`);
    assert.equal(all.records.length, all.count * MNIST_RECORD_BYTES);
    const labels = Array.from({ length: 100 }, (_, i) => all.records[i * MNIST_RECORD_BYTES + 784]);
    for (let d = 0; d < 10; d++) assert.equal(labels.filter((l) => l === d).length, 10);
  });

  it('pixels are real images: mostly black, some ink near 255', () => {
    const first = all.records.subarray(0, 784);
    const ink = first.filter((p) => p > 200).length;
    const black = first.filter((p) => p === 0).length;
    assert.ok(ink > 20 && black > 400, `ink ${ink}, black ${black}`);
  });

  it('splits off a held-out test set', () => {
    const { train, test } = splitMnist(all, 1000);
    assert.equal(train.count + test.count, all.count);
    assert.throws(() => splitMnist(all, all.count), /test split must be/);
  });
});
