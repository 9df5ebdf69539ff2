/**
 * The demo's cheating mode (config `fraud`, docs/SOLVER.md): the only place the solver reads a
 * fraud setting. It turns the setting into components the composition root (daemon.ts) injects
 * in place of the honest ones: a dishonest transition for the configured interval, a states
 * provider that refuses to serve, a defence that never moves. The services themselves know
 * nothing of cheating.
 */
import { silentStrategy, VeritrainError, type SolverData, type StatesProvider, type Strategy } from '../sdk/index.ts';
import { fraudTransition, type FraudKind } from '../sdk/testing/index.ts';
import type { TransitionFor } from './services/workspace.ts';

export interface FraudConfig {
  readonly kind: 'none' | FraudKind;
  readonly interval: number;
}

/** What the composition root injects; each absent part is the honest one. */
export interface SolverBehaviour {
  readonly transitionFor?: TransitionFor | undefined;
  readonly states?: ((honest: StatesProvider) => StatesProvider) | undefined;
  readonly defense?: ((data: SolverData) => Strategy) | undefined;
}

/** The steps the cheating mode fakes: the middle step of the configured interval, or all of it for copy-checkpoint. */
export function fraudSteps(fraud: FraudConfig, k: number): ((step: number) => boolean) | undefined {
  if (fraud.kind === 'none') return undefined;
  const start = fraud.interval * k;
  if (fraud.kind === 'copy-checkpoint') return (step) => step >= start && step < start + k;
  const at = start + Math.floor(k / 2);
  return (step) => step === at;
}

/** The components of the configured cheat (none for `kind: 'none'`). */
export function cheatingBehaviour(fraud: FraudConfig): SolverBehaviour {
  const kind = fraud.kind;
  if (kind === 'none') return {};
  if (kind === 'withhold') {
    // Trains honestly, then serves nothing and never answers a dispute: it loses on time.
    // eslint-disable-next-line require-yield, @typescript-eslint/require-await -- refuses before yielding anything
    const refuse: StatesProvider = async function* () {
      throw new VeritrainError('PEER_FAILED', 'withholding (cheating demo mode)');
    };
    return { states: () => refuse, defense: () => silentStrategy('solver') };
  }
  return {
    transitionFor: (k) => {
      const at = fraudSteps(fraud, k);
      return at === undefined ? undefined : fraudTransition(kind, at);
    },
  };
}
