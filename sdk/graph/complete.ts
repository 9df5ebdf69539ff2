import { SpecError } from '../errors.ts';
import { parseJobSpec, type JobSpec, type JobSpecInput, type JobSpecV1, type JobSpecV2, type JobSpecV2Input } from '../spec/job-spec.ts';
import { scheduleRoot } from '../spec/schedule.ts';
import { buildGraph } from './graph.ts';

const ZERO = `0x${'00'.repeat(32)}` as const;

/** Validate a spec and fill in its graphRoot (§3.1) and, for AdamW, its scheduleRoot (§3.5). */
export function completeSpec(input: Omit<JobSpecInput, 'graphRoot'>): JobSpecV1;
export function completeSpec(input: Omit<JobSpecV2Input, 'graphRoot'>): JobSpecV2;
export function completeSpec(input: Omit<JobSpecInput, 'graphRoot'> | Omit<JobSpecV2Input, 'graphRoot'>): JobSpec {
  let filled: object = input;
  if ('optimizer' in input && input.optimizer.kind === 'adamw') {
    const draft = parseJobSpec({ ...input, optimizer: { ...input.optimizer, scheduleRoot: ZERO }, graphRoot: ZERO });
    if (draft.optimizer.kind === 'adamw')
      filled = { ...input, optimizer: { ...input.optimizer, scheduleRoot: scheduleRoot(draft.optimizer, draft.training.steps) } };
  }
  const draft = parseJobSpec({ ...filled, graphRoot: ZERO });
  return parseJobSpec({ ...filled, graphRoot: buildGraph(draft).root });
}

/**
 * Throw SpecError unless the spec's committed roots are those of the graph and schedule table it
 * defines: a solver could not defend steps that run another graph or another table.
 */
export function assertSpecRoots(spec: JobSpec): void {
  const root = buildGraph(spec).root;
  if (root !== spec.graphRoot)
    throw new SpecError([{ path: 'graphRoot', message: `is ${spec.graphRoot}, but the graph this spec defines has root ${root} (fill it with completeSpec)` }]);
  if (spec.optimizer.kind === 'adamw') {
    const table = scheduleRoot(spec.optimizer, spec.training.steps);
    if (table !== spec.optimizer.scheduleRoot)
      throw new SpecError([
        {
          path: 'optimizer.scheduleRoot',
          message: `is ${spec.optimizer.scheduleRoot}, but the schedule this spec defines has root ${table} (fill it with completeSpec)`,
        },
      ]);
  }
}
