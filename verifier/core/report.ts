/**
 * The per-job report (issue 9): intervals checked, compute spent as a fraction of the training
 * compute, the detection probability against a solver faking a fraction f of intervals, and the
 * disputes with their outcomes. Pure: built from the rows the daemon persists.
 */
import { CHECKED_STATES, type IntervalState } from './policy.ts';
import { detectionProbability, detectionWithoutReplacement } from './sampling.ts';

export interface IntervalRow {
  readonly interval: number;
  readonly state: IntervalState;
  /** Steps the screen re-executed (k when screened, 0 otherwise). */
  readonly stepsReexecuted: number;
  /** Steps judged element by element from served data. */
  readonly stepsExact: number;
  readonly distance: number | null;
  readonly ms: number;
}

export type DisputeOutcome = 'open' | 'won' | 'lost' | 'abandoned';

export interface DisputeRow {
  readonly disputeId: string;
  readonly interval: number;
  readonly outcome: DisputeOutcome;
  readonly faultyStep: number | null;
}

export interface JobReportInput {
  readonly jobId: string;
  readonly jobStatus: string;
  /** N, k, n = N/k. */
  readonly steps: number;
  readonly checkpointInterval: number;
  readonly intervals: number;
  readonly sampled: readonly number[];
  readonly rows: readonly IntervalRow[];
  readonly disputes: readonly DisputeRow[];
  readonly fakeFraction: number;
  /** Credited rewards withdrawn for this job (token units, decimal). */
  readonly rewards?: string | undefined;
}

export interface JobReport {
  readonly jobId: string;
  readonly jobStatus: string;
  readonly intervals: number;
  readonly sampled: number;
  readonly checked: number;
  /** The intervals checked (screened, or judged exactly), ascending: what a block explorer marks. */
  readonly checkedIntervals: readonly number[];
  readonly flagged: number;
  readonly stepsReexecuted: number;
  readonly stepsExact: number;
  /** Steps re-executed / N: the screen's compute as a fraction of the training compute. */
  readonly computeFraction: number;
  /** (re-executed + exactly judged steps) / N: an upper view counting the exact checks as a step each. */
  readonly computeFractionWithExact: number;
  readonly fakeFraction: number;
  /** 1 - (1 - f)^checked. */
  readonly detection: number;
  /** Without replacement from round(f·n) faked intervals. */
  readonly detectionWithoutReplacement: number;
  /** Largest screen distance of a passed interval (honest drift seen). */
  readonly worstPassedDistance: number;
  readonly disputes: readonly DisputeRow[];
  readonly rewards?: string | undefined;
}

export function jobReport(input: JobReportInput): JobReport {
  const checked = input.rows.filter((r) => CHECKED_STATES.has(r.state)).length;
  const flagged = input.rows.filter((r) => r.state !== 'passed' && r.state !== 'sampled' && r.state !== 'missed').length;
  const stepsReexecuted = input.rows.reduce((n, r) => n + r.stepsReexecuted, 0);
  const stepsExact = input.rows.reduce((n, r) => n + r.stepsExact, 0);
  const passed = input.rows.filter((r) => r.state === 'passed' && r.distance !== null).map((r) => r.distance as number);
  return {
    jobId: input.jobId,
    jobStatus: input.jobStatus,
    intervals: input.intervals,
    sampled: input.sampled.length,
    checked,
    checkedIntervals: input.rows
      .filter((r) => CHECKED_STATES.has(r.state))
      .map((r) => r.interval)
      .sort((a, b) => a - b),
    flagged,
    stepsReexecuted,
    stepsExact,
    computeFraction: input.steps === 0 ? 0 : stepsReexecuted / input.steps,
    computeFractionWithExact: input.steps === 0 ? 0 : (stepsReexecuted + stepsExact) / input.steps,
    fakeFraction: input.fakeFraction,
    detection: detectionProbability(input.fakeFraction, checked),
    detectionWithoutReplacement: detectionWithoutReplacement(input.intervals, input.fakeFraction, checked),
    worstPassedDistance: passed.length === 0 ? 0 : Math.max(...passed),
    disputes: input.disputes,
    ...(input.rewards === undefined ? {} : { rewards: input.rewards }),
  };
}

const pct = (x: number): string => `${(100 * x).toFixed(x < 0.01 ? 3 : 2)}%`;

/** Human-readable lines for the `report` command. */
export function formatReport(r: JobReport): string {
  const lines = [
    `job ${r.jobId} (${r.jobStatus})`,
    `  intervals checked   ${r.checked} of ${r.sampled} sampled, ${r.intervals} in the job (${r.flagged} flagged by the screen)`,
    `  compute             ${pct(r.computeFraction)} of the training compute (${r.stepsReexecuted} steps re-executed; ${r.stepsExact} steps judged exactly)`,
    `  detection           ${pct(r.detection)} against a solver faking ${pct(r.fakeFraction)} of intervals (1-(1-f)^q, q=${r.checked}; ${pct(r.detectionWithoutReplacement)} without replacement)`,
    `  honest drift seen   ${r.worstPassedDistance.toExponential(2)} (largest screen distance of a passed interval)`,
  ];
  if (r.disputes.length === 0) lines.push('  disputes            none');
  for (const d of r.disputes)
    lines.push(`  dispute ${d.disputeId}         interval ${d.interval}${d.faultyStep === null ? '' : `, fault at step ${d.faultyStep}`}: ${d.outcome}`);
  if (r.rewards !== undefined) lines.push(`  rewards withdrawn   ${r.rewards}`);
  return lines.join('\n');
}
