import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { encodeErrorResult, HttpRequestError } from 'viem';
import { jobMarketAbi, stakingVaultAbi } from '../abi/index.ts';
import { ChainError } from '../errors.ts';
import { decodeRevert, describeRevert } from './revert.ts';
import { createChainClient } from './client.ts';
import type { Deployment } from './deployment.ts';
import { isTransient, withRetry } from './retry.ts';

const rpcError = (data: `0x${string}`) => Object.assign(new Error('execution reverted'), { cause: { code: 3, message: 'execution reverted', data } });

describe('revert decoding', () => {
  it('names a market error and says it in words', () => {
    const data = encodeErrorResult({ abi: jobMarketAbi, errorName: 'JobUnexpectedStatus', args: [3n, 2, 1] });
    const err = decodeRevert(rpcError(data), { action: 'cancelJob' });
    assert.ok(err instanceof ChainError);
    assert.equal(err.code, 'CHAIN_REVERTED');
    assert.equal(err.errorName, 'JobUnexpectedStatus');
    assert.equal(err.message, 'cancelJob reverted: JobUnexpectedStatus: job 3 is Claimed, expected Open');
  });

  it('decodes a vault error bubbled up through the market, and zero-argument errors', () => {
    const a = '0x00000000000000000000000000000000000000aa';
    const data = encodeErrorResult({ abi: stakingVaultAbi, errorName: 'StakingInsufficientFree', args: [a, 10n, 4n] });
    assert.match(decodeRevert(rpcError(data))?.message ?? '', /StakingInsufficientFree: 0x0+aa has 4 free stake, needs 10/i);
    const zero = encodeErrorResult({ abi: stakingVaultAbi, errorName: 'StakingZeroAmount' });
    assert.equal(decodeRevert(rpcError(zero))?.errorName, 'StakingZeroAmount');
  });

  it('is undefined for failures that are not reverts, and falls back for unknown errors', () => {
    assert.equal(decodeRevert(new Error('fetch failed')), undefined);
    assert.match(decodeRevert(rpcError('0xdeadbeef'))?.message ?? '', /unknown error data 0xdeadbeef/);
    assert.equal(describeRevert('Mystery', [1n, 'x']), 'Mystery(1, x)');
  });
});

describe('withRetry', () => {
  const transient = () => new HttpRequestError({ url: 'http://x', status: 503 });
  it('retries transient failures with backoff, then succeeds', async () => {
    let calls = 0;
    const got = await withRetry(
      () => {
        calls++;
        return calls < 3 ? Promise.reject(transient()) : Promise.resolve('ok');
      },
      { baseDelayMs: 1, random: () => 0 },
    );
    assert.equal(got, 'ok');
    assert.equal(calls, 3);
  });
  it('never retries a revert, and gives CHAIN_RPC_FAILED after the last try', async () => {
    let calls = 0;
    const revert = rpcError(encodeErrorResult({ abi: jobMarketAbi, errorName: 'JobNoOpenDispute', args: [1n] }));
    await assert.rejects(
      withRetry(
        () => {
          calls++;
          return Promise.reject(revert);
        },
        { baseDelayMs: 1 },
      ),
      (e) => e === revert,
    );
    assert.equal(calls, 1);
    assert.equal(isTransient(revert), false);
    assert.equal(isTransient(new HttpRequestError({ url: 'http://x', status: 400 })), false);
    await assert.rejects(
      withRetry(() => Promise.reject(transient()), { attempts: 2, baseDelayMs: 1 }),
      (e: unknown) => e instanceof ChainError && e.code === 'CHAIN_RPC_FAILED',
    );
  });
  it('stops at once when the signal aborts', async () => {
    const controller = new AbortController();
    const run = withRetry(() => Promise.reject(transient()), { baseDelayMs: 10_000, signal: controller.signal });
    controller.abort(new Error('stop'));
    await assert.rejects(run, /stop/);
  });
});

describe('the chain client retries reads by one policy', () => {
  it('a flaky RPC (two 503s, then answers) is retried inside the client, and an exhausted read is not retried again', async () => {
    let calls = 0;
    let down = 2;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        calls++;
        if (down > 0) {
          down--;
          res.writeHead(503).end('overloaded');
          return;
        }
        const { id } = JSON.parse(body) as { id: number };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id, result: '0x7a69' }));
      });
    });
    await new Promise<void>((resolve) => {
      server.listen(0, '127.0.0.1', resolve);
    });
    try {
      const { port } = server.address() as AddressInfo;
      const deployment = { chainId: 31337, deployedAt: 0, contracts: {} } as unknown as Deployment;
      const client = await createChainClient({ rpcUrl: `http://127.0.0.1:${port}`, deployment, retry: { baseDelayMs: 1, random: () => 0, attempts: 3 } });
      assert.equal(client.chainId, 31337);
      assert.equal(calls, 3, 'two failures and the answer');
      // Exhausted inside the client: a caller's own withRetry does not multiply the tries.
      calls = 0;
      down = 100;
      await assert.rejects(
        withRetry(() => client.publicClient.getChainId(), { attempts: 5, baseDelayMs: 1 }),
        (e: unknown) => e instanceof ChainError && e.code === 'CHAIN_RPC_FAILED',
      );
      assert.equal(calls, 3);
    } finally {
      server.close();
    }
  });
});
