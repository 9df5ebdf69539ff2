/**
 * Key handling for daemons, on top of sdk/chain/keystore.ts: where the key comes from (a private
 * key in an environment variable for development, otherwise an encrypted keystore file), where the
 * password comes from (an environment variable, a file, or a hidden prompt on a terminal), and the
 * `key create` / `key import` / `key address` operations a daemon's CLI offers. Neither the key nor
 * the password ever reaches a log line or an error message.
 *
 * ```ts
 * const account = await loadAccount({ keystore: config.key.keystore, env: process.env, signal });
 * ```
 */
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { Address, Hex, LocalAccount } from 'viem';
import { getAddress } from 'viem';
import {
  accountFromEnv,
  createKeystore,
  importKeystore,
  parseKeystore,
  unlockKeystore,
  type EncryptKeystoreOptions,
  type KeystoreFileReturnType,
} from '../chain/keystore.ts';
import { KeyError } from '../errors.ts';

/** Environment variables read by default. */
export const KEY_ENV = {
  /** A raw private key (0x + 64 hex): development and tests only. */
  privateKey: 'VERITRAIN_PRIVATE_KEY',
  /** The keystore password. */
  password: 'VERITRAIN_KEYSTORE_PASSWORD',
  /** A file holding the keystore password (first line). */
  passwordFile: 'VERITRAIN_KEYSTORE_PASSWORD_FILE',
} as const;

/** The key variables, for a program's `--help`. */
export const KEY_ENV_HELP: readonly { readonly name: string; readonly description: string }[] = [
  { name: KEY_ENV.privateKey, description: 'raw private key (development only; overrides key.keystore)' },
  { name: KEY_ENV.password, description: 'keystore password' },
  { name: KEY_ENV.passwordFile, description: 'file whose first line is the keystore password' },
];

export interface PasswordSource {
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Variable names; default KEY_ENV. */
  readonly passwordEnv?: string | undefined;
  readonly passwordFileEnv?: string | undefined;
  /** Prompt on this terminal when no variable is set (stdin must be a TTY). */
  readonly prompt?: { readonly input: NodeJS.ReadableStream & { isTTY?: boolean }; readonly output: NodeJS.WritableStream } | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** Reads a line from a terminal without echoing it. */
export async function promptHidden(
  question: string,
  io: { input: NodeJS.ReadableStream & { isTTY?: boolean }; output: NodeJS.WritableStream },
  signal?: AbortSignal,
): Promise<string> {
  if (io.input.isTTY !== true)
    throw new KeyError('KEYSTORE_INVALID', `no password: set ${KEY_ENV.password} or ${KEY_ENV.passwordFile} (stdin is not a terminal to ask on)`);
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      if (!muted) io.output.write(chunk);
      cb();
    },
  });
  const rl = createInterface({ input: io.input, output, terminal: true });
  try {
    const answer = new Promise<string>((resolve, reject) => {
      rl.question(question, { ...(signal === undefined ? {} : { signal }) }, resolve);
      rl.once('close', () => {
        reject(new KeyError('KEYSTORE_INVALID', 'no password entered'));
      });
    });
    muted = true;
    const line = await answer;
    io.output.write('\n');
    return line;
  } finally {
    rl.close();
  }
}

/** The keystore password from the environment, a file, or a hidden prompt, in that order. */
export async function readPassword(source: PasswordSource, question = 'keystore password: '): Promise<string> {
  const env = source.env ?? process.env;
  const direct = env[source.passwordEnv ?? KEY_ENV.password];
  if (direct !== undefined && direct !== '') return direct;
  const fileVar = source.passwordFileEnv ?? KEY_ENV.passwordFile;
  const file = env[fileVar];
  if (file !== undefined && file !== '') {
    try {
      const text = await readFile(file, { encoding: 'utf8', ...(source.signal === undefined ? {} : { signal: source.signal }) });
      return text.split(/\r?\n/)[0] ?? '';
    } catch (err) {
      throw new KeyError('KEYSTORE_INVALID', `cannot read the password file named by ${fileVar}`, { details: { variable: fileVar }, cause: err });
    }
  }
  if (source.prompt !== undefined) return promptHidden(question, source.prompt, source.signal);
  throw new KeyError('KEYSTORE_INVALID', `no keystore password: set ${source.passwordEnv ?? KEY_ENV.password} or ${fileVar}`);
}

export interface LoadAccountOptions extends PasswordSource {
  /** The keystore file; used unless the private-key variable is set. */
  readonly keystore?: string | undefined;
  /** Variable holding a raw private key; default KEY_ENV.privateKey. */
  readonly privateKeyEnv?: string | undefined;
}

/**
 * The daemon's account: the raw key in `VERITRAIN_PRIVATE_KEY` when set (development), otherwise
 * the keystore unlocked with the password from readPassword. Throws KeyError with what to do.
 */
export async function loadAccount(options: LoadAccountOptions): Promise<LocalAccount> {
  const env = options.env ?? process.env;
  const keyVar = options.privateKeyEnv ?? KEY_ENV.privateKey;
  const raw = env[keyVar];
  if (raw !== undefined && raw !== '') return accountFromEnv(keyVar, env);
  if (options.keystore === undefined || options.keystore === '') {
    throw new KeyError('KEYSTORE_INVALID', `no key: set key.keystore in the config (create one with \`key create\`) or ${keyVar}`);
  }
  const password = await readPassword(options);
  return unlockKeystore(options.keystore, password, { signal: options.signal });
}

/** The address of a keystore file, without its password. */
export async function keystoreAddress(file: string, signal?: AbortSignal): Promise<Address> {
  let text: string;
  try {
    text = await readFile(file, { encoding: 'utf8', ...(signal === undefined ? {} : { signal }) });
  } catch (err) {
    throw new KeyError('KEYSTORE_INVALID', `cannot read keystore ${file}`, { details: { file }, cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new KeyError('KEYSTORE_INVALID', `${file} is not JSON`, { details: { file }, cause: err });
  }
  return getAddress(parseKeystore(json, file).address);
}

export interface CreateKeyOptions extends PasswordSource, EncryptKeystoreOptions {
  readonly signal?: AbortSignal | undefined;
}

/** `key create`: a new random key, encrypted into a new file (never overwrites). */
export async function createKeyFile(file: string, options: CreateKeyOptions): Promise<KeystoreFileReturnType> {
  const password = await readPassword(options, 'new keystore password: ');
  if (password.length < 8) throw new KeyError('KEYSTORE_INVALID', 'the keystore password must have at least 8 characters');
  return createKeystore(file, password, options);
}

/** `key import`: an existing private key (read from `privateKeyEnv`, never from argv) into a new keystore file. */
export async function importKeyFile(
  file: string,
  options: CreateKeyOptions & { readonly privateKeyEnv?: string | undefined },
): Promise<KeystoreFileReturnType> {
  const env = options.env ?? process.env;
  const keyVar = options.privateKeyEnv ?? KEY_ENV.privateKey;
  const raw = env[keyVar]?.trim();
  let key: Hex;
  if (raw !== undefined && raw !== '') key = raw as Hex;
  else if (options.prompt !== undefined) key = (await promptHidden('private key (0x…): ', options.prompt, options.signal)).trim() as Hex;
  else throw new KeyError('SIGNER_INVALID', `no private key to import: set ${keyVar}`);
  const password = await readPassword(options, 'new keystore password: ');
  if (password.length < 8) throw new KeyError('KEYSTORE_INVALID', 'the keystore password must have at least 8 characters');
  return importKeystore(file, key, password, options);
}
