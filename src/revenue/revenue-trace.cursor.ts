import { z } from 'zod';
import type { RowPosition } from '../records/ledger-figures.repository.js';

/**
 * The trace's page cursor: the keyset position (occurred_at to the microsecond, id) of the last row
 * of a page, as opaque base64url. Clients pass nextCursor back unchanged; anything else is a 400.
 */
const POSITION = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)\|([1-9]\d{0,18})$/;
const MAX_ID = 9223372036854775807n;

export function encodeCursor(p: RowPosition): string {
  return Buffer.from(`${p.occurredAt}|${p.id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): RowPosition | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return null;
  const m = POSITION.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m || BigInt(m[2]) > MAX_ID || Number.isNaN(new Date(m[1]).getTime())) return null;
  return { occurredAt: m[1], id: m[2] };
}

const INVALID = 'cursor must be the nextCursor of a previous trace page, unchanged.';

export function traceCursor() {
  return z
    .string({
      error: (iss) => (iss.input === undefined ? 'cursor is required.' : 'cursor must be a single string value.'),
    })
    .transform((s, ctx) => {
      const p = decodeCursor(s);
      if (!p) {
        ctx.addIssue({ code: 'custom', message: INVALID, input: s });
        return z.NEVER;
      }
      return p;
    });
}
