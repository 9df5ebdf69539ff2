/**
 * `/veritrain/states/1.0.0`: a verifier asks a solver for the intermediate states (or op traces)
 * of a step range (docs/PROTOCOL.md §8.2). Every frame is an unsigned-varint length
 * prefix and its bytes. The client sends one signed `states-request`; the server answers with a
 * signed `states-header`, then per item a signed `states-item` (step, size, SHA-256) followed by the
 * item's bytes in data frames of at most DATA_FRAME_BYTES, and a signed `states-end`. Items are
 * state files (sdk/commit/codec.ts); the signatures make every served item attributable to the
 * solver's chain address. The client bounds frame sizes, item sizes, the total and the time.
 */
import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';
import { lpStream } from '@libp2p/utils';
import type { Address, Hex, LocalAccount } from 'viem';
import { sha256Hex } from '../commit/sha256.ts';
import { P2PError } from '../errors.ts';
import { silentLogger, type Logger } from '../log.ts';
import { openEnvelope, signEnvelope, type Envelope, type MessageType, type StatesRequest } from './messages.ts';

export const STATES_PROTOCOL = '/veritrain/states/1.0.0';
/** Item bytes travel in frames of at most this size. */
export const DATA_FRAME_BYTES = 1024 * 1024;
/** Largest JSON frame (request, header, item header, end). */
export const MAX_CONTROL_FRAME_BYTES = 4 * 1024;

export interface StatesLimits {
  /** Most steps one request may cover (toStep - fromStep + 1). */
  readonly maxSteps: number;
  /** Largest single item (one state file or op trace). */
  readonly maxItemBytes: number;
  /** Largest response, all items together. */
  readonly maxTotalBytes: number;
  /** Client: deadline of a whole response. Server: deadline of serving one request. */
  readonly responseTimeoutMs: number;
  /** Server: time a peer has to send its request after opening the stream. */
  readonly requestTimeoutMs: number;
  /** Server: malformed requests from one peer before its connection is closed. */
  readonly maxStrikes: number;
}

export const DEFAULT_STATES_LIMITS: StatesLimits = {
  maxSteps: 1024,
  maxItemBytes: 2 ** 31,
  maxTotalBytes: 2 ** 36,
  responseTimeoutMs: 10 * 60_000,
  requestTimeoutMs: 10_000,
  maxStrikes: 3,
};

export interface StatesItem {
  readonly step: number;
  readonly bytes: Uint8Array;
}

/** A served item as the client sees it: the bytes, their hash, and the solver's signed item header. */
export interface ReceivedStatesItem extends StatesItem {
  readonly sha256: Hex;
  readonly header: Envelope<'states-item'>;
}

export interface StatesProviderContext {
  /** Chain address that signed the request. */
  readonly from: Address;
  /** libp2p peer id of the requester. */
  readonly peer: string;
  readonly signal: AbortSignal;
}

/** Yields the items of a request in increasing step order, each step within [fromStep, toStep]. */
export type StatesProvider = (request: StatesRequest, context: StatesProviderContext) => AsyncIterable<StatesItem>;

interface ProtocolContext {
  readonly account: LocalAccount;
  readonly chainId: number;
  readonly now: () => number;
}

export interface ServeStatesOptions extends ProtocolContext {
  readonly market: Address;
  readonly provider: StatesProvider;
  readonly logger?: Logger | undefined;
  readonly limits?: Partial<StatesLimits> | undefined;
  /** Whether to serve this requester at all (default: everyone). */
  readonly authorize?: ((request: StatesRequest, context: { from: Address; peer: string }) => boolean) | undefined;
}

type Lp = ReturnType<typeof lpStream<Stream>>;

async function writeSigned<T extends MessageType>(
  lp: Lp,
  ctx: ProtocolContext,
  peer: string,
  type: T,
  body: Envelope<T>['body'],
  signal: AbortSignal,
): Promise<void> {
  const { bytes } = await signEnvelope({ type, body, chainId: ctx.chainId, peer, ts: ctx.now(), account: ctx.account });
  await lp.write(bytes, { signal });
}

/** Registers the server side on `libp2p`. Returns a function that unregisters it. */
export async function serveStates(libp2p: Libp2p, options: ServeStatesOptions): Promise<() => Promise<void>> {
  const limits: StatesLimits = { ...DEFAULT_STATES_LIMITS, ...options.limits };
  const log = (options.logger ?? silentLogger).child({ component: 'p2p', protocol: STATES_PROTOCOL });
  const self = libp2p.peerId.toString();
  const strikes = new Map<string, number>();

  const strike = async (connection: Connection, reason: unknown): Promise<void> => {
    const peer = connection.remotePeer.toString();
    const n = (strikes.get(peer) ?? 0) + 1;
    strikes.set(peer, n);
    log.warn('malformed states request dropped', { peer, strikes: n, reason });
    if (n >= limits.maxStrikes) {
      log.warn('closing the connection of a peer that keeps sending garbage', { peer });
      strikes.delete(peer);
      await connection.close().catch(() => undefined);
    }
  };

  const handler = async (stream: Stream, connection: Connection): Promise<void> => {
    const peer = connection.remotePeer.toString();
    const lp = lpStream(stream, { maxDataLength: MAX_CONTROL_FRAME_BYTES });
    let request: Envelope<'states-request'>;
    let id: Hex;
    try {
      const frame = (await lp.read({ signal: AbortSignal.timeout(limits.requestTimeoutMs) })).subarray();
      request = await openEnvelope({ type: 'states-request', bytes: frame, maxBytes: MAX_CONTROL_FRAME_BYTES, chainId: options.chainId, peer });
      id = sha256Hex(frame);
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)));
      await strike(connection, err);
      return;
    }
    const signal = AbortSignal.timeout(limits.responseTimeoutMs);
    const req = request.body;
    try {
      const steps = req.toStep - req.fromStep + 1;
      let refusal: string | undefined;
      if (req.market !== options.market.toLowerCase()) refusal = `this node serves market ${options.market.toLowerCase()}`;
      else if (steps > limits.maxSteps) refusal = `at most ${limits.maxSteps} steps per request`;
      else if (options.authorize !== undefined && !options.authorize(req, { from: request.from, peer })) refusal = 'not authorized';
      if (refusal !== undefined) {
        await writeSigned(lp, options, self, 'states-header', { request: id, status: 'refused', reason: refusal }, signal);
        await stream.close({ signal });
        log.info('states request refused', { peer, from: request.from, reason: refusal });
        return;
      }
      await writeSigned(lp, options, self, 'states-header', { request: id, status: 'ok' }, signal);
      let count = 0;
      let last = -1;
      let total = 0;
      for await (const item of options.provider(req, { from: request.from, peer, signal })) {
        if (!Number.isSafeInteger(item.step) || item.step < req.fromStep || item.step > req.toStep || item.step <= last) {
          throw new P2PError('PEER_FAILED', `the states provider yielded step ${item.step} out of order or outside [${req.fromStep}, ${req.toStep}]`);
        }
        last = item.step;
        total += item.bytes.byteLength;
        await writeSigned(
          lp,
          options,
          self,
          'states-item',
          { request: id, step: item.step, size: item.bytes.byteLength, sha256: sha256Hex(item.bytes) },
          signal,
        );
        for (let off = 0; off < item.bytes.byteLength; off += DATA_FRAME_BYTES) {
          await lp.write(item.bytes.subarray(off, off + DATA_FRAME_BYTES), { signal });
        }
        count++;
      }
      await writeSigned(lp, options, self, 'states-end', { request: id, count }, signal);
      await stream.close({ signal });
      log.info('states served', {
        peer,
        from: request.from,
        jobId: req.jobId,
        fromStep: req.fromStep,
        toStep: req.toStep,
        want: req.want,
        count,
        bytes: total,
      });
    } catch (err) {
      log.warn('serving states failed', { peer, error: err });
      stream.abort(err instanceof Error ? err : new Error(String(err)));
    }
  };

  await libp2p.handle(STATES_PROTOCOL, handler, { maxInboundStreams: 8 });
  return async () => {
    await libp2p.unhandle(STATES_PROTOCOL);
  };
}

export interface RequestStatesOptions extends ProtocolContext {
  readonly signal?: AbortSignal | undefined;
  readonly limits?: Partial<StatesLimits> | undefined;
  /** The solver's chain address: every frame must be signed by it. Without it, by whoever signed the header. */
  readonly server?: Address | undefined;
}

const textDecoder = new TextDecoder();

/**
 * Asks `peer` for the items of `request` and yields them as they arrive, each checked against its
 * signed header (size, SHA-256, step in range and increasing). Throws P2PError: MESSAGE_INVALID for
 * anything malformed or over a bound, PEER_FAILED for a refusal or a broken stream; an abort of the
 * caller's signal is passed on as its reason.
 */
export async function* requestStates(
  libp2p: Libp2p,
  peer: PeerId | Multiaddr | Multiaddr[],
  request: StatesRequest,
  options: RequestStatesOptions,
): AsyncGenerator<ReceivedStatesItem> {
  const limits: StatesLimits = { ...DEFAULT_STATES_LIMITS, ...options.limits };
  const timeout = AbortSignal.timeout(limits.responseTimeoutMs);
  const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
  const steps = request.toStep - request.fromStep + 1;
  if (steps > limits.maxSteps) throw new P2PError('MESSAGE_INVALID', `a request covers at most ${limits.maxSteps} steps, this one ${steps}`);

  let stream: Stream | undefined;
  let finished = false;
  try {
    const connection = await libp2p.dial(peer, { signal });
    const remote = connection.remotePeer.toString();
    stream = await connection.newStream(STATES_PROTOCOL, { signal });
    const lp = lpStream(stream, { maxDataLength: Math.max(DATA_FRAME_BYTES, MAX_CONTROL_FRAME_BYTES), maxBufferSize: 4 * DATA_FRAME_BYTES });
    const { bytes: requestBytes } = await signEnvelope({
      type: 'states-request',
      body: request,
      chainId: options.chainId,
      peer: libp2p.peerId.toString(),
      ts: options.now(),
      account: options.account,
    });
    const id = sha256Hex(requestBytes);
    await lp.write(requestBytes, { signal });

    const control = async <T extends MessageType>(type: T, from: Address | undefined): Promise<Envelope<T>> => {
      const frame = (await lp.read({ signal })).subarray();
      const env = await openEnvelope({ type, bytes: frame, maxBytes: MAX_CONTROL_FRAME_BYTES, chainId: options.chainId, peer: remote, from });
      if ((env.body as { request: Hex }).request !== id) throw new P2PError('MESSAGE_INVALID', `${type} answers another request`);
      return env;
    };

    const header = await control('states-header', options.server);
    if (header.body.status === 'refused') {
      throw new P2PError('PEER_FAILED', `the peer refused the request: ${header.body.reason ?? 'no reason given'}`, {
        details: { peer: remote, reason: header.body.reason },
      });
    }
    const server = header.from;
    let count = 0;
    let last = -1;
    let total = 0;
    for (;;) {
      const frame = (await lp.read({ signal })).subarray();
      let type: unknown;
      try {
        type = frame.byteLength <= MAX_CONTROL_FRAME_BYTES ? (JSON.parse(textDecoder.decode(frame)) as { type?: unknown }).type : undefined;
      } catch {
        type = undefined;
      }
      if (type === 'states-end') {
        const end = await openEnvelope({
          type: 'states-end',
          bytes: frame,
          maxBytes: MAX_CONTROL_FRAME_BYTES,
          chainId: options.chainId,
          peer: remote,
          from: server,
        });
        if (end.body.request !== id) throw new P2PError('MESSAGE_INVALID', 'states-end answers another request');
        if (end.body.count !== count) throw new P2PError('MESSAGE_INVALID', `states-end counts ${end.body.count} items, ${count} arrived`);
        break;
      }
      if (type !== 'states-item') throw new P2PError('MESSAGE_INVALID', 'expected a states-item or states-end frame');
      const item = await openEnvelope({
        type: 'states-item',
        bytes: frame,
        maxBytes: MAX_CONTROL_FRAME_BYTES,
        chainId: options.chainId,
        peer: remote,
        from: server,
      });
      const { step, size, sha256 } = item.body;
      if (item.body.request !== id) throw new P2PError('MESSAGE_INVALID', 'states-item answers another request');
      if (step < request.fromStep || step > request.toStep || step <= last)
        throw new P2PError('MESSAGE_INVALID', `step ${step} is out of order or outside [${request.fromStep}, ${request.toStep}]`);
      if (size > limits.maxItemBytes) throw new P2PError('MESSAGE_INVALID', `item of ${size} bytes exceeds the bound of ${limits.maxItemBytes}`);
      if (total + size > limits.maxTotalBytes) throw new P2PError('MESSAGE_INVALID', `response exceeds the bound of ${limits.maxTotalBytes} bytes`);
      const bytes = new Uint8Array(size);
      let off = 0;
      while (off < size) {
        const data = await lp.read({ signal });
        if (off + data.byteLength > size) throw new P2PError('MESSAGE_INVALID', `item data overruns its declared ${size} bytes`);
        for (const chunk of data) {
          bytes.set(chunk, off);
          off += chunk.byteLength;
        }
      }
      const got = sha256Hex(bytes);
      if (got !== sha256)
        throw new P2PError('MESSAGE_INVALID', `item of step ${step} does not match its signed SHA-256`, { details: { step, expected: sha256, got } });
      last = step;
      total += size;
      count++;
      yield { step, bytes, sha256: got, header: item };
    }
    finished = true;
    await stream.close({ signal });
  } catch (err) {
    finished = true;
    stream?.abort(err instanceof Error ? err : new Error(String(err)));
    if (options.signal?.aborted === true) throw options.signal.reason;
    if (err instanceof P2PError) throw err;
    const name = err instanceof Error ? err.name : '';
    const code =
      name === 'InvalidDataLengthError' || name === 'InvalidMessageLengthError' || name === 'InvalidDataLengthLengthError' ? 'MESSAGE_INVALID' : 'PEER_FAILED';
    throw new P2PError(code, `states request failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  } finally {
    // The consumer stopped early: tell the server to stop sending.
    if (!finished) stream?.abort(new Error('the client stopped reading'));
  }
}
