/**
 * A daemon's persistent state in one node:sqlite file: opened in WAL mode with synchronous=NORMAL
 * (a commit survives a kill -9 of the process; only a power loss can drop the last commits) and a
 * busy timeout (the `status` command reads while the daemon writes), schema migrations applied in
 * order and recorded in `PRAGMA user_version`, and a few typed helpers. node:sqlite is built into
 * Node 22 but prints an ExperimentalWarning when first loaded; `openStore` loads it with that one
 * warning filtered out, so CLIs stay clean and every other warning still shows.
 *
 * ```ts
 * const db = await openStore({ file: 'solver.db', migrations: ['CREATE TABLE jobs (id TEXT PRIMARY KEY, state TEXT NOT NULL)'] });
 * db.run('INSERT INTO jobs (id, state) VALUES (?, ?)', '1', 'claimed');
 * const job = db.get<{ id: string; state: string }>('SELECT * FROM jobs WHERE id = ?', '1');
 * db.close();
 * ```
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type * as sqlite from 'node:sqlite';
import { VeritrainError } from '../errors.ts';

export type SqlValue = null | number | bigint | string | Uint8Array;

/** One migration: SQL text (may hold several statements) or a function run inside the transaction. */
export type Migration = string | ((db: Store) => void);

export interface OpenStoreOptions {
  /** Database file; its directory is created. ':memory:' for a throwaway store. */
  readonly file: string;
  /** Applied in order, each once, each in its own transaction; migration i sets user_version to i + 1. Never edit or reorder a released one: append. */
  readonly migrations: readonly Migration[];
  /** Open without writing (no migrations; fails when the schema is older than `migrations`). */
  readonly readOnly?: boolean | undefined;
  /** How long a statement waits for another connection's lock (default 5 s). */
  readonly busyTimeoutMs?: number | undefined;
}

export interface Store {
  readonly file: string;
  /** Schema version after migrations (the number of migrations applied). */
  readonly version: number;
  run(sql: string, ...params: SqlValue[]): { changes: number; lastInsertRowid: number };
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the row type, as viem's readContract does
  get<T extends object>(sql: string, ...params: SqlValue[]): T | undefined;

  all<T extends object>(sql: string, ...params: SqlValue[]): T[];
  exec(sql: string): void;
  /** Runs `fn` in a transaction (BEGIN IMMEDIATE … COMMIT, ROLLBACK on throw); nesting joins the outer one. */
  transaction<T>(fn: () => T): T;
  /** A small key-value table (`kv`) for singletons: cursors, flags. Values are JSON. */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- as get
  getValue<T>(key: string): T | undefined;
  setValue(key: string, value: unknown): void;
  close(): void;
}

let sqliteModule: Promise<typeof sqlite> | undefined;

/** Loads node:sqlite once, without its ExperimentalWarning (other warnings are untouched). */
export function loadSqlite(): Promise<typeof sqlite> {
  sqliteModule ??= (async () => {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- restored as is, called with its own `this`
    const original = process.emitWarning;
    const filtered = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]): void {
      const message = typeof warning === 'string' ? warning : warning.message;
      const type =
        typeof rest[0] === 'string' ? rest[0] : ((rest[0] as { type?: unknown } | undefined)?.type ?? (warning instanceof Error ? warning.name : undefined));
      if (type === 'ExperimentalWarning' && /SQLite/i.test(message)) return;
      Reflect.apply(original, this, [warning, ...rest]);
    };
    process.emitWarning = filtered;
    try {
      return await import('node:sqlite');
    } finally {
      process.emitWarning = original;
    }
  })();
  return sqliteModule;
}

const KV_TABLE = 'CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)';

/** Opens (creating when needed) a store and brings its schema up to date. */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const { DatabaseSync } = await loadSqlite();
  const memory = options.file === ':memory:';
  if (!memory && options.readOnly !== true) mkdirSync(path.dirname(path.resolve(options.file)), { recursive: true });
  let db: sqlite.DatabaseSync;
  try {
    db = new DatabaseSync(options.file, { readOnly: options.readOnly === true });
  } catch (err) {
    throw new VeritrainError('STORAGE_FAILED', `cannot open database ${options.file}`, { details: { file: options.file }, cause: err });
  }
  db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5_000))}`);
  if (options.readOnly !== true) {
    if (!memory) db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    db.exec('PRAGMA foreign_keys = ON');
  }
  let depth = 0;
  const prepared = new Map<string, sqlite.StatementSync>();
  const stmt = (sql: string): sqlite.StatementSync => {
    let s = prepared.get(sql);
    if (s === undefined) {
      s = db.prepare(sql);
      prepared.set(sql, s);
    }
    return s;
  };
  const store: Store = {
    file: options.file,
    version: 0,
    run(sql, ...params) {
      const r = stmt(sql).run(...params);
      return { changes: Number(r.changes), lastInsertRowid: Number(r.lastInsertRowid) };
    },
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- as get
    get<T extends object>(sql: string, ...params: SqlValue[]) {
      return stmt(sql).get(...params) as T | undefined;
    },

    all<T extends object>(sql: string, ...params: SqlValue[]) {
      return stmt(sql).all(...params) as T[];
    },
    exec(sql) {
      db.exec(sql);
    },
    transaction<T>(fn: () => T): T {
      if (depth > 0) return fn();
      db.exec('BEGIN IMMEDIATE');
      depth++;
      try {
        const result = fn();
        db.exec('COMMIT');
        return result;
      } catch (err) {
        db.exec('ROLLBACK');
        throw err;
      } finally {
        depth--;
      }
    },
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- as get
    getValue<T>(key: string): T | undefined {
      const row = stmt('SELECT value FROM kv WHERE key = ?').get(key) as { value: string } | undefined;
      return row === undefined ? undefined : (JSON.parse(row.value) as T);
    },
    setValue(key, value) {
      stmt('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(
        key,
        JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
      );
    },
    close() {
      prepared.clear();
      db.close();
    },
  };

  const current = Number((db.prepare('PRAGMA user_version').get() as { user_version: number | bigint }).user_version);
  if (current > options.migrations.length) {
    db.close();
    throw new VeritrainError(
      'STORAGE_FAILED',
      `database ${options.file} has schema version ${current}, newer than this program knows (${options.migrations.length}); upgrade the program`,
      { details: { file: options.file, version: current } },
    );
  }
  if (options.readOnly === true) {
    if (current < options.migrations.length) {
      db.close();
      throw new VeritrainError(
        'STORAGE_FAILED',
        `database ${options.file} has schema version ${current}; start the daemon once to migrate it to ${options.migrations.length}`,
        { details: { file: options.file, version: current } },
      );
    }
  } else {
    if (current === 0) db.exec(KV_TABLE);
    for (let i = current; i < options.migrations.length; i++) {
      const migration = options.migrations[i] as Migration;
      store.transaction(() => {
        if (typeof migration === 'string') db.exec(migration);
        else migration(store);
        db.exec(`PRAGMA user_version = ${i + 1}`);
      });
    }
  }
  return Object.assign(store, { version: options.migrations.length });
}

/** A bigint stored as TEXT (decimal) read back; undefined for NULL. */
export function bigintColumn(value: SqlValue | undefined): bigint | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(value);
  if (typeof value === 'string') return BigInt(value);
  throw new VeritrainError('STORAGE_FAILED', 'a bigint column holds bytes');
}
