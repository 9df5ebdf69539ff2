/**
 * A small encrypted keystore for one private key: scrypt (node:crypto) derives a 256-bit key from a
 * password, AES-256-GCM encrypts the private key, and the address and KDF parameters are
 * authenticated as associated data, so a file whose address or parameters were edited fails to
 * unlock. The file is JSON, written with mode 0600 and never overwritten. Neither the password
 * nor the key ever reaches an error message or a log line.
 *
 * ```json
 * { "version": 1, "kind": "veritrain-keystore", "address": "0x…",
 *   "kdf": { "name": "scrypt", "N": 131072, "r": 8, "p": 1, "dkLen": 32, "salt": "…" },
 *   "cipher": { "name": "aes-256-gcm", "iv": "…", "tag": "…" }, "ciphertext": "…" }
 * ```
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCb } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import type { Address, Hex, LocalAccount } from 'viem';
import { getAddress } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import * as z from 'zod';
import { KeyError } from '../errors.ts';

/** scrypt cost of new keystores: N = 2^17, r = 8, p = 1 (~128 MiB, a few hundred ms). */
export const DEFAULT_SCRYPT_N = 2 ** 17;

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `must be ${bytes} bytes of lowercase hex`);

const keystoreSchema = z.strictObject({
  version: z.literal(1),
  kind: z.literal('veritrain-keystore'),
  address: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
  kdf: z.strictObject({
    name: z.literal('scrypt'),
    N: z
      .number()
      .int()
      .min(2 ** 10)
      .max(2 ** 22)
      .refine((n) => (n & (n - 1)) === 0, 'must be a power of two'),
    r: z.number().int().min(1).max(32),
    p: z.number().int().min(1).max(16),
    dkLen: z.literal(32),
    salt: hex(32),
  }),
  cipher: z.strictObject({ name: z.literal('aes-256-gcm'), iv: hex(12), tag: hex(16) }),
  ciphertext: hex(32),
});

/** The JSON content of a keystore file. */
export type Keystore = z.output<typeof keystoreSchema>;

export interface EncryptKeystoreOptions {
  /** scrypt N (a power of two); defaults to DEFAULT_SCRYPT_N. Tests may lower it. */
  readonly scryptN?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

function scrypt(password: string, salt: Buffer, kdf: Keystore['kdf'], signal: AbortSignal | undefined): Promise<Buffer> {
  signal?.throwIfAborted();
  return new Promise((resolve, reject) => {
    scryptCb(password.normalize('NFKC'), salt, kdf.dkLen, { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r + 2 ** 20 }, (err, key) => {
      if (err !== null) reject(new KeyError('KEYSTORE_INVALID', 'scrypt failed', { cause: err }));
      else if (signal?.aborted === true) reject(signal.reason as Error);
      else resolve(key);
    });
  });
}

function aad(keystore: Pick<Keystore, 'address' | 'kdf'>): Buffer {
  const { N, r, p, dkLen, salt } = keystore.kdf;
  return Buffer.from(JSON.stringify([keystore.address.toLowerCase(), N, r, p, dkLen, salt]));
}

function checkedKey(privateKey: string): Hex {
  if (!/^0x[0-9a-fA-F]{64}$/.test(privateKey)) throw new KeyError('SIGNER_INVALID', 'a private key must be 0x followed by 64 hex digits');
  return privateKey.toLowerCase() as Hex;
}

/**
 * Encrypts `privateKey` under `password`.
 *
 * @example
 * ```ts
 * const keystore = await encryptKeystore(generatePrivateKey(), 'correct horse battery staple');
 * ```
 */
export async function encryptKeystore(privateKey: Hex, password: string, options: EncryptKeystoreOptions = {}): Promise<Keystore> {
  const key = checkedKey(privateKey);
  if (password === '') throw new KeyError('KEYSTORE_INVALID', 'the keystore password must not be empty');
  const address = privateKeyToAccount(key).address;
  const kdf = { name: 'scrypt' as const, N: options.scryptN ?? DEFAULT_SCRYPT_N, r: 8, p: 1, dkLen: 32 as const, salt: randomBytes(32).toString('hex') };
  const derived = await scrypt(password, Buffer.from(kdf.salt, 'hex'), kdf, options.signal);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', derived, iv);
  cipher.setAAD(aad({ address, kdf }));
  const ciphertext = Buffer.concat([cipher.update(Buffer.from(key.slice(2), 'hex')), cipher.final()]);
  return {
    version: 1,
    kind: 'veritrain-keystore',
    address,
    kdf,
    cipher: { name: 'aes-256-gcm', iv: iv.toString('hex'), tag: cipher.getAuthTag().toString('hex') },
    ciphertext: ciphertext.toString('hex'),
  };
}

/** Validates an untrusted keystore object (e.g. a parsed file). */
export function parseKeystore(value: unknown, source = 'keystore'): Keystore {
  const result = keystoreSchema.safeParse(value);
  if (!result.success) {
    throw new KeyError(
      'KEYSTORE_INVALID',
      `${source} is not a Veritrain keystore: ${result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
      { details: { source } },
    );
  }
  return result.data;
}

/**
 * Decrypts a keystore; throws KeyError KEYSTORE_INVALID on a wrong password or a tampered file.
 *
 * @example
 * ```ts
 * const privateKey = await decryptKeystore(keystore, password);
 * ```
 */
export async function decryptKeystore(keystore: Keystore, password: string, options: { signal?: AbortSignal | undefined } = {}): Promise<Hex> {
  const derived = await scrypt(password, Buffer.from(keystore.kdf.salt, 'hex'), keystore.kdf, options.signal);
  const decipher = createDecipheriv('aes-256-gcm', derived, Buffer.from(keystore.cipher.iv, 'hex'));
  decipher.setAAD(aad(keystore));
  decipher.setAuthTag(Buffer.from(keystore.cipher.tag, 'hex'));
  let plain: Buffer;
  try {
    plain = Buffer.concat([decipher.update(Buffer.from(keystore.ciphertext, 'hex')), decipher.final()]);
  } catch (err) {
    throw new KeyError('KEYSTORE_INVALID', `wrong password for the keystore of ${getAddress(keystore.address)} (or the file was altered)`, {
      details: { address: keystore.address },
      cause: err,
    });
  }
  const key: Hex = `0x${plain.toString('hex')}`;
  plain.fill(0);
  if (privateKeyToAccount(key).address.toLowerCase() !== keystore.address.toLowerCase()) {
    throw new KeyError('KEYSTORE_INVALID', 'the keystore decrypts to a key of another address');
  }
  return key;
}

export interface KeystoreFileReturnType {
  readonly address: Address;
  readonly file: string;
}

/** Writes a keystore file with mode 0600; refuses to overwrite an existing file. */
async function writeKeystoreFile(file: string, keystore: Keystore, signal: AbortSignal | undefined): Promise<KeystoreFileReturnType> {
  try {
    await writeFile(file, `${JSON.stringify(keystore, null, 2)}\n`, { mode: 0o600, flag: 'wx', ...(signal === undefined ? {} : { signal }) });
  } catch (err) {
    signal?.throwIfAborted();
    const exists = (err as { code?: unknown }).code === 'EEXIST';
    throw new KeyError('KEYSTORE_INVALID', exists ? `${file} already exists; keystores are never overwritten` : `cannot write ${file}`, {
      details: { file },
      cause: err,
    });
  }
  return { address: getAddress(keystore.address), file };
}

/**
 * Generates a fresh private key and stores it encrypted in a new keystore file.
 *
 * @example
 * ```ts
 * const { address } = await createKeystore('./submitter.keystore.json', process.env.VERITRAIN_KEYSTORE_PASSWORD!);
 * ```
 */
export async function createKeystore(file: string, password: string, options: EncryptKeystoreOptions = {}): Promise<KeystoreFileReturnType> {
  return writeKeystoreFile(file, await encryptKeystore(generatePrivateKey(), password, options), options.signal);
}

/**
 * Stores an existing private key encrypted in a new keystore file.
 *
 * @example
 * ```ts
 * await importKeystore('./submitter.keystore.json', '0x59c6…690d', password);
 * ```
 */
export async function importKeystore(file: string, privateKey: Hex, password: string, options: EncryptKeystoreOptions = {}): Promise<KeystoreFileReturnType> {
  return writeKeystoreFile(file, await encryptKeystore(privateKey, password, options), options.signal);
}

/**
 * Reads and decrypts a keystore file into a viem LocalAccount.
 *
 * @example
 * ```ts
 * const account = await unlockKeystore('./submitter.keystore.json', password);
 * const client = await createChainClient({ rpcUrl: 'http://127.0.0.1:8545', signer: account });
 * ```
 */
export async function unlockKeystore(file: string, password: string, options: { signal?: AbortSignal | undefined } = {}): Promise<LocalAccount> {
  let text: string;
  try {
    text = await readFile(file, { encoding: 'utf8', ...(options.signal === undefined ? {} : { signal: options.signal }) });
  } catch (err) {
    options.signal?.throwIfAborted();
    throw new KeyError('KEYSTORE_INVALID', `cannot read keystore ${file}`, { details: { file }, cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new KeyError('KEYSTORE_INVALID', `${file} is not JSON`, { details: { file }, cause: err });
  }
  return privateKeyToAccount(await decryptKeystore(parseKeystore(json, file), password, options));
}

/**
 * The account of a private key held in an environment variable (0x + 64 hex digits).
 *
 * @example
 * ```ts
 * const account = accountFromEnv('VERITRAIN_PRIVATE_KEY');
 * ```
 */
export function accountFromEnv(variable: string, env: NodeJS.ProcessEnv = process.env): LocalAccount {
  const value = env[variable];
  if (value === undefined || value === '') throw new KeyError('SIGNER_INVALID', `environment variable ${variable} is not set`, { details: { variable } });
  try {
    return privateKeyToAccount(checkedKey(value.trim()));
  } catch (err) {
    throw new KeyError('SIGNER_INVALID', `${variable} does not hold a private key (0x + 64 hex digits)`, {
      details: { variable },
      cause: err instanceof KeyError ? undefined : err,
    });
  }
}
