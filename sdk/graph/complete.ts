import { parseJobSpec, type JobSpec, type JobSpecInput } from '../spec/job-spec.ts';
import { buildGraph } from './graph.ts';

/** Validate a spec and fill in its graphRoot from the graph it defines (§3.1). */
export function completeSpec(input: Omit<JobSpecInput, 'graphRoot'>): JobSpec {
  const draft = parseJobSpec({ ...input, graphRoot: `0x${'00'.repeat(32)}` });
  return parseJobSpec({ ...input, graphRoot: buildGraph(draft).root });
}
