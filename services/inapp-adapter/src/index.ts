export { buildInappAdapter, type InappAdapterDeps, type InappAdapterService } from './app.ts';
export { loadInappAdapterConfig } from './config.ts';
export { INBOX_CHANGE_CHANNEL } from './store.ts';
export { inappTemplateKeyFor, renderItem, safeActionUrl } from './render.ts';
