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
  | 'PEER_FAILED';

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
  constructor(code: 'CONTENT_INVALID' | 'CONTENT_TOO_LARGE' | 'CONTENT_UNAVAILABLE' | 'STORAGE_FAILED', message: string, options: { details?: ErrorDetails; cause?: unknown } = {}) {
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
