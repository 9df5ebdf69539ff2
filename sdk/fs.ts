import { open, rename } from 'node:fs/promises';

/**
 * Write a file so that a process killed at any moment leaves the old file or the whole new one:
 * temp file, fsync, rename.
 */
export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
}
