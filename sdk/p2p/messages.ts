/**
 * Signed p2p messages (docs/PROTOCOL.md §8.2, Messages). Every message is a JSON envelope
 *
 *   { v: 1, type, chainId, from, peer, ts, body, sig }
 *
 * `sig` is an EIP-191 personal signature (viem signMessage, raw bytes) by the chain address `from`
 * over the canonical JSON of the envelope without `sig` (keys sorted, no whitespace, integers
 * only). `peer` is the libp2p peer id of the node that originates the message, so a signed message
 * cannot be re-originated by another peer; `ts` is the sender's clock in milliseconds. Schemas are
 * strict: unknown fields, non-canonical hex and out-of-range numbers are rejected.
 */
import { verifyMessage, type Address, type Hex, type LocalAccount } from 'viem';
import { z } from 'zod';
import { CID } from 'multiformats/cid';
import { P2PError } from '../errors.ts';

export const MESSAGE_VERSION = 1;
/** Largest gossip message accepted (bytes of the JSON envelope). */
export const MAX_GOSSIP_MESSAGE_BYTES = 16 * 1024;

const hex32 = z.string().regex(/^0x[0-9a-f]{64}$/, 'expected 0x and 64 lowercase hex digits');
const address = z.string().regex(/^0x[0-9a-f]{40}$/, 'expected 0x and 40 lowercase hex digits');
const u64 = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,19})$/, 'expected a decimal integer')
  .refine((v) => BigInt(v) < 2n ** 64n, 'exceeds 2^64-1');
const safeUint = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const cid = z
  .string()
  .min(1)
  .max(128)
  .refine((v) => {
    try {
      return CID.parse(v).version === 1;
    } catch {
      return false;
    }
  }, 'expected a CIDv1');

/** A job was posted on-chain; its spec and dataset are on IPFS. Sent by the submitter. */
export const jobAnnouncementSchema = z.strictObject({
  market: address,
  jobId: u64,
  specHash: hex32,
  specCid: cid,
  datasetCid: cid,
});

/** A checkpoint was committed on-chain and its state file is available. Sent by the solver. */
export const checkpointAvailableSchema = z.strictObject({
  market: address,
  jobId: u64,
  index: z.number().int().nonnegative().max(0xffff_ffff),
  stateRoot: hex32,
  cid,
});

export const STATES_WANT = ['states', 'traces'] as const;

/** A verifier asks a solver for the intermediate states (or op traces) of steps [fromStep, toStep]. */
export const statesRequestSchema = z
  .strictObject({
    market: address,
    jobId: u64,
    fromStep: safeUint,
    toStep: safeUint,
    want: z.enum(STATES_WANT),
  })
  .refine((r) => r.fromStep <= r.toStep, 'fromStep must not exceed toStep');

/** The solver's answer header: `ok` with the number of items to follow, or a refusal. */
export const statesHeaderSchema = z.strictObject({
  request: hex32,
  status: z.enum(['ok', 'refused']),
  reason: z.string().max(256).optional(),
});

/** Precedes the data of one item: which step, how many bytes, their SHA-256. */
export const statesItemSchema = z.strictObject({
  request: hex32,
  step: safeUint,
  size: safeUint,
  sha256: hex32,
});

/** Ends a response: how many items were sent. */
export const statesEndSchema = z.strictObject({
  request: hex32,
  count: safeUint,
});

export const BODY_SCHEMAS = {
  job: jobAnnouncementSchema,
  checkpoint: checkpointAvailableSchema,
  'states-request': statesRequestSchema,
  'states-header': statesHeaderSchema,
  'states-item': statesItemSchema,
  'states-end': statesEndSchema,
} as const;

export type MessageType = keyof typeof BODY_SCHEMAS;
export type MessageBody<T extends MessageType> = z.output<(typeof BODY_SCHEMAS)[T]>;
export type JobAnnouncement = MessageBody<'job'>;
export type CheckpointAvailable = MessageBody<'checkpoint'>;
export type StatesRequest = MessageBody<'states-request'>;

const envelopeBase = {
  v: z.literal(MESSAGE_VERSION),
  chainId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  from: address,
  peer: z.string().min(1).max(128),
  ts: safeUint,
  sig: z.string().regex(/^0x[0-9a-f]{130}$/, 'expected a 65-byte signature'),
};

function envelopeSchema<T extends MessageType>(type: T) {
  return z.strictObject({ ...envelopeBase, type: z.literal(type), body: BODY_SCHEMAS[type] });
}

export interface Envelope<T extends MessageType> {
  readonly v: typeof MESSAGE_VERSION;
  readonly type: T;
  readonly chainId: number;
  readonly from: Address;
  readonly peer: string;
  readonly ts: number;
  readonly body: MessageBody<T>;
  readonly sig: Hex;
}

type Json = string | number | boolean | null | readonly Json[] | { readonly [k: string]: Json | undefined };

/** Canonical JSON: object keys sorted by UTF-16 code unit, no whitespace, safe integers only, undefined fields omitted. */
export function canonicalJson(value: Json): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new P2PError('MESSAGE_INVALID', `canonical JSON holds safe integers only, got ${value}`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${(value as readonly Json[]).map(canonicalJson).join(',')}]`;
  const obj = value as { readonly [k: string]: Json | undefined };
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k] as Json)}`).join(',')}}`;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The bytes that `sig` signs: canonical JSON of the envelope without `sig`. */
export function signingBytes(envelope: Omit<Envelope<MessageType>, 'sig'>): Uint8Array {
  const { v, type, chainId, from, peer, ts, body } = envelope;
  return encoder.encode(canonicalJson({ v, type, chainId, from, peer, ts, body: body as Json }));
}

export interface SignParameters<T extends MessageType> {
  readonly type: T;
  readonly body: MessageBody<T>;
  readonly chainId: number;
  readonly peer: string;
  /** Milliseconds since the epoch, from the caller's injected clock. */
  readonly ts: number;
  readonly account: LocalAccount;
}

/** Signs a message with the account's chain key; returns the envelope and its wire bytes. */
export async function signEnvelope<T extends MessageType>(params: SignParameters<T>): Promise<{ envelope: Envelope<T>; bytes: Uint8Array }> {
  const body = BODY_SCHEMAS[params.type].parse(params.body) as MessageBody<T>;
  const unsigned = {
    v: MESSAGE_VERSION,
    type: params.type,
    chainId: params.chainId,
    from: params.account.address.toLowerCase() as Address,
    peer: params.peer,
    ts: params.ts,
    body,
  } as const;
  const sig = await params.account.signMessage({ message: { raw: signingBytes(unsigned) } });
  const envelope: Envelope<T> = { ...unsigned, sig };
  return { envelope, bytes: encoder.encode(canonicalJson(envelope as unknown as Json)) };
}

export interface OpenParameters<T extends MessageType> {
  readonly type: T;
  readonly bytes: Uint8Array;
  readonly maxBytes: number;
  readonly chainId: number;
  /** When given, the envelope's `peer` must equal it (the libp2p peer that originated the message). */
  readonly peer?: string | undefined;
  /** When given, `from` must equal it. */
  readonly from?: Address | undefined;
}

/**
 * Parses, schema-checks and verifies a message. Throws P2PError MESSAGE_INVALID naming the first
 * problem: size, UTF-8, JSON, schema, chain id, peer, sender or signature.
 */
export async function openEnvelope<T extends MessageType>(params: OpenParameters<T>): Promise<Envelope<T>> {
  const fail = (why: string, cause?: unknown): never => {
    throw new P2PError('MESSAGE_INVALID', `invalid ${params.type} message: ${why}`, { details: { type: params.type, size: params.bytes.byteLength }, cause });
  };
  if (params.bytes.byteLength > params.maxBytes) fail(`${params.bytes.byteLength} bytes exceeds the bound of ${params.maxBytes}`);
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(params.bytes));
  } catch (err) {
    fail('not UTF-8 JSON', err);
  }
  const parsed = envelopeSchema(params.type).safeParse(json);
  if (!parsed.success) {
    fail(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    throw new Error('unreachable');
  }
  const envelope = parsed.data as unknown as Envelope<T>;
  if (envelope.chainId !== params.chainId) fail(`chain id ${envelope.chainId}, expected ${params.chainId}`);
  if (params.peer !== undefined && envelope.peer !== params.peer) fail(`claims peer ${envelope.peer} but came from ${params.peer}`);
  if (params.from !== undefined && envelope.from !== params.from.toLowerCase()) fail(`signed by ${envelope.from}, expected ${params.from}`);
  let valid = false;
  try {
    valid = await verifyMessage({ address: envelope.from, message: { raw: signingBytes(envelope) }, signature: envelope.sig });
  } catch (err) {
    fail('malformed signature', err);
  }
  if (!valid) fail(`signature does not recover to ${envelope.from}`);
  return envelope;
}
