// veritrain/storage: content stores (Helia, Kubo), streaming, and the protocol's objects in them (specs, datasets, states).
export * from './types.ts';
export * from './stream.ts';
export * from './helia.ts';
export * from './kubo.ts';
export * from './objects.ts';
