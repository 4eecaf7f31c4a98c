export * from './delivery-state.ts';
export * from './transitions.ts';
export * from './preferences.ts';
export * from './policy.ts';
export * from './consumer.ts';
export * from './link-token.ts';
export * from './rows.ts';
export * from './template-changes.ts';
