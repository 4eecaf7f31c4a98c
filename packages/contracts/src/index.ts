export * from './topics.ts';
export * from './headers.ts';
export * from './schemas.ts';
export * from './clock.ts';
export * from './storable.ts';
export * from './channels.ts';
