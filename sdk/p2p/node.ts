/**
 * The Veritrain libp2p node: TCP, noise, yamux, identify, gossipsub and a bootstrap list; the
 * job and checkpoint topics with signed, schema-checked messages; and the states protocol. The
 * embedded IPFS store (createHeliaStore) runs bitswap on this same node: pass `node.libp2p`.
 *
 * Gossip validation: every message on our topics goes through a topic validator that returns
 * Reject for anything oversized, malformed, wrongly signed, from another chain or market, or whose
 * `peer` is not its gossipsub origin. Rejections count as invalid message deliveries in gossipsub's
 * peer score (P4), so the sender's score falls and, past the graylist threshold, it is ignored.
 */
import { bootstrap } from '@libp2p/bootstrap';
import { gossipsub, TopicValidatorResult, type GossipSub, type Message } from '@libp2p/gossipsub';
import { createPeerScoreParams, createTopicScoreParams } from '@libp2p/gossipsub/score';
import { identify, identifyPush } from '@libp2p/identify';
import type { Libp2p, PeerId, PrivateKey } from '@libp2p/interface';
import { noise } from '@libp2p/noise';
import { tcp } from '@libp2p/tcp';
import { yamux } from '@libp2p/yamux';
import { CODE_P2P, multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import type { Address, LocalAccount } from 'viem';
import { P2PError } from '../errors.ts';
import { silentLogger, type Logger } from '../log.ts';
import { loadOrCreatePeerKey } from './keys.ts';
import { MAX_GOSSIP_MESSAGE_BYTES, openEnvelope, signEnvelope, type CheckpointAvailable, type Envelope, type JobAnnouncement } from './messages.ts';
import { requestStates, serveStates, type ReceivedStatesItem, type StatesLimits, type StatesProvider } from './states.ts';
import { TOPIC_MESSAGE, topicOf, type TopicName } from './topics.ts';

export interface P2PLimits {
  /** Largest gossip message (our validator rejects bigger ones). */
  readonly maxGossipBytes: number;
  /** Largest gossipsub RPC frame read from a peer (bigger frames end that stream). */
  readonly maxRpcBytes: number;
  /** Gossip older than this (by its signed `ts`) is ignored. */
  readonly maxMessageAgeMs: number;
  /** Gossip dated further than this into the future is ignored. */
  readonly maxClockSkewMs: number;
}

export const DEFAULT_P2P_LIMITS: P2PLimits = {
  maxGossipBytes: MAX_GOSSIP_MESSAGE_BYTES,
  maxRpcBytes: 1024 * 1024,
  maxMessageAgeMs: 10 * 60_000,
  maxClockSkewMs: 60_000,
};

export interface P2PNodeOptions {
  /** The chain key that signs this node's messages. */
  readonly account: LocalAccount;
  readonly chainId: number;
  /** The JobMarket contract the topics are scoped to. */
  readonly market: Address;
  /** Where the peer key lives (`peer.key`), so the peer id survives restarts. Ignored when privateKey is given. */
  readonly directory?: string | undefined;
  readonly privateKey?: PrivateKey | undefined;
  /** Listen addresses; default one TCP port on loopback picked by the OS. */
  readonly listen?: readonly string[] | undefined;
  /** Multiaddrs (with /p2p/<peer id>) dialled at start and kept connected. */
  readonly bootstrap?: readonly string[] | undefined;
  readonly logger?: Logger | undefined;
  /** Milliseconds since the epoch. */
  readonly now?: (() => number) | undefined;
  readonly limits?: Partial<P2PLimits> | undefined;
  readonly statesLimits?: Partial<StatesLimits> | undefined;
}

export interface VerifiedMessage<T> {
  readonly body: T;
  /** Chain address that signed it. */
  readonly from: Address;
  /** libp2p peer that originated it. */
  readonly peer: string;
  readonly ts: number;
}

export interface PublishReturnType {
  /** Peers the message was sent to directly. */
  readonly recipients: number;
}

export interface P2PNode {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The libp2p node (after start), to share with createHeliaStore. */
  readonly libp2p: Libp2p;
  readonly peerId: string;
  multiaddrs(): string[];
  dial(address: string, options?: { signal?: AbortSignal | undefined }): Promise<void>;
  publishJob(body: JobAnnouncement, options?: { signal?: AbortSignal | undefined }): Promise<PublishReturnType>;
  publishCheckpoint(body: CheckpointAvailable, options?: { signal?: AbortSignal | undefined }): Promise<PublishReturnType>;
  /** Calls `handler` for every verified job announcement; returns a function that stops it. */
  onJob(handler: (message: VerifiedMessage<JobAnnouncement>) => void): () => void;
  onCheckpoint(handler: (message: VerifiedMessage<CheckpointAvailable>) => void): () => void;
  /** Serves `/veritrain/states/1.0.0` from `provider` (one provider at a time). */
  serveStates(provider: StatesProvider): Promise<void>;
  requestStates(
    peer: PeerId | string,
    request: Parameters<typeof requestStates>[2],
    options?: { signal?: AbortSignal | undefined; server?: Address | undefined; limits?: Partial<StatesLimits> | undefined },
  ): AsyncGenerator<ReceivedStatesItem>;
  /** gossipsub's score of a peer (0 for unknown peers; negative after invalid messages). */
  score(peerId: string): number;
  /** Peers we hold a connection to. */
  peers(): string[];
}

type Services = { pubsub: GossipSub; identify: ReturnType<ReturnType<typeof identify>>; identifyPush: ReturnType<ReturnType<typeof identifyPush>> };

/** How often a node re-dials the bootstrap peers it is not connected to. */
export const BOOTSTRAP_REDIAL_MS = 5_000;

/**
 * The bootstrap module dials its list once, at start. A peer that was not up yet, or whose
 * connection closed, would stay unconnected, and bitswap only asks connected peers (this network
 * has no DHT): found by the CNN devnet, where the verifier never received solver A's checkpoints.
 */
function keepConnected(libp2p: Libp2p, bootstrapList: readonly string[], log: Logger): NodeJS.Timeout | undefined {
  const self = libp2p.peerId.toString();
  const peers = bootstrapList
    .map((address) => ({
      address: multiaddr(address),
      id: multiaddr(address)
        .getComponents()
        .findLast((c) => c.code === CODE_P2P)?.value,
    }))
    .filter((p): p is { address: Multiaddr; id: string } => p.id !== undefined && p.id !== self);
  if (peers.length === 0) return undefined;
  const timer = setInterval(() => {
    const connected = new Set(libp2p.getConnections().map((c) => c.remotePeer.toString()));
    for (const p of peers) {
      if (connected.has(p.id)) continue;
      libp2p.dial(p.address, { signal: AbortSignal.timeout(BOOTSTRAP_REDIAL_MS) }).catch((err: unknown) => {
        log.debug('bootstrap peer not reachable', { peer: p.id, error: err });
      });
    }
  }, BOOTSTRAP_REDIAL_MS);
  timer.unref();
  return timer;
}

export function createP2PNode(options: P2PNodeOptions): P2PNode {
  const log = (options.logger ?? silentLogger).child({ component: 'p2p' });
  const limits: P2PLimits = { ...DEFAULT_P2P_LIMITS, ...options.limits };
  const now = options.now ?? Date.now;
  const topics: Record<TopicName, string> = {
    jobs: topicOf(options.chainId, options.market, 'jobs'),
    checkpoints: topicOf(options.chainId, options.market, 'checkpoints'),
  };
  const market = options.market.toLowerCase() as Address;
  const handlers: Record<TopicName, Set<(m: VerifiedMessage<never>) => void>> = { jobs: new Set(), checkpoints: new Set() };
  const verified = new WeakMap<Uint8Array, Envelope<'job' | 'checkpoint'>>();
  let node: Libp2p<Services> | undefined;
  let unserve: (() => Promise<void>) | undefined;
  let redial: NodeJS.Timeout | undefined;

  const started = (): Libp2p<Services> => {
    if (node === undefined) throw new P2PError('PEER_FAILED', 'the p2p node is not started');
    return node;
  };

  const validator =
    (name: TopicName) =>
    async (_from: PeerId, msg: Message): Promise<TopicValidatorResult> => {
      const propagator = _from.toString();
      if (msg.type !== 'signed') {
        log.warn('gossip dropped', { topic: name, peer: propagator, reason: 'unsigned gossipsub message' });
        return TopicValidatorResult.Reject;
      }
      try {
        const env = await openEnvelope({
          type: TOPIC_MESSAGE[name],
          bytes: msg.data,
          maxBytes: limits.maxGossipBytes,
          chainId: options.chainId,
          peer: msg.from.toString(),
        });
        if ((env.body as { market: string }).market !== market)
          throw new P2PError('MESSAGE_INVALID', `message for market ${(env.body as { market: string }).market}`);
        const age = now() - env.ts;
        if (age > limits.maxMessageAgeMs || -age > limits.maxClockSkewMs) {
          log.debug('gossip ignored: stale or from the future', { topic: name, peer: propagator, age });
          return TopicValidatorResult.Ignore;
        }
        verified.set(msg.data, env as Envelope<'job' | 'checkpoint'>);
        return TopicValidatorResult.Accept;
      } catch (err) {
        log.warn('gossip dropped', {
          topic: name,
          peer: propagator,
          origin: msg.from.toString(),
          size: msg.data.byteLength,
          reason: err instanceof Error ? err.message : String(err),
        });
        return TopicValidatorResult.Reject;
      }
    };

  const onMessage = (evt: CustomEvent<Message>): void => {
    const msg = evt.detail;
    const name = (Object.keys(topics) as TopicName[]).find((n) => topics[n] === msg.topic);
    if (name === undefined) return;
    const env = verified.get(msg.data);
    if (env === undefined) return; // only validated messages are delivered
    verified.delete(msg.data);
    const message: VerifiedMessage<unknown> = { body: env.body, from: env.from, peer: env.peer, ts: env.ts };
    for (const h of handlers[name]) {
      try {
        h(message as VerifiedMessage<never>);
      } catch (err) {
        log.error('gossip handler failed', { topic: name, error: err });
      }
    }
  };

  const publish = async (name: TopicName, body: JobAnnouncement | CheckpointAvailable, signal?: AbortSignal): Promise<PublishReturnType> => {
    const libp2p = started();
    signal?.throwIfAborted();
    // Right after a connection opens, the peer's subscriptions take a moment to arrive; a message
    // published before that reaches nobody. While a connection is under 3 s old and nobody is on
    // the topic yet, wait for its subscriptions (older connections have already sent theirs).
    const fresh = (): boolean => libp2p.getConnections().some((c) => Date.now() - c.timeline.open < 3_000);
    while (libp2p.services.pubsub.getSubscribers(topics[name]).length === 0 && fresh()) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      signal?.throwIfAborted();
    }
    const { bytes } = await signEnvelope({
      type: TOPIC_MESSAGE[name],
      body,
      chainId: options.chainId,
      peer: libp2p.peerId.toString(),
      ts: now(),
      account: options.account,
    });
    const result = await libp2p.services.pubsub.publish(topics[name], bytes);
    log.debug('gossip published', { topic: name, recipients: result.recipients.length });
    return { recipients: result.recipients.length };
  };

  const subscribe = <T>(name: TopicName, handler: (m: VerifiedMessage<T>) => void): (() => void) => {
    const h = handler as (m: VerifiedMessage<never>) => void;
    handlers[name].add(h);
    return () => {
      handlers[name].delete(h);
    };
  };

  return {
    get libp2p() {
      return started();
    },
    get peerId() {
      return started().peerId.toString();
    },

    async start() {
      if (node !== undefined) return;
      const privateKey = options.privateKey ?? (options.directory === undefined ? undefined : await loadOrCreatePeerKey(options.directory));
      const topicScore = createTopicScoreParams({
        topicWeight: 1,
        // Only invalid deliveries move the score: low-traffic topics must not punish quiet honest peers.
        timeInMeshWeight: 0.01,
        firstMessageDeliveriesWeight: 0,
        meshMessageDeliveriesWeight: 0,
        meshFailurePenaltyWeight: 0,
        invalidMessageDeliveriesWeight: -10,
        invalidMessageDeliveriesDecay: 0.99,
      });
      const libp2p = await createLibp2p({
        ...(privateKey === undefined ? {} : { privateKey }),
        addresses: { listen: [...(options.listen ?? ['/ip4/127.0.0.1/tcp/0'])] },
        transports: [tcp()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
        peerDiscovery: options.bootstrap !== undefined && options.bootstrap.length > 0 ? [bootstrap({ list: [...options.bootstrap], timeout: 100 })] : [],
        services: {
          identify: identify(),
          // Protocols registered after a peer connected (Helia's bitswap starts after this node) are
          // pushed to it; without this, a peer that connected first never learns we speak bitswap.
          identifyPush: identifyPush(),
          pubsub: gossipsub({
            allowPublishToZeroTopicPeers: true,
            maxInboundDataLength: limits.maxRpcBytes,
            scoreParams: createPeerScoreParams({ topics: { [topics.jobs]: topicScore, [topics.checkpoints]: topicScore } }),
          }),
        },
        start: false,
      });
      libp2p.services.pubsub.topicValidators.set(topics.jobs, validator('jobs'));
      libp2p.services.pubsub.topicValidators.set(topics.checkpoints, validator('checkpoints'));
      libp2p.services.pubsub.addEventListener('message', onMessage);
      await libp2p.start();
      libp2p.services.pubsub.subscribe(topics.jobs);
      libp2p.services.pubsub.subscribe(topics.checkpoints);
      node = libp2p;
      redial = keepConnected(libp2p, options.bootstrap ?? [], log);
      log.info('started', { peerId: libp2p.peerId.toString(), addrs: libp2p.getMultiaddrs().map(String), chain: options.chainId, market });
    },

    async stop() {
      const libp2p = node;
      if (libp2p === undefined) return;
      node = undefined;
      clearInterval(redial);
      await unserve?.();
      unserve = undefined;
      libp2p.services.pubsub.removeEventListener('message', onMessage);
      await libp2p.stop();
      log.info('stopped');
    },

    multiaddrs() {
      return started().getMultiaddrs().map(String);
    },

    async dial(address, opts = {}) {
      await started().dial(multiaddr(address), opts.signal === undefined ? {} : { signal: opts.signal });
    },

    publishJob: (body, opts = {}) => publish('jobs', body, opts.signal),
    publishCheckpoint: (body, opts = {}) => publish('checkpoints', body, opts.signal),
    onJob: (handler) => subscribe('jobs', handler),
    onCheckpoint: (handler) => subscribe('checkpoints', handler),

    async serveStates(provider) {
      await unserve?.();
      unserve = await serveStates(started(), {
        account: options.account,
        chainId: options.chainId,
        now,
        market,
        provider,
        logger: options.logger,
        limits: options.statesLimits,
      });
    },

    requestStates(peer, request, opts = {}) {
      const target: PeerId | Multiaddr = typeof peer === 'string' ? multiaddr(peer) : peer;
      return requestStates(started(), target, request, {
        account: options.account,
        chainId: options.chainId,
        now,
        signal: opts.signal,
        server: opts.server,
        limits: { ...options.statesLimits, ...opts.limits },
      });
    },

    score(peerId) {
      // The runtime GossipSub class has getScore; the exported interface does not declare it.
      const pubsub = started().services.pubsub as GossipSub & { getScore?: (id: string) => number };
      return pubsub.getScore?.(peerId) ?? 0;
    },
    peers() {
      return started().getPeers().map(String);
    },
  };
}
