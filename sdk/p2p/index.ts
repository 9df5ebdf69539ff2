// veritrain/p2p: the libp2p node, gossip messages and topics, peer keys and the states protocol.
export * from './messages.ts';
export * from './topics.ts';
export * from './keys.ts';
export * from './states.ts';
export * from './node.ts';
