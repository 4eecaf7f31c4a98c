import { describe, expect, it } from 'vitest';
import * as rules from '../src/index.ts';

describe('@hub/sms-rules public API', () => {
  it.each([
    'normalizePhone',
    'checkDestinationAllowed',
    'countSegments',
    'splitSegments',
    'renderTemplate',
    'extractTemplateVars',
    'fallbackText',
    'quietHoursDecision',
    'isValidTimezone',
    'parseHHMM',
    'localDayBounds',
    'dailyCapDecision',
    'classifyKeyword',
    'classifyTwilioError',
    'nextRetryDelayMs',
    'retryDecision',
    'mapTwilioStatus',
    'isFinalSmsStatus',
    'shouldApplyStatus',
    'deliveryStatusFor',
    'findLinks',
    'replaceLinks',
    'generateShortCode',
    'withOptOutFooter',
    'segmentsWithFooter',
    'assertNever',
  ])('exports %s', (name) => {
    expect(typeof (rules as Record<string, unknown>)[name]).toBe('function');
  });
});
