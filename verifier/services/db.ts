/**
 * The verifier's persistent state (node:sqlite via sdk/daemon/store.ts): the jobs it follows with
 * their private sample seeds, the checkpoints seen, every sampled interval and its verdict, the
 * disputes it opened (recorded before the challenge is sent, so a kill -9 between broadcast and
 * receipt is recovered from the chain's DisputeCreated log), the transaction journal and rewards.
 */
import type { Hex } from 'viem';
import { TX_JOURNAL_SCHEMA } from '../../sdk/daemon/journal.ts';
import { openStore, type Store } from '../../sdk/daemon/store.ts';
import type { IntervalState } from '../core/policy.ts';
import type { DisputeOutcome, DisputeRow, IntervalRow } from '../core/report.ts';

const MIGRATIONS = [
  `CREATE TABLE jobs (
     job_id TEXT PRIMARY KEY,
     spec_hash TEXT,
     solver TEXT,
     token TEXT,
     status TEXT NOT NULL,
     steps INTEGER,
     k INTEGER,
     intervals INTEGER,
     seed TEXT,
     sample TEXT,
     block_cursor TEXT NOT NULL DEFAULT '0',
     done INTEGER NOT NULL DEFAULT 0,
     note TEXT
   );
   CREATE TABLE checkpoints (job_id TEXT NOT NULL, idx INTEGER NOT NULL, root TEXT NOT NULL, cid TEXT NOT NULL, PRIMARY KEY (job_id, idx));
   CREATE TABLE intervals (
     job_id TEXT NOT NULL,
     idx INTEGER NOT NULL,
     state TEXT NOT NULL,
     distance REAL,
     steps_reexecuted INTEGER NOT NULL DEFAULT 0,
     steps_exact INTEGER NOT NULL DEFAULT 0,
     ms REAL NOT NULL DEFAULT 0,
     fault_step INTEGER,
     fault TEXT,
     note TEXT,
     PRIMARY KEY (job_id, idx)
   );
   CREATE TABLE disputes (
     job_id TEXT NOT NULL,
     idx INTEGER NOT NULL,
     dispute_id TEXT,
     state TEXT NOT NULL,
     faulty_step INTEGER,
     outcome TEXT,
     PRIMARY KEY (job_id, idx)
   );
   CREATE TABLE peers (address TEXT PRIMARY KEY, peer_id TEXT NOT NULL);
   CREATE TABLE txs (hash TEXT PRIMARY KEY, action TEXT NOT NULL, job_id TEXT, state TEXT NOT NULL);
   CREATE TABLE rewards (hash TEXT PRIMARY KEY, source TEXT NOT NULL, token TEXT NOT NULL, amount TEXT NOT NULL);`,
  // Transactions go through the SDK's journal (as the solver's do); the old hash list is kept for history.
  `ALTER TABLE txs RENAME TO sent_txs_v1;
   ${TX_JOURNAL_SCHEMA}`,
];

export interface JobRow {
  readonly job_id: string;
  readonly spec_hash: string | null;
  readonly solver: string | null;
  readonly token: string | null;
  readonly status: string;
  readonly steps: number | null;
  readonly k: number | null;
  readonly intervals: number | null;
  readonly seed: string | null;
  readonly sample: string | null;
  readonly block_cursor: string;
  readonly done: number;
  readonly note: string | null;
}

interface IntervalDbRow {
  job_id: string;
  idx: number;
  state: IntervalState;
  distance: number | null;
  steps_reexecuted: number;
  steps_exact: number;
  ms: number;
  fault_step: number | null;
  fault: string | null;
  note: string | null;
}

export interface DisputeDbRow {
  readonly job_id: string;
  readonly idx: number;
  readonly dispute_id: string | null;
  /** challenging (intent recorded, tx maybe sent) -> open -> resolved */
  readonly state: 'challenging' | 'open' | 'resolved' | 'missed';
  readonly faulty_step: number | null;
  readonly outcome: DisputeOutcome | null;
}

export interface VerifierDb {
  readonly store: Store;
  jobCursor(): bigint;
  setJobCursor(id: bigint): void;
  upsertJob(jobId: bigint, fields: Partial<Omit<JobRow, 'job_id'>>): void;
  job(jobId: bigint): JobRow | undefined;
  activeJobs(): JobRow[];
  allJobs(): JobRow[];
  addCheckpoint(jobId: bigint, index: number, root: Hex, cid: string): void;
  checkpoint(jobId: bigint, index: number): { root: Hex; cid: string } | undefined;
  addIntervals(jobId: bigint, intervals: readonly number[]): void;
  intervals(jobId: bigint): IntervalDbRow[];
  updateInterval(jobId: bigint, index: number, fields: Partial<Omit<IntervalDbRow, 'job_id' | 'idx'>>): void;
  dispute(jobId: bigint, index: number): DisputeDbRow | undefined;
  disputes(jobId?: bigint): DisputeDbRow[];
  upsertDispute(jobId: bigint, index: number, fields: Partial<Omit<DisputeDbRow, 'job_id' | 'idx'>>): void;
  setPeer(address: string, peerId: string): void;
  peer(address: string): string | undefined;
  recordReward(hash: Hex, source: 'market' | 'game', token: string, amount: bigint): void;
  rewards(): { hash: string; source: string; token: string; amount: string }[];
  intervalRows(jobId: bigint): IntervalRow[];
  disputeRows(jobId: bigint): DisputeRow[];
  close(): void;
}

const columns = (fields: Readonly<Record<string, unknown>>): [string[], (string | number | null)[]] => {
  const keys = Object.keys(fields).filter((k) => fields[k] !== undefined);
  return [keys, keys.map((k) => fields[k] as string | number | null)];
};

export async function openVerifierDb(file: string): Promise<VerifierDb> {
  const store = await openStore({ file, migrations: MIGRATIONS });
  const upsert = (table: string, keyCols: string[], keyVals: (string | number)[], fields: Readonly<Record<string, unknown>>): void => {
    const [keys, vals] = columns(fields);
    const all = [...keyCols, ...keys];
    const set = keys.length === 0 ? 'NOTHING' : `UPDATE SET ${keys.map((k) => `${k} = excluded.${k}`).join(', ')}`;
    store.run(
      `INSERT INTO ${table} (${all.join(', ')}) VALUES (${all.map(() => '?').join(', ')}) ON CONFLICT(${keyCols.join(', ')}) DO ${set}`,
      ...keyVals,
      ...vals,
    );
  };
  return {
    store,
    jobCursor: () => BigInt(store.getValue<string>('jobCursor') ?? '0'),
    setJobCursor: (id) => {
      store.setValue('jobCursor', id.toString());
    },
    upsertJob(jobId, fields) {
      upsert('jobs', ['job_id'], [jobId.toString()], { status: 'new', ...fields });
    },
    job: (jobId) => store.get<JobRow>('SELECT * FROM jobs WHERE job_id = ?', jobId.toString()),
    activeJobs: () => store.all<JobRow>('SELECT * FROM jobs WHERE done = 0 ORDER BY CAST(job_id AS INTEGER)'),
    allJobs: () => store.all<JobRow>('SELECT * FROM jobs ORDER BY CAST(job_id AS INTEGER)'),
    addCheckpoint(jobId, index, root, cid) {
      store.run('INSERT INTO checkpoints (job_id, idx, root, cid) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING', jobId.toString(), index, root, cid);
    },
    checkpoint(jobId, index) {
      const row = store.get<{ root: Hex; cid: string }>('SELECT root, cid FROM checkpoints WHERE job_id = ? AND idx = ?', jobId.toString(), index);
      return row === undefined ? undefined : { root: row.root, cid: row.cid };
    },
    addIntervals(jobId, intervals) {
      store.transaction(() => {
        for (const i of intervals) store.run("INSERT INTO intervals (job_id, idx, state) VALUES (?, ?, 'sampled') ON CONFLICT DO NOTHING", jobId.toString(), i);
      });
    },
    intervals: (jobId) => store.all<IntervalDbRow>('SELECT * FROM intervals WHERE job_id = ? ORDER BY idx', jobId.toString()),
    updateInterval(jobId, index, fields) {
      const [keys, vals] = columns(fields);
      if (keys.length === 0) return;
      store.run(`UPDATE intervals SET ${keys.map((k) => `${k} = ?`).join(', ')} WHERE job_id = ? AND idx = ?`, ...vals, jobId.toString(), index);
    },
    dispute: (jobId, index) => store.get<DisputeDbRow>('SELECT * FROM disputes WHERE job_id = ? AND idx = ?', jobId.toString(), index),
    disputes: (jobId) =>
      jobId === undefined
        ? store.all<DisputeDbRow>('SELECT * FROM disputes')
        : store.all<DisputeDbRow>('SELECT * FROM disputes WHERE job_id = ?', jobId.toString()),
    upsertDispute(jobId, index, fields) {
      upsert('disputes', ['job_id', 'idx'], [jobId.toString(), index], fields);
    },
    setPeer(address, peerId) {
      upsert('peers', ['address'], [address.toLowerCase()], { peer_id: peerId });
    },
    peer: (address) => store.get<{ peer_id: string }>('SELECT peer_id FROM peers WHERE address = ?', address.toLowerCase())?.peer_id,
    recordReward(hash, source, token, amount) {
      upsert('rewards', ['hash'], [hash], { source, token, amount: amount.toString() });
    },
    rewards: () => store.all<{ hash: string; source: string; token: string; amount: string }>('SELECT * FROM rewards'),
    intervalRows: (jobId) =>
      store.all<IntervalDbRow>('SELECT * FROM intervals WHERE job_id = ? ORDER BY idx', jobId.toString()).map((r) => ({
        interval: r.idx,
        state: r.state,
        stepsReexecuted: r.steps_reexecuted,
        stepsExact: r.steps_exact,
        distance: r.distance,
        ms: r.ms,
      })),
    disputeRows: (jobId) =>
      store.all<DisputeDbRow>('SELECT * FROM disputes WHERE job_id = ? AND dispute_id IS NOT NULL', jobId.toString()).map((d) => ({
        disputeId: d.dispute_id as string,
        interval: d.idx,
        outcome: d.outcome ?? 'open',
        faultyStep: d.faulty_step,
      })),
    close: () => {
      store.close();
    },
  };
}
