/** What the devnet's submitter process is told to do (a JSON file; schema-checked on load). */
import { readFile } from 'node:fs/promises';
import * as z from 'zod';
import { ConfigError } from '../../sdk/errors.ts';

const wei = z.string().regex(/^\d+$/, 'must be a decimal integer (token base units)');

export const devnetJobSchema = z.strictObject({
  /** A label the orchestrator uses for the job (e.g. "honest", "cheater"). */
  name: z.string().min(1),
  /** The model: MLP layer sizes (a version-1 spec), or a version-2 model and optimizer (spec file fields, validated by the SDK). */
  model: z.union([
    z.strictObject({ layers: z.array(z.number().int().positive()).min(2) }),
    z.strictObject({ v2: z.strictObject({ model: z.record(z.string(), z.unknown()), optimizer: z.record(z.string(), z.unknown()) }) }),
  ]),
  steps: z.number().int().positive(),
  checkpointInterval: z.number().int().positive(),
  batchSize: z.number().int().positive(),
  payment: wei,
  solverStake: wei,
  challengeWindow: z.number().int().positive(),
  trainingDuration: z.number().int().positive(),
  /** Download the final model once finalized and measure its held-out accuracy. */
  download: z.boolean(),
});

export const submitterPlanSchema = z.strictObject({
  rpcUrl: z.url(),
  deploymentsDir: z.string().min(1),
  dataDir: z.string().min(1),
  /** libp2p listen multiaddrs (the orchestrator picks the port and the peer key in advance). */
  listen: z.array(z.string().startsWith('/')),
  bootstrap: z.array(z.string().startsWith('/')),
  /** Kubo RPC URL; default: an embedded Helia node on the libp2p node. */
  kuboUrl: z.string().optional(),
  /** MNIST records kept out of the dataset to measure accuracy on. */
  holdout: z.number().int().positive(),
  pollMs: z.number().int().positive(),
  jobs: z.array(devnetJobSchema).min(1),
});

export type DevnetJobPlan = z.output<typeof devnetJobSchema>;
export type SubmitterPlan = z.output<typeof submitterPlanSchema>;

export async function loadSubmitterPlan(file: string): Promise<SubmitterPlan> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`cannot read the submitter plan ${file}`, { cause: err });
  }
  const parsed = submitterPlanSchema.safeParse(json);
  if (!parsed.success) throw new ConfigError(`submitter plan ${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** Events the submitter prints, one JSON object per line on stdout. */
export type SubmitterEvent =
  | { event: 'started'; address: string; peerId: string; multiaddrs: string[] }
  | { event: 'dataset'; cid: string; root: string; records: number; bytes: number; heldOut: number; ms: number }
  | {
      event: 'posted';
      name: string;
      jobId: string;
      specHash: string;
      /** describeModel's line. */
      model: string;
      steps: number;
      checkpointInterval: number;
      payment: string;
      solverStake: string;
      challengeWindow: number;
    }
  | { event: 'settled'; name: string; jobId: string; status: string }
  | { event: 'model'; name: string; jobId: string; accuracy: number; heldOut: number; stateRoot: string; directory: string }
  | { event: 'refund'; name: string; jobId: string; amount: string }
  | { event: 'done' }
  | { event: 'error'; message: string };
