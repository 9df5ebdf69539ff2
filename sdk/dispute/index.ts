// veritrain/dispute: the dispute game's client, strategies and its one player, openings, the fault finder, data availability and trajectories (fraud models: veritrain/testing).
export * from './trajectory.ts';
export * from './openings.ts';
export * from './find.ts';
export * from './availability.ts';
export * from './client.ts';
export * from './strategies.ts';
export * from './player.ts';
export * from './chunks.ts';
