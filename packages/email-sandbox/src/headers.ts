/** Header lines as mailparser gives them: lower-case key, raw line "Name: value" (folded). */
export interface HeaderLine {
  key: string;
  line: string;
}

const ENCODED_WORD = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;

function wordBytes(encoding: string, text: string): Buffer {
  if (encoding.toUpperCase() === 'B') return Buffer.from(text, 'base64');
  return Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1');
}

function decodeBytes(charset: string, bytes: Buffer): string {
  try {
    return new TextDecoder(charset.replace(/\*.*$/, '')).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

/**
 * RFC 2047 encoded words decoded, the whitespace between two adjacent encoded words dropped
 * (nodemailer splits a long header, e.g. a long X-SMTPAPI JSON, into many of them). The bytes
 * of adjacent words of one charset are joined before decoding, so a character split across
 * two words survives.
 */
export function decodeEncodedWords(value: string): string {
  const joined = value.replace(/\?=\s+=\?/g, '?==?');
  let out = '';
  let last = 0;
  let run: { charset: string; parts: Buffer[] } | null = null;
  const flush = () => {
    if (run) out += decodeBytes(run.charset, Buffer.concat(run.parts));
    run = null;
  };
  for (const m of joined.matchAll(ENCODED_WORD)) {
    const [whole, charset = 'utf-8', encoding = 'Q', text = ''] = m;
    if (m.index > last) {
      flush();
      out += joined.slice(last, m.index);
    }
    const current = run as { charset: string; parts: Buffer[] } | null;
    if (current && current.charset.toLowerCase() === charset.toLowerCase()) current.parts.push(wordBytes(encoding, text));
    else {
      flush();
      run = { charset, parts: [wordBytes(encoding, text)] };
    }
    last = m.index + whole.length;
  }
  flush();
  return out + joined.slice(last);
}

/** Lower-case name → value (unfolded, decoded); a repeated header's values joined by '\n'. */
export function headerRecord(lines: readonly HeaderLine[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { key, line } of lines) {
    const colon = line.indexOf(':');
    const raw = colon < 0 ? '' : line.slice(colon + 1);
    const value = decodeEncodedWords(raw.replace(/\r?\n(?=[ \t])/g, '').trim());
    const name = key.toLowerCase();
    out[name] = name in out ? `${out[name]}\n${value}` : value;
  }
  return out;
}
