import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { privateKeyToAccount } from 'viem/accounts';
import { P2PError } from '../errors.ts';
import { canonicalJson, openEnvelope, signEnvelope } from './messages.ts';

const account = privateKeyToAccount(`0x${'42'.repeat(32)}`);
const body = {
  market: `0x${'aa'.repeat(20)}`,
  jobId: '1',
  index: 2,
  stateRoot: `0x${'cd'.repeat(32)}`,
  cid: 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku',
};
const signed = () => signEnvelope({ type: 'checkpoint', body, chainId: 1, peer: 'peerA', ts: 1000, account });
const invalid =
  (re: RegExp) =>
  (err: unknown): boolean =>
    err instanceof P2PError && err.code === 'MESSAGE_INVALID' && re.test(err.message);

describe('signed messages', () => {
  it('canonical JSON sorts keys, drops undefined and refuses non-integers', () => {
    assert.equal(canonicalJson({ b: 1, a: [true, null, 'x'], c: undefined }), '{"a":[true,null,"x"],"b":1}');
    assert.throws(() => canonicalJson({ x: 0.5 }), P2PError);
  });

  it('round-trips and binds sender, chain and peer', async () => {
    const { bytes, envelope } = await signed();
    const opened = await openEnvelope({ type: 'checkpoint', bytes, maxBytes: 4096, chainId: 1, peer: 'peerA', from: account.address });
    assert.deepEqual(opened, envelope);
    await assert.rejects(openEnvelope({ type: 'checkpoint', bytes, maxBytes: 4096, chainId: 2 }), invalid(/chain id/));
    await assert.rejects(openEnvelope({ type: 'checkpoint', bytes, maxBytes: 4096, chainId: 1, peer: 'peerB' }), invalid(/claims peer/));
    await assert.rejects(openEnvelope({ type: 'checkpoint', bytes, maxBytes: 100, chainId: 1 }), invalid(/exceeds the bound/));
    await assert.rejects(openEnvelope({ type: 'job', bytes, maxBytes: 4096, chainId: 1 }), invalid(/type/));
  });

  it('rejects tampered bodies, forged senders, unknown fields and garbage', async () => {
    const { envelope } = await signed();
    const enc = (x: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(x));
    await assert.rejects(
      openEnvelope({ type: 'checkpoint', bytes: enc({ ...envelope, body: { ...body, index: 3 } }), maxBytes: 4096, chainId: 1 }),
      invalid(/signature/),
    );
    await assert.rejects(
      openEnvelope({ type: 'checkpoint', bytes: enc({ ...envelope, from: `0x${'11'.repeat(20)}` }), maxBytes: 4096, chainId: 1 }),
      invalid(/signature/),
    );
    await assert.rejects(
      openEnvelope({ type: 'checkpoint', bytes: enc({ ...envelope, extra: 1 }), maxBytes: 4096, chainId: 1 }),
      invalid(/extra|Unrecognized/i),
    );
    await assert.rejects(openEnvelope({ type: 'checkpoint', bytes: Uint8Array.of(0xff, 0xfe), maxBytes: 4096, chainId: 1 }), invalid(/JSON/));
  });
});
