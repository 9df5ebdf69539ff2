/** The workspaces of the jobs this node holds, opened on first use and shared by every service. */
import type { BackendName } from '../../sdk/index.ts';
import type { SolverDb } from '../db.ts';
import { createWorkspace, readSavedDataset, type JobWorkspace, type TransitionFor } from './workspace.ts';
import { decodeJobSpec } from '../../sdk/index.ts';

export interface Workspaces {
  /** The job's workspace; undefined when this node has no spec or dataset for it. */
  get(jobId: bigint): Promise<JobWorkspace | undefined>;
}

export function createWorkspaces(
  options: { dataDir: string; backend: BackendName; transitionFor?: TransitionFor | undefined },
  components: { db: SolverDb },
): Workspaces {
  const open = new Map<string, Promise<JobWorkspace | undefined>>();
  return {
    get(jobId) {
      const key = jobId.toString();
      let ws = open.get(key);
      if (ws === undefined) {
        ws = (async () => {
          const row = components.db.job(jobId);
          if (row?.spec == null) return undefined;
          const records = await readSavedDataset(options.dataDir, jobId, decodeJobSpec(row.spec));
          if (records === undefined) return undefined;
          return createWorkspace({
            dataDir: options.dataDir,
            jobId,
            specHex: row.spec,
            records,
            backend: options.backend,
            transitionFor: options.transitionFor,
          });
        })();
        open.set(key, ws);
        void ws.then(
          (w) => {
            if (w === undefined) open.delete(key);
          },
          () => {
            open.delete(key);
          },
        );
      }
      return ws;
    },
  };
}
