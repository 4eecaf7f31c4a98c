export { buildConsole, CONSOLE_CSP, loadConsole, readConsole, writeConsole, type ConsoleAsset, type ConsoleBundle } from './build.ts';
