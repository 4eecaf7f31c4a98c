export { buildEmailAdapter, type EmailAdapterDeps, type EmailAdapterService } from './app.ts';
export { loadEmailAdapterConfig, domainOf } from './config.ts';
export { messageIdHeader, parseMessageIdHeader } from './attempts.ts';
export { emailTemplateKeyFor } from './templates.ts';
