/**
 * The solver's persistent state (node:sqlite, WAL): jobs it has seen and what it decided, the
 * transaction journal's table `txs` (the SDK's journal, sdk/daemon/journal.ts, with the columns of
 * TX_JOURNAL_SCHEMA: written before anything is sent, so a restarted node never sends the same
 * action twice), disputes and their outcome, earnings, and
 * cursors. Everything else (training progress) lives in checkpoint files; everything authoritative
 * is on the chain, and the node reconciles with it on restart.
 */
import type { Hex } from 'viem';
import { openStore, type Store } from '../sdk/daemon/store.ts';

export const JOB_STATES = ['seen', 'skipped', 'claimed', 'training', 'submitted', 'finalized', 'paid', 'lost', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];
/** States of a job this node works on or still waits for. */
export const ACTIVE_JOB_STATES: readonly JobState[] = ['claimed', 'training', 'submitted', 'finalized'];

export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE jobs (
     job_id TEXT PRIMARY KEY,
     state TEXT NOT NULL,
     reason TEXT,
     spec_hash TEXT,
     spec TEXT,
     token TEXT,
     payment TEXT,
     steps INTEGER,
     checkpoints INTEGER,
     step INTEGER NOT NULL DEFAULT 0,
     committed INTEGER NOT NULL DEFAULT -1,
     attempts INTEGER NOT NULL DEFAULT 0,
     updated_at INTEGER NOT NULL
   );
   CREATE TABLE txs (
     key TEXT PRIMARY KEY,
     job_id TEXT,
     action TEXT NOT NULL,
     idx INTEGER NOT NULL,
     status TEXT NOT NULL,
     hash TEXT,
     error TEXT,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE TABLE disputes (
     dispute_id TEXT PRIMARY KEY,
     job_id TEXT NOT NULL,
     interval INTEGER NOT NULL,
     challenger TEXT NOT NULL,
     state TEXT NOT NULL,
     moves INTEGER NOT NULL DEFAULT 0,
     updated_at INTEGER NOT NULL
   );
   CREATE TABLE earnings (
     key TEXT PRIMARY KEY,
     kind TEXT NOT NULL,
     token TEXT NOT NULL,
     amount TEXT NOT NULL,
     tx TEXT,
     at INTEGER NOT NULL
   );`,
];

export interface JobRow {
  readonly job_id: string;
  readonly state: JobState;
  readonly reason: string | null;
  readonly spec_hash: string | null;
  /** The spec's canonical encoding (hex), once fetched. */
  readonly spec: Hex | null;
  readonly token: string | null;
  readonly payment: string | null;
  readonly steps: number | null;
  readonly checkpoints: number | null;
  /** Steps trained (last progress written). */
  readonly step: number;
  /** Highest checkpoint index known committed on-chain (-1: none). */
  readonly committed: number;
  readonly attempts: number;
  readonly updated_at: number;
}

export type DisputeState = 'open' | 'won' | 'lost' | 'abandoned';

export interface DisputeRow {
  readonly dispute_id: string;
  readonly job_id: string;
  readonly interval: number;
  readonly challenger: string;
  readonly state: DisputeState;
  readonly moves: number;
  readonly updated_at: number;
}

export interface EarningRow {
  readonly key: string;
  readonly kind: 'payment' | 'bond';
  readonly token: string;
  readonly amount: string;
  readonly tx: string | null;
  readonly at: number;
}

/** Typed access to the solver's tables. */
export interface SolverDb {
  readonly store: Store;
  job(jobId: bigint): JobRow | undefined;
  jobs(states?: readonly JobState[]): JobRow[];
  /** Inserts a job as `seen` unless known; returns whether it was new. */
  addJob(jobId: bigint): boolean;
  updateJob(jobId: bigint, fields: Partial<Omit<JobRow, 'job_id' | 'updated_at'>>): void;
  dispute(disputeId: bigint): DisputeRow | undefined;
  disputes(states?: readonly DisputeState[]): DisputeRow[];
  addDispute(row: Omit<DisputeRow, 'updated_at' | 'moves' | 'state'>): boolean;
  updateDispute(disputeId: bigint, fields: Partial<Pick<DisputeRow, 'state' | 'moves'>>): void;
  addEarning(row: Omit<EarningRow, 'at'>): boolean;
  earnings(): EarningRow[];
  close(): void;
}

export function solverDb(store: Store, now: () => number): SolverDb {
  const update = (table: string, keyCol: string, key: string, fields: Record<string, unknown>): void => {
    const entries = Object.entries(fields).filter(([, v]) => v !== undefined);
    const sets = [...entries.map(([k]) => `${k} = ?`), 'updated_at = ?'];
    store.run(`UPDATE ${table} SET ${sets.join(', ')} WHERE ${keyCol} = ?`, ...entries.map(([, v]) => v as string | number | null), now(), key);
  };
  const inStates = (states: readonly string[] | undefined): [string, string[]] =>
    states === undefined || states.length === 0 ? ['', []] : [` WHERE state IN (${states.map(() => '?').join(', ')})`, [...states]];
  return {
    store,
    job: (jobId) => store.get<JobRow>('SELECT * FROM jobs WHERE job_id = ?', jobId.toString()),
    jobs(states) {
      const [where, params] = inStates(states);
      return store.all<JobRow>(`SELECT * FROM jobs${where} ORDER BY CAST(job_id AS INTEGER)`, ...params);
    },
    addJob: (jobId) => store.run('INSERT OR IGNORE INTO jobs (job_id, state, updated_at) VALUES (?, ?, ?)', jobId.toString(), 'seen', now()).changes === 1,
    updateJob(jobId, fields) {
      update('jobs', 'job_id', jobId.toString(), fields);
    },
    dispute: (disputeId) => store.get<DisputeRow>('SELECT * FROM disputes WHERE dispute_id = ?', disputeId.toString()),
    disputes(states) {
      const [where, params] = inStates(states);
      return store.all<DisputeRow>(`SELECT * FROM disputes${where} ORDER BY CAST(dispute_id AS INTEGER)`, ...params);
    },
    addDispute: (row) =>
      store.run(
        'INSERT OR IGNORE INTO disputes (dispute_id, job_id, interval, challenger, state, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
        row.dispute_id,
        row.job_id,
        row.interval,
        row.challenger,
        'open',
        now(),
      ).changes === 1,
    updateDispute(disputeId, fields) {
      update('disputes', 'dispute_id', disputeId.toString(), fields);
    },
    addEarning: (row) =>
      store.run(
        'INSERT OR IGNORE INTO earnings (key, kind, token, amount, tx, at) VALUES (?, ?, ?, ?, ?, ?)',
        row.key,
        row.kind,
        row.token,
        row.amount,
        row.tx,
        now(),
      ).changes === 1,
    earnings: () => store.all<EarningRow>('SELECT * FROM earnings ORDER BY at'),
    close: () => {
      store.close();
    },
  };
}

export async function openSolverDb(file: string, options: { now: () => number; readOnly?: boolean }): Promise<SolverDb> {
  return solverDb(await openStore({ file, migrations: MIGRATIONS, readOnly: options.readOnly }), options.now);
}
