import { describe, expect, it } from 'vitest';
import {
  applyOptOutFooter,
  footerRequired,
  hasOptOutInstruction,
  OPT_OUT_FOOTER,
  segmentsWithFooter,
  withOptOutFooter,
} from '../src/footer.ts';
import { countSegments } from '../src/segments.ts';

describe('withOptOutFooter', () => {
  it('appends the footer on its own line', () => {
    expect(withOptOutFooter('Your brief is ready.')).toBe('Your brief is ready.\nReply STOP to unsubscribe');
  });

  it('drops trailing whitespace before the footer', () => {
    expect(withOptOutFooter('Hello  \n\n')).toBe('Hello\nReply STOP to unsubscribe');
  });

  it('is idempotent', () => {
    const once = withOptOutFooter('Hello');
    expect(withOptOutFooter(once)).toBe(once);
  });

  it('leaves a text that already has an opt-out instruction alone', () => {
    expect(withOptOutFooter('Hi. Reply stop to opt out.')).toBe('Hi. Reply stop to opt out.');
  });

  it('is just the footer for an empty text', () => {
    expect(withOptOutFooter('')).toBe(OPT_OUT_FOOTER);
  });

  it('is GSM-7 and does not change the encoding', () => {
    expect(countSegments(OPT_OUT_FOOTER).encoding).toBe('GSM-7');
    expect(countSegments(withOptOutFooter('Plain')).encoding).toBe('GSM-7');
    expect(countSegments(withOptOutFooter('Emoji 😀')).encoding).toBe('UCS-2');
  });
});

describe('hasOptOutInstruction', () => {
  it('detects "reply STOP" in any case and spacing', () => {
    expect(hasOptOutInstruction('Reply STOP to unsubscribe')).toBe(true);
    expect(hasOptOutInstruction('reply  stop')).toBe(true);
    expect(hasOptOutInstruction('Stop by the office')).toBe(false);
    expect(hasOptOutInstruction('Reply STOPPING')).toBe(false);
  });
});

describe('footerRequired / applyOptOutFooter', () => {
  it('follows the policy', () => {
    expect(footerRequired('always', true)).toBe(true);
    expect(footerRequired('always', false)).toBe(true);
    expect(footerRequired('first', false)).toBe(true);
    expect(footerRequired('first', true)).toBe(false);
    expect(footerRequired('never', false)).toBe(false);
  });

  it('appends only on the condition', () => {
    expect(applyOptOutFooter('Hi', true)).toBe('Hi\nReply STOP to unsubscribe');
    expect(applyOptOutFooter('Hi', false)).toBe('Hi');
  });
});

describe('segmentsWithFooter', () => {
  it('costs nothing extra when the footer fits the segment', () => {
    const result = segmentsWithFooter('Short message');
    expect(result.text).toBe('Short message\nReply STOP to unsubscribe');
    expect(result.info).toMatchObject({ encoding: 'GSM-7', segments: 1, units: 13 + 1 + 25 });
    expect(result.addedSegments).toBe(0);
  });

  it('reports the extra segment when the footer tips the message over 160 septets', () => {
    const body = 'a'.repeat(140); // 140 + 1 + 25 = 166 septets
    const result = segmentsWithFooter(body);
    expect(result.info.segments).toBe(2);
    expect(result.addedSegments).toBe(1);
  });

  it('reports the extra segment for UCS-2 text too', () => {
    const result = segmentsWithFooter('😀'.repeat(30)); // 60 + 26 = 86 units
    expect(result.info).toMatchObject({ encoding: 'UCS-2', segments: 2 });
    expect(result.addedSegments).toBe(1);
  });

  it('leaves the text and count alone when the condition is false', () => {
    expect(segmentsWithFooter('a'.repeat(140), false)).toMatchObject({ text: 'a'.repeat(140), addedSegments: 0, info: { segments: 1 } });
  });
});
