/** The solver's Prometheus metrics (names are documented in docs/SOLVER.md). */
import { createMetricsRegistry, type Counter, type Gauge, type MetricsRegistry } from '../../sdk/index.ts';

export interface SolverMetrics {
  readonly registry: MetricsRegistry;
  readonly steps: Counter;
  readonly stepsPerSecond: Gauge;
  readonly jobs: Gauge;
  readonly checkpoints: Counter;
  readonly disputes: Counter;
  readonly disputesOpen: Gauge;
  readonly disputeMoves: Counter;
  readonly earned: Counter;
  readonly txs: Counter;
  readonly statesServed: Counter;
}

export function createSolverMetrics(): SolverMetrics {
  const registry = createMetricsRegistry({ prefix: 'veritrain_solver_' });
  return {
    registry,
    steps: registry.counter('steps_total', 'Training steps executed by this process'),
    stepsPerSecond: registry.gauge('steps_per_second', 'Training throughput of the job training now'),
    jobs: registry.gauge('jobs', 'Jobs known to this node, by state', ['state']),
    checkpoints: registry.counter('checkpoints_committed_total', 'Checkpoints committed on-chain (final ones included)'),
    disputes: registry.counter('disputes_total', 'Disputes against this node that ended, by outcome', ['outcome']),
    disputesOpen: registry.gauge('disputes_open', 'Disputes against this node being defended'),
    disputeMoves: registry.counter('dispute_moves_total', 'Dispute moves sent, by move', ['move']),
    earned: registry.counter('earned_tokens_total', 'Tokens withdrawn, in whole tokens (18 decimals), by kind (payment, bond)', ['kind']),
    txs: registry.counter('transactions_total', 'Transactions sent, by action and outcome', ['action', 'outcome']),
    statesServed: registry.counter('states_served_total', 'States and op traces served to verifiers, by kind', ['want']),
  };
}

/** A base-unit amount as whole tokens (18 decimals), for metrics only. */
export const toTokens = (amount: bigint): number => Number(amount) / 1e18;
