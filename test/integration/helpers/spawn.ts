// Spawns fixture peers (helpers/peer.ts) as separate node processes and talks to them over stdio.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Hex } from 'viem';
import type { PeerConfig } from './peer.ts';

const PEER_SCRIPT = fileURLToPath(new URL('./peer.ts', import.meta.url));

export interface PeerError {
  readonly name: string;
  readonly code?: string;
  readonly message: string;
}
export interface PeerEvent {
  readonly event: string;
  readonly [k: string]: unknown;
}

export class PeerCallError extends Error {
  override name = 'PeerCallError';
  readonly remote: PeerError;
  constructor(remote: PeerError) {
    super(`${remote.name}${remote.code === undefined ? '' : ` ${remote.code}`}: ${remote.message}`);
    this.remote = remote;
  }
}

export interface TestPeer {
  readonly name: string;
  readonly directory: string;
  readonly peerId: string;
  readonly addrs: string[];
  readonly address: string;
  readonly events: PeerEvent[];
  readonly stderr: string[];
  readonly child: ChildProcess;
  call<T = Record<string, unknown>>(cmd: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  waitForEvent(pred: (e: PeerEvent) => boolean, timeoutMs: number): Promise<PeerEvent>;
  alive(): boolean;
  /** Graceful stop (the peer closes its stores), then waits for the exit. */
  stop(): Promise<void>;
  kill(): void;
}

const children = new Set<ChildProcess>();

/** Kills every peer this process spawned; call it in after(). */
export function killAllPeers(): void {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  children.clear();
}

export function testKey(i: number): Hex {
  return `0x${(i + 1).toString(16).padStart(2, '0').repeat(32)}`;
}

export async function tempDir(name: string): Promise<string> {
  return mkdtemp(path.join(tmpdir(), `veritrain-${name}-`));
}

export async function spawnPeer(config: PeerConfig, timeoutMs = 20_000): Promise<TestPeer> {
  const child = spawn(process.execPath, [PEER_SCRIPT, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => {
    children.delete(child);
  });
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  const events: PeerEvent[] = [];
  const waiters = new Set<() => void>();
  const stderr: string[] = [];
  let nextId = 1;
  createInterface({ input: child.stderr }).on('line', (l) => {
    stderr.push(l);
    if (stderr.length > 500) stderr.shift();
  });
  let ready: ((e: PeerEvent) => void) | undefined;
  const readyP = new Promise<PeerEvent>((resolve, reject) => {
    ready = resolve;
    setTimeout(() => {
      reject(new Error(`peer ${config.name} not ready in ${timeoutMs} ms: ${stderr.slice(-5).join('\n')}`));
    }, timeoutMs).unref();
    child.on('exit', (code) => {
      reject(new Error(`peer ${config.name} exited with ${code}: ${stderr.slice(-5).join('\n')}`));
    });
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    let msg: { id?: number; ok?: boolean; result?: unknown; error?: PeerError; event?: string };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      return;
    }
    if (msg.event === 'ready') {
      ready?.(msg as PeerEvent);
      return;
    }
    if (msg.event !== undefined) {
      events.push(msg as PeerEvent);
      for (const w of waiters) w();
      return;
    }
    if (msg.id === undefined) return;
    const p = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.ok === true) p?.resolve(msg.result);
    else p?.reject(new PeerCallError(msg.error ?? { name: 'Error', message: 'no error given' }));
  });
  child.on('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`peer ${config.name} exited with ${code}`));
    pending.clear();
  });
  const info = await readyP;
  return {
    name: config.name,
    directory: config.directory,
    peerId: info.peerId as string,
    addrs: info.addrs as string[],
    address: info.address as string,
    events,
    stderr,
    child,
    call<T>(cmd: string, args: Record<string, unknown> = {}, callTimeoutMs = 30_000): Promise<T> {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`peer ${config.name}: ${cmd} timed out`));
        }, callTimeoutMs);
        pending.set(id, {
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v as T);
          },
          reject: (e: Error) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        child.stdin.write(`${JSON.stringify({ id, cmd, args })}\n`);
      });
    },
    waitForEvent(pred, waitMs) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const e = events.find(pred);
          if (e !== undefined) {
            waiters.delete(onEvent);
            clearTimeout(timer);
            resolve(e);
            return true;
          }
          return false;
        };
        const onEvent = (): void => {
          check();
        };
        const timer = setTimeout(() => {
          waiters.delete(onEvent);
          reject(new Error(`peer ${config.name}: no matching event in ${waitMs} ms`));
        }, waitMs);
        if (!check()) waiters.add(onEvent);
      });
    },
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin.write(`${JSON.stringify({ id: nextId++, cmd: 'stop', args: {} })}\n`);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
    kill() {
      child.kill('SIGKILL');
    },
  };
}
