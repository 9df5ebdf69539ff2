/** The libp2p identity key of a node, kept in a file so that its peer id survives restarts. */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';

export const PEER_KEY_FILE = 'peer.key';

/** Loads `<directory>/peer.key` (protobuf private key) or creates an Ed25519 one there (mode 0600). */
export async function loadOrCreatePeerKey(directory: string): Promise<PrivateKey> {
  const file = path.join(directory, PEER_KEY_FILE);
  try {
    return privateKeyFromProtobuf(await readFile(file));
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'ENOENT') throw err;
  }
  const key = await generateKeyPair('Ed25519');
  await mkdir(directory, { recursive: true });
  const tmp = `${file}.tmp`;
  await writeFile(tmp, privateKeyToProtobuf(key), { mode: 0o600 });
  await rename(tmp, file);
  return key;
}
