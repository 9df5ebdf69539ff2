/**
 * Serves `/veritrain/states/1.0.0` (docs/PROTOCOL.md §8.2): a verifier asks for the intermediate
 * states or op traces of steps this node committed, and the node regenerates them bit-exactly
 * from its nearest stored checkpoint (the same workspace training and the defender use) and
 * streams them; a checkpoint step is served from its stored file. Only committed steps are served; a job this node does not hold is an error.
 */
import { encodeState, VeritrainError, type Logger, type P2PNode, type Service, type StatesItem, type StatesProvider } from '../../sdk/index.ts';
import type { SolverDb } from '../db.ts';
import type { SolverMetrics } from './metrics.ts';
import type { Workspaces } from './workspaces.ts';

export function createStatesProvider(components: { db: SolverDb; workspaces: Workspaces; logger: Logger; metrics: SolverMetrics }): StatesProvider {
  const log = components.logger.child({ component: 'states' });
  return async function* provide(request, context): AsyncGenerator<StatesItem> {
    const jobId = BigInt(request.jobId);
    const row = components.db.job(jobId);
    const ws = await components.workspaces.get(jobId);
    if (row === undefined || ws === undefined) throw new VeritrainError('PEER_FAILED', `this node does not hold job ${jobId}`);
    const lastCommittedStep = row.committed * ws.k;
    const traces = request.want === 'traces';
    const limit = traces ? lastCommittedStep - 1 : lastCommittedStep;
    if (request.toStep > limit) throw new VeritrainError('PEER_FAILED', `steps past ${limit} of job ${jobId} are not committed yet`);
    log.info('serving states', { jobId, fromStep: request.fromStep, toStep: request.toStep, want: request.want, from: context.from });
    for (let step = request.fromStep; step <= request.toStep; step++) {
      context.signal.throwIfAborted();
      if (traces) {
        const data = await (await ws.trajectory(Math.floor(step / ws.k))).stepAt(step);
        yield { step, bytes: encodeState(ws.graph.ops.map((op, i) => ({ shape: op.shape, data: data.trace[i] as Float32Array }))) };
      } else {
        // A checkpoint is on disk as committed: serving it must not wait for an interval's re-execution.
        const stored = step % ws.k === 0 ? await ws.checkpoints.file(step / ws.k) : undefined;
        const interval = step === 0 ? 0 : Math.floor((step - 1) / ws.k);
        yield { step, bytes: stored ?? encodeState(await (await ws.trajectory(interval)).stateAt(step)) };
      }
      components.metrics.statesServed.inc(1, { want: request.want });
    }
  };
}

/** Serves the provider (createStatesProvider's, unless the composition root injects another). */
export function createStatesServer(components: { p2p: P2PNode; provider: StatesProvider }): Service {
  return {
    async start() {
      await components.p2p.serveStates(components.provider);
    },
    async stop() {
      /* the p2p node unregisters the protocol when it stops */
    },
  };
}
