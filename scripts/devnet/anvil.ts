/**
 * A local Anvil chain for the devnet: a free port per run (so a second devnet, or a second
 * `npm start`, never collides), chain id 31337, Anvil's well-known funded development accounts.
 * Anvil mines each transaction at once; `startHeartbeat` also mines an empty block every second so
 * that chain time (the latest block's timestamp, which deadlines and chess clocks read) follows
 * the wall clock while nobody sends transactions.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChainError } from '../../sdk/errors.ts';

/** The repository root (scripts/devnet/ is two levels below it). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ANVIL_BIN = path.join(REPO_ROOT, 'node_modules', '.bin', 'anvil');
export const DEVNET_CHAIN_ID = 31337;

/** A TCP port that was free a moment ago (the OS picks it). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

export interface AnvilOptions {
  readonly binary?: string | undefined;
  readonly port?: number | undefined;
  /** Funded accounts derived from the development mnemonic (default 10). */
  readonly accounts?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface AnvilNode {
  readonly url: string;
  readonly port: number;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

async function rpc(url: string, method: string, params: unknown[] = [], signal?: AbortSignal): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    signal: signal ?? AbortSignal.timeout(5_000),
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: unknown; error?: { message?: string } };
  if (body.error !== undefined) throw new ChainError('CHAIN_RPC_FAILED', `${method}: ${body.error.message ?? 'failed'}`);
  return body.result;
}

/** Starts Anvil on a free loopback port and waits until it answers. */
export async function startAnvil(options: AnvilOptions = {}): Promise<AnvilNode> {
  const port = options.port ?? (await freePort());
  const args = [
    '--port',
    String(port),
    '--host',
    '127.0.0.1',
    '--chain-id',
    String(DEVNET_CHAIN_ID),
    '--accounts',
    String(options.accounts ?? 10),
    '--silent',
    '--disable-code-size-limit',
  ];
  const child = spawn(options.binary ?? ANVIL_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2_000);
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
      }, 3_000);
      await exited;
      clearTimeout(timer);
    }
  };
  for (let i = 0; i < 200; i++) {
    if (options.signal?.aborted === true) {
      await stop();
      options.signal.throwIfAborted();
    }
    if (child.exitCode !== null) throw new ChainError('CHAIN_RPC_FAILED', `anvil exited with code ${child.exitCode}: ${stderr.trim()}`);
    try {
      await rpc(url, 'eth_chainId', [], AbortSignal.timeout(1_000));
      return { url, port, pid: child.pid, stop };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  await stop();
  throw new ChainError('CHAIN_RPC_FAILED', `anvil did not answer on ${url}: ${stderr.trim()}`);
}

/** Mines an empty block every `intervalMs` (Anvil's `evm_mine`) until the returned function is called. */
export function startHeartbeat(url: string, intervalMs = 1_000): () => void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    rpc(url, 'evm_mine')
      .catch(() => undefined)
      .finally(() => {
        busy = false;
      });
  }, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
  };
}
