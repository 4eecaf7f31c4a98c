import { normalizePhone } from '@hub/sms-rules';

/**
 * Estimated SMS price per segment by destination country (ISO alpha-2), in USD. Twilio's
 * outbound list prices for US/CA long codes are about $0.0079 a segment (carrier fees
 * excluded); elsewhere prices vary from $0.02 to over $0.10, so the default for an unlisted
 * country is a deliberately pessimistic $0.05. Override with GATEWAY_SMS_PRICES.
 */
export interface PriceTable {
  currency: string;
  /** Per-country prices; '*' is the default for every other country. */
  perSegment: Record<string, number>;
}

export const DEFAULT_PRICES: PriceTable = {
  currency: 'USD',
  perSegment: { US: 0.0079, CA: 0.0079, '*': 0.05 },
};

/** "US=0.0079,CA=0.0079,GB=0.04,*=0.05" → table (merged over the defaults); throws on a bad entry. */
export function parsePriceTable(spec: string, base: PriceTable = DEFAULT_PRICES): PriceTable {
  const perSegment = { ...base.perSegment };
  for (const entry of spec.split(',').map((e) => e.trim()).filter(Boolean)) {
    const match = /^([A-Za-z]{2}|\*)\s*=\s*(\d+(?:\.\d+)?)$/.exec(entry);
    if (!match) throw new Error(`bad price entry "${entry}" (expected CC=price, e.g. GB=0.04, or *=0.05)`);
    perSegment[match[1]!.toUpperCase()] = Number(match[2]);
  }
  return { currency: base.currency, perSegment };
}

export function pricePerSegment(table: PriceTable, country: string | null): number {
  return (country !== null ? table.perSegment[country] : undefined) ?? table.perSegment['*'] ?? 0;
}

export interface CountryCost {
  country: string;
  messages: number;
  segments: number;
  pricePerSegment: number;
  estimatedCost: number;
}

/** Sums per-number totals into per-country ones, priced from the table; most expensive first. */
export function costByCountry(rows: { phoneNumber: string; messages: number; segments: number }[], table: PriceTable): CountryCost[] {
  const byCountry = new Map<string, { messages: number; segments: number }>();
  for (const row of rows) {
    const parsed = normalizePhone(row.phoneNumber);
    const country = parsed.ok ? (parsed.country ?? 'unknown') : 'unknown';
    const acc = byCountry.get(country) ?? { messages: 0, segments: 0 };
    acc.messages += row.messages;
    acc.segments += row.segments;
    byCountry.set(country, acc);
  }
  return [...byCountry.entries()]
    .map(([country, t]) => {
      const price = pricePerSegment(table, country === 'unknown' ? null : country);
      return { country, ...t, pricePerSegment: price, estimatedCost: round(t.segments * price) };
    })
    .sort((a, b) => b.estimatedCost - a.estimatedCost || a.country.localeCompare(b.country));
}

export const round = (n: number, digits = 4) => Math.round(n * 10 ** digits) / 10 ** digits;
