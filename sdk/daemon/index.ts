// veritrain/daemon: the daemons' kit (config, SQLite store, metrics, progress, CLI helpers, keys, services).
export * from './config.ts';
export * from './store.ts';
export * from './metrics.ts';
export * from './progress.ts';
export * from './cli.ts';
export * from './keys.ts';
export * from './service.ts';
export * from './journal.ts';
