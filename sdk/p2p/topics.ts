/**
 * Gossip topics (docs/PROTOCOL.md §8.2). Topics are scoped to one chain and one market contract
 * so that devnets and deployments never mix.
 */
import type { Address } from 'viem';
import type { MessageType } from './messages.ts';

export type TopicName = 'jobs' | 'checkpoints';

/** `/veritrain/1/<chainId>/<market, lowercase>/<name>` */
export function topicOf(chainId: number, market: Address, name: TopicName): string {
  return `/veritrain/1/${chainId}/${market.toLowerCase()}/${name}`;
}

/** The message type each topic carries. */
export const TOPIC_MESSAGE: Record<TopicName, MessageType> = {
  jobs: 'job',
  checkpoints: 'checkpoint',
};
