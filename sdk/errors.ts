/** Structured context attached to an error; never holds secrets. */
export type ErrorDetails = Readonly<Record<string, unknown>>;

export type VeritrainErrorCode =
  | 'SPEC_INVALID'
  | 'SHAPE_INVALID'
  | 'TENSOR_INVALID'
  | 'ENCODING_INVALID'
  | 'PROOF_INVALID'
  | 'DATASET_INVALID'
  | 'PLATFORM_UNSUPPORTED'
  | 'CONTENT_INVALID'
  | 'CONTENT_TOO_LARGE'
  | 'CONTENT_UNAVAILABLE'
  | 'STORAGE_FAILED'
  | 'MESSAGE_INVALID'
  | 'PEER_FAILED'
  | 'CHAIN_REVERTED'
  | 'CHAIN_TIMEOUT'
  | 'CHAIN_RPC_FAILED'
  | 'CHAIN_MISMATCH'
  | 'JOB_NOT_FOUND'
  | 'CONFIG_INVALID'
  | 'KEYSTORE_INVALID'
  | 'SIGNER_INVALID';

/**
 * The one base error of Veritrain. `code` says what failed, `message` says it to a person,
 * `details` carries the offending values for logs and programs.
 */
export class VeritrainError extends Error {
  override name = 'VeritrainError';
  readonly code: VeritrainErrorCode;
  readonly details: ErrorDetails;

  constructor(code: VeritrainErrorCode, message: string, options: { details?: ErrorDetails; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** A job spec field is missing, malformed or inconsistent with another field. */
export class SpecError extends VeritrainError {
  override name = 'SpecError';
  /** One entry per problem, with the dotted path of the offending field. */
  readonly issues: readonly { path: string; message: string }[];

  constructor(issues: readonly { path: string; message: string }[], options: { cause?: unknown } = {}) {
    const summary = issues.map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`)).join('; ');
    super('SPEC_INVALID', `invalid job spec: ${summary}`, { details: { issues }, ...options });
    this.issues = issues;
  }
}

/** A tensor's shape or data does not fit the commitment rules. */
export class TensorError extends VeritrainError {
  override name = 'TensorError';
  constructor(code: 'SHAPE_INVALID' | 'TENSOR_INVALID', message: string, details: ErrorDetails = {}) {
    super(code, message, { details });
  }
}

/** Bytes that should hold an encoding (checkpoint, spec, shape) are truncated or malformed. */
export class EncodingError extends VeritrainError {
  override name = 'EncodingError';
  constructor(message: string, details: ErrorDetails = {}) {
    super('ENCODING_INVALID', message, { details });
  }
}

/** A Merkle proof does not lead to the expected root, or is malformed. */
export class ProofError extends VeritrainError {
  override name = 'ProofError';
  constructor(message: string, details: ErrorDetails = {}) {
    super('PROOF_INVALID', message, { details });
  }
}

/** Dataset records do not match the spec (size, count, root). */
export class DatasetError extends VeritrainError {
  override name = 'DatasetError';
  constructor(message: string, details: ErrorDetails = {}) {
    super('DATASET_INVALID', message, { details });
  }
}

/**
 * Content fetched by CID is not what the caller expected (hash or root mismatch, undecodable), is
 * larger than the caller's bound, or could not be had in time.
 */
export class ContentError extends VeritrainError {
  override name = 'ContentError';
  constructor(
    code: 'CONTENT_INVALID' | 'CONTENT_TOO_LARGE' | 'CONTENT_UNAVAILABLE' | 'STORAGE_FAILED',
    message: string,
    options: { details?: ErrorDetails; cause?: unknown } = {},
  ) {
    super(code, message, options);
  }
}

/**
 * A p2p message or response failed its schema, size bound or signature (`MESSAGE_INVALID`), or the
 * remote peer failed or refused a request (`PEER_FAILED`).
 */
export class P2PError extends VeritrainError {
  override name = 'P2PError';
  constructor(code: 'MESSAGE_INVALID' | 'PEER_FAILED', message: string, options: { details?: ErrorDetails; cause?: unknown } = {}) {
    super(code, message, options);
  }
}

/**
 * A chain interaction failed. `CHAIN_REVERTED`: the contract reverted; `errorName` and `args` hold
 * the decoded custom error (e.g. `JobUnexpectedStatus`) and the message says it in words.
 * `CHAIN_TIMEOUT`: a transaction was not mined or confirmed in time. `CHAIN_RPC_FAILED`: the node
 * kept failing (after retries) or answered nonsense. `CHAIN_MISMATCH`: the node is on another chain
 * than the deployment. `JOB_NOT_FOUND`: no job has that id.
 */
export class ChainError extends VeritrainError {
  override name = 'ChainError';
  /** Name of the decoded custom error, when the chain reverted with one. */
  readonly errorName: string | undefined;
  /** Its decoded arguments, in ABI order. */
  readonly args: readonly unknown[];
  /** The transaction, when one was sent. */
  readonly txHash: `0x${string}` | undefined;

  constructor(
    code: 'CHAIN_REVERTED' | 'CHAIN_TIMEOUT' | 'CHAIN_RPC_FAILED' | 'CHAIN_MISMATCH' | 'JOB_NOT_FOUND',
    message: string,
    options: { details?: ErrorDetails; cause?: unknown; errorName?: string | undefined; args?: readonly unknown[]; txHash?: `0x${string}` | undefined } = {},
  ) {
    super(code, message, {
      details: {
        ...options.details,
        ...(options.errorName === undefined ? {} : { errorName: options.errorName }),
        ...(options.txHash === undefined ? {} : { txHash: options.txHash }),
      },
      cause: options.cause,
    });
    this.errorName = options.errorName;
    this.args = options.args ?? [];
    this.txHash = options.txHash;
  }
}

/** A configuration input (deployment file, CLI option, environment variable) is missing or malformed. */
export class ConfigError extends VeritrainError {
  override name = 'ConfigError';
  constructor(message: string, options: { details?: ErrorDetails; cause?: unknown } = {}) {
    super('CONFIG_INVALID', message, options);
  }
}

/**
 * A key could not be had: `KEYSTORE_INVALID` for a keystore file that is malformed or a wrong
 * password, `SIGNER_INVALID` for a signer of an unsupported kind or a malformed private key.
 * Messages never contain key material.
 */
export class KeyError extends VeritrainError {
  override name = 'KeyError';
  constructor(code: 'KEYSTORE_INVALID' | 'SIGNER_INVALID', message: string, options: { details?: ErrorDetails; cause?: unknown } = {}) {
    super(code, message, options);
  }
}
