/**
 * Checkpoints on local disk: the state file (§2.7) and its root, written atomically (temp file,
 * fsync, rename), so a process killed at any moment leaves either the whole checkpoint or none.
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { isHex, type Hex } from 'viem';
import { decodeState } from '../commit/codec.ts';
import { stateRoot } from '../commit/state.ts';
import type { Tensor } from '../commit/tensor.ts';
import { EncodingError } from '../errors.ts';
import { writeFileAtomic } from '../fs.ts';

export interface StoredCheckpoint {
  readonly index: number;
  readonly root: Hex;
  readonly state: Tensor[];
}

export interface CheckpointStore {
  save(index: number, file: Uint8Array, root: Hex, meta: Readonly<Record<string, unknown>>): Promise<void>;
  /** The highest complete checkpoint, verified against its root; undefined when there is none. */
  latest(): Promise<StoredCheckpoint | undefined>;
  root(index: number): Promise<Hex | undefined>;
  file(index: number): Promise<Uint8Array | undefined>;
}

export function createDirCheckpointStore(dir: string): CheckpointStore {
  const statePath = (i: number): string => path.join(dir, `checkpoint-${String(i).padStart(6, '0')}.vts`);
  const metaPath = (i: number): string => path.join(dir, `checkpoint-${String(i).padStart(6, '0')}.json`);

  const readMeta = async (i: number): Promise<{ root: Hex } | undefined> => {
    try {
      const meta = JSON.parse(await readFile(metaPath(i), 'utf8')) as { root?: unknown };
      return typeof meta.root === 'string' && isHex(meta.root) ? { root: meta.root } : undefined;
    } catch {
      return undefined;
    }
  };

  return {
    async save(index, file, root, meta) {
      await mkdir(dir, { recursive: true });
      // State first, then the metadata that marks it complete.
      await writeFileAtomic(statePath(index), file);
      await writeFileAtomic(metaPath(index), `${JSON.stringify({ index, root, ...meta })}\n`);
    },
    async latest() {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        return undefined;
      }
      const indices = names
        .map((n) => /^checkpoint-(\d+)\.json$/.exec(n)?.[1])
        .filter((x) => x !== undefined)
        .map(Number)
        .sort((a, b) => b - a);
      for (const index of indices) {
        const meta = await readMeta(index);
        if (meta === undefined) continue;
        const state = decodeState(new Uint8Array(await readFile(statePath(index))));
        const root = stateRoot(state);
        if (root !== meta.root) throw new EncodingError(`checkpoint ${index} on disk has root ${root}, its metadata says ${meta.root}`);
        return { index, root, state };
      }
      return undefined;
    },
    async root(index) {
      return (await readMeta(index))?.root;
    },
    async file(index) {
      try {
        return new Uint8Array(await readFile(statePath(index)));
      } catch {
        return undefined;
      }
    },
  };
}
