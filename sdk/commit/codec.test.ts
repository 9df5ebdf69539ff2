import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EncodingError } from '../errors.ts';
import { decodeState, encodeState } from './codec.ts';
import { stateRoot } from './state.ts';
import type { Tensor } from './tensor.ts';

const stateArb = fc.array(
  fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 3 }).chain((shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return fc.float32Array({ minLength: n, maxLength: n }).map((data): Tensor => ({ shape, data }));
  }),
  { minLength: 1, maxLength: 6 },
);

describe('state file codec', () => {
  it('round-trips bit-exactly (NaN payloads included) and keeps the state root', () => {
    fc.assert(
      fc.property(stateArb, (state) => {
        const back = decodeState(encodeState(state));
        assert.deepEqual(
          back.map((t) => t.shape),
          state.map((t) => [...t.shape]),
        );
        back.forEach((t, i) => {
          assert.deepEqual(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), new Uint8Array((state[i] as Tensor).data.buffer));
        });
        assert.equal(stateRoot(back), stateRoot(state));
      }),
    );
  });

  it('every truncation and any trailing byte is an EncodingError', () => {
    const bytes = encodeState([
      { shape: [2, 3], data: new Float32Array(6).fill(1.5) },
      { shape: [4], data: new Float32Array(4) },
    ]);
    for (let len = 0; len < bytes.length; len++) {
      assert.throws(() => decodeState(bytes.subarray(0, len)), EncodingError, `length ${len}`);
    }
    assert.throws(() => decodeState(Uint8Array.from([...bytes, 0])), /1 trailing bytes/);
    assert.throws(() => decodeState(Uint8Array.from([0x50, 0x4b, 3, 4, 0, 0, 0, 1])), /bad magic/);
  });
});
