/**
 * What the verifier does with a sampled interval, as a pure state machine. The screen only decides
 * where to look; a bond is risked only on a fault the exact rule found in the solver's own served
 * data, or when the solver would not serve the data at all (it then has to reveal on-chain or lose
 * on time: docs/PROTOCOL.md §5, "withholding data loses").
 *
 *   sampled ──checkpoints i, i+1 committed──> screen ──pass──> passed
 *                                               │ flag (or checkpoint content unavailable)
 *                                               v
 *                                        fetch served states + traces
 *                          ┌───────────────────┼──────────────────────┐
 *                      no fault            fault found          refused / unusable
 *                          v                   v                      v
 *                       cleared            challenge <──────────── challenge (if enabled)
 */
import type { ScreenVerdict } from './screen.ts';

export const INTERVAL_STATES = ['sampled', 'passed', 'flagged', 'cleared', 'fault', 'withheld', 'challenged', 'missed'] as const;
export type IntervalState = (typeof INTERVAL_STATES)[number];

/** States after which the interval counts as checked (a verdict was reached). */
export const CHECKED_STATES: ReadonlySet<IntervalState> = new Set(['passed', 'cleared', 'fault', 'withheld', 'challenged']);

export type ScreenMode = 'screen' | 'exact';

/** After the screen: stop, or fetch the solver's data for the exact check. */
export function afterScreen(verdict: ScreenVerdict | 'unavailable', mode: ScreenMode): 'passed' | 'flagged' {
  if (mode === 'exact') return 'flagged';
  return verdict === 'pass' ? 'passed' : 'flagged';
}

export type FetchOutcome =
  | { readonly kind: 'clean' }
  | { readonly kind: 'fault'; readonly step: number }
  | { readonly kind: 'withheld'; readonly reason: string };

/** After the exact check of served data (or the failure to get it). */
export function afterFetch(outcome: FetchOutcome, options: { challengeWithheld: boolean }): 'cleared' | 'fault' | 'withheld' | 'missed' {
  switch (outcome.kind) {
    case 'clean':
      return 'cleared';
    case 'fault':
      return 'fault';
    case 'withheld':
      return options.challengeWithheld ? 'withheld' : 'missed';
  }
}

/** Whether an interval in this state should be challenged now. */
export const shouldChallenge = (state: IntervalState): boolean => state === 'fault' || state === 'withheld';
