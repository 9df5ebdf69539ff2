/**
 * ContentStore: put, get and pin content by CID (docs/PROTOCOL.md §8.1). Two implementations share it:
 * an embedded Helia node on a filesystem blockstore (`createHeliaStore`) and a Kubo node over its
 * RPC API (`createKuboStore`). CIDs locate content; the protocol roots are the commitments, so
 * callers that know a root check fetched content against it (sdk/storage/objects.ts).
 */
import type { Hex } from 'viem';

export interface StoreLimits {
  /** Largest checkpoint or op-trace file fetched from others (state file bytes). */
  readonly maxStateBytes: number;
  /** Largest dataset file fetched from others. */
  readonly maxDatasetBytes: number;
  /** Largest job spec fetched from others. */
  readonly maxSpecBytes: number;
  /** Deadline of one fetch, pin or put, on top of the caller's own signal. */
  readonly timeoutMs: number;
}

/**
 * Defaults. Bounds are per object: a state of 2^31-1 fp32 elements is 8 GiB, but a single
 * JavaScript buffer tops out well below that, and states this SDK trains are far smaller.
 */
export const DEFAULT_STORE_LIMITS: StoreLimits = {
  maxStateBytes: 2 ** 31,
  maxDatasetBytes: 2 ** 32 - 1,
  maxSpecBytes: 64 * 1024,
  timeoutMs: 10 * 60_000,
};

export interface PutOptions {
  readonly signal?: AbortSignal | undefined;
  /** Keep the content through garbage collection (default true). */
  readonly pin?: boolean | undefined;
}

/** What the caller knows the content must be. */
export interface ExpectedContent {
  /** SHA-256 of the whole content (the stream throws at its end on a mismatch). */
  readonly sha256?: Hex;
}

export interface GetOptions {
  /** The stream throws ContentError CONTENT_TOO_LARGE past this many bytes (or up front, when the declared size exceeds it). */
  readonly maxBytes: number;
  readonly signal?: AbortSignal | undefined;
  readonly expected?: ExpectedContent | undefined;
  /** Use only what is stored locally; never touch the network. */
  readonly offline?: boolean | undefined;
}

export interface StoreCallOptions {
  readonly signal?: AbortSignal | undefined;
  readonly offline?: boolean | undefined;
}

export interface ContentStat {
  /** File size declared by the root node (UnixFS) or the raw block's length. Untrusted until read. */
  readonly size: number;
}

export interface ContentStore {
  readonly kind: 'helia' | 'kubo';
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Adds content (a UnixFS file, CIDv1, raw leaves, 1 MiB chunks) and returns its CID string. Streams: never holds the whole input. */
  put(content: Uint8Array | AsyncIterable<Uint8Array>, options?: PutOptions): Promise<string>;
  /** Streams the content of a UnixFS file or raw block; every block is checked against its CID, the whole against `expected`. */
  get(cid: string, options: GetOptions): AsyncIterable<Uint8Array>;
  stat(cid: string, options?: StoreCallOptions): Promise<ContentStat>;
  /** Fetches every block if needed and keeps the content through garbage collection and restarts. */
  pin(cid: string, options?: StoreCallOptions): Promise<void>;
  unpin(cid: string, options?: StoreCallOptions): Promise<void>;
  isPinned(cid: string, options?: StoreCallOptions): Promise<boolean>;
  /** Whether the whole content is held locally (checked without the network). */
  has(cid: string, options?: StoreCallOptions): Promise<boolean>;
}
