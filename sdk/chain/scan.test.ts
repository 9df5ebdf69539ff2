import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PublicClient } from 'viem';
import { scanLogs, type BlockCursor } from './scan.ts';

describe('scanLogs', () => {
  const chainAt = (head: bigint) => ({ getBlockNumber: () => Promise.resolve(head) }) as unknown as PublicClient;
  const memory = (): BlockCursor & { value: bigint | undefined } => {
    const c = {
      value: undefined as bigint | undefined,
      get: () => c.value,
      set: (n: bigint) => {
        c.value = n;
      },
    };
    return c;
  };

  it('reads from the start block to the head in capped ranges, and resumes from the cursor', async () => {
    const cursor = memory();
    const ranges: string[] = [];
    const read = (from: bigint, to: bigint) => {
      ranges.push(`${from}-${to}`);
      return Promise.resolve([from]);
    };
    const handled: bigint[] = [];
    await scanLogs({
      publicClient: chainAt(25n),
      cursor,
      start: 3n,
      maxRange: 10n,
      read,
      handle: (logs) => {
        handled.push(...logs);
      },
    });
    assert.deepEqual(ranges, ['3-12', '13-22', '23-25']);
    assert.deepEqual(handled, [3n, 13n, 23n]);
    assert.equal(cursor.value, 26n);
    ranges.length = 0;
    await scanLogs({ publicClient: chainAt(25n), cursor, start: 3n, maxRange: 10n, read, handle: () => undefined });
    assert.deepEqual(ranges, [], 'nothing new');
    await scanLogs({ publicClient: chainAt(30n), cursor, start: 3n, maxRange: 10n, read, handle: () => undefined });
    assert.deepEqual(ranges, ['26-30']);
  });

  it('leaves the cursor before a range whose handler failed, so that range is read again', async () => {
    const cursor = memory();
    let fail = true;
    const seen: string[] = [];
    const read = (from: bigint, to: bigint) => Promise.resolve([`${from}-${to}`]);
    const handle = (logs: readonly string[]) => {
      seen.push(...logs);
      if (fail && logs[0] === '11-20') throw new Error('crash');
    };
    await assert.rejects(scanLogs({ publicClient: chainAt(25n), cursor, start: 1n, maxRange: 10n, read, handle }), /crash/);
    assert.equal(cursor.value, 11n);
    fail = false;
    await scanLogs({ publicClient: chainAt(25n), cursor, start: 1n, maxRange: 10n, read, handle });
    assert.deepEqual(seen, ['1-10', '11-20', '11-20', '21-25']);
  });
});
