import { describe, expect, it } from 'vitest';
import {
  changesSubscription,
  classifyKeyword,
  HELP_KEYWORDS,
  normalizeKeywordBody,
  OPT_IN_KEYWORDS,
  OPT_OUT_KEYWORDS,
} from '../src/keywords.ts';

describe('classifyKeyword: the keyword lists', () => {
  it.each(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT'])('%s opts out', (word) => {
    expect(classifyKeyword(word)).toEqual({ kind: 'opt_out', keyword: word });
  });

  it.each(['START', 'YES', 'UNSTOP'])('%s opts in', (word) => {
    expect(classifyKeyword(word)).toEqual({ kind: 'opt_in', keyword: word });
  });

  it.each(['HELP', 'INFO'])('%s asks for help', (word) => {
    expect(classifyKeyword(word)).toEqual({ kind: 'help', keyword: word });
  });

  it('exposes exactly these lists', () => {
    expect(OPT_OUT_KEYWORDS).toEqual(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT']);
    expect(OPT_IN_KEYWORDS).toEqual(['START', 'YES', 'UNSTOP']);
    expect(HELP_KEYWORDS).toEqual(['HELP', 'INFO']);
  });
});

describe('classifyKeyword: case, whitespace and punctuation', () => {
  it.each(['stop', 'Stop', 'sToP', ' STOP', 'STOP ', '\tstop\n', 'STOP.', 'stop!', 'Stop!!!', '"STOP"', '(stop)', '¡stop!', '...stop...', '\u00a0STOP\u00a0', '\u200bSTOP'])(
    '%j is STOP',
    (body) => expect(classifyKeyword(body)).toEqual({ kind: 'opt_out', keyword: 'STOP' }),
  );

  it('returns the canonical keyword whatever the input looked like', () => {
    expect(classifyKeyword('  unsubscribe. ')).toEqual({ kind: 'opt_out', keyword: 'UNSUBSCRIBE' });
    expect(classifyKeyword('Yes!')).toEqual({ kind: 'opt_in', keyword: 'YES' });
    expect(classifyKeyword('help?')).toEqual({ kind: 'help', keyword: 'HELP' });
    expect(classifyKeyword('info')).toEqual({ kind: 'help', keyword: 'INFO' });
  });

  it('normalises full-width letters (NFKC)', () => {
    expect(classifyKeyword('ＳＴＯＰ')).toEqual({ kind: 'opt_out', keyword: 'STOP' });
  });
});

describe('classifyKeyword: every keyword in every case and with any surrounding whitespace', () => {
  const kinds = [
    ...['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT'].map((k) => [k, 'opt_out'] as const),
    ...['START', 'YES', 'UNSTOP'].map((k) => [k, 'opt_in'] as const),
    ...['HELP', 'INFO'].map((k) => [k, 'help'] as const),
  ];
  const mixed = (w: string) => [...w].map((c, i) => (i % 2 === 0 ? c.toUpperCase() : c.toLowerCase())).join('');
  const variants = (w: string): [string, string][] => [
    ['upper', w],
    ['lower', w.toLowerCase()],
    ['capitalised', w[0] + w.slice(1).toLowerCase()],
    ['mixed', mixed(w)],
    ['spaces around', `  ${w.toLowerCase()}   `],
    ['newlines around', `\n${mixed(w)}\n\n`],
    ['CRLF after', `${w}\r\n`],
    ['tabs around', `\t${w}\t`],
    ['all of them', ` \t\r\n ${mixed(w)} \n\t `],
  ];
  it.each(kinds.flatMap(([keyword, kind]) => variants(keyword).map(([how, body]) => [keyword, how, body, kind] as const)))(
    '%s, %s (%j) is %s',
    (keyword, _how, body, kind) => {
      expect(classifyKeyword(body)).toEqual({ kind, keyword });
    },
  );
});

describe('classifyKeyword: only a whole-message keyword counts', () => {
  it.each([
    'Please stop',
    'stop texting me',
    'STOP ALL',
    'STOP STOP',
    'stop-all',
    'I said STOP',
    "don't stop",
    'STOPP',
    'STO P',
    'yes please',
    'help me',
    'information',
    'started',
    'S.T.O.P',
    // A keyword plus any other word is a sentence, however short (see the README: Twilio's
    // whole-message rule, not the seeds' runbook's body.includes('STOP')).
    'STOP IT',
    'stop please',
    'STOP now!',
    'Stop\nthanks',
    'STOP\tSTOP',
    'ST OP',
    'STOPPED',
    'nonstop',
    'unstoppable',
    'UNSUBSCRIBED',
    'cancelled',
    'CANCEL my order',
    'the end',
    'ending',
    'QUITE',
    'quit it',
    'START NOW',
    'restart',
    'YESS',
    'yes yes',
    'eyes',
    'HELPFUL',
    'helpdesk',
    'INFOS',
    'more info',
  ])('%j is not a keyword', (body) => {
    expect(classifyKeyword(body)).toEqual({ kind: 'none', keyword: null });
  });

  it('does not strip symbols or emoji (they are not punctuation)', () => {
    expect(classifyKeyword('STOP 🙏')).toEqual({ kind: 'none', keyword: null });
  });

  it('classifies empty and missing bodies as none', () => {
    expect(classifyKeyword('')).toEqual({ kind: 'none', keyword: null });
    expect(classifyKeyword('   ')).toEqual({ kind: 'none', keyword: null });
    expect(classifyKeyword('!!!')).toEqual({ kind: 'none', keyword: null });
    expect(classifyKeyword(null)).toEqual({ kind: 'none', keyword: null });
    expect(classifyKeyword(undefined)).toEqual({ kind: 'none', keyword: null });
  });
});

describe('normalizeKeywordBody', () => {
  it('keeps inner whitespace and punctuation', () => {
    expect(normalizeKeywordBody('  stop, all!  ')).toBe('STOP, ALL');
  });
});

describe('changesSubscription', () => {
  it('is true for opt-out and opt-in only', () => {
    expect(changesSubscription('opt_out')).toBe(true);
    expect(changesSubscription('opt_in')).toBe(true);
    expect(changesSubscription('help')).toBe(false);
    expect(changesSubscription('none')).toBe(false);
  });
});
