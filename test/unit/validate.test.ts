import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  calendarDate,
  instant,
  integer,
  isCalendarDate,
  issuesOf,
  oneOf,
  parseRequest,
  positiveId,
  RequestValidationException,
  strictObject,
} from '../../src/common/request.validation.js';
import { keyMatches } from '../../src/common/auth.guard.js';
import { canonicalJson } from '../../src/idempotency/idempotency.service.js';

describe('isCalendarDate', () => {
  it.each(['2026-02-28', '2024-02-29', '2026-12-31', '1970-01-01'])('accepts %s', (d) =>
    expect(isCalendarDate(d)).toBe(true),
  );
  it.each([
    '2026-02-29',
    '2026-02-30',
    '2026-13-01',
    '2026-00-10',
    '2026-1-1',
    '26-01-01',
    '2026-01-01T00:00:00Z',
    '',
    'abc',
  ])('refuses %s', (d) => expect(isCalendarDate(d)).toBe(false));
});

/** The contract issues a schema gives for `input`, or [] when it parses. */
function issues(schema: z.ZodType, input: unknown, where: 'query' | 'params' | 'body' = 'query') {
  try {
    parseRequest(schema, input, where);
    return [];
  } catch (e) {
    expect(e).toBeInstanceOf(RequestValidationException);
    return (e as RequestValidationException).issues;
  }
}

describe('request schemas', () => {
  const query = strictObject(
    {
      startDate: calendarDate().optional(),
      limit: integer({ min: 1, max: 10, def: 5 }),
      source: oneOf(['stripe', 'hubspot']).optional(),
    },
    'query',
  );

  it('collect every issue in the contract shape, naming each field', () => {
    expect(issues(query, { startDate: '2026-02-30', limit: 'x', source: ['a', 'b'] })).toEqual([
      { in: 'query', field: 'startDate', message: 'startDate must be a real calendar date in YYYY-MM-DD format.' },
      { in: 'query', field: 'limit', message: 'limit must be an integer.' },
      { in: 'query', field: 'source', message: 'source must be a single string value.' },
    ]);
  });

  it('refuse unknown parameters one by one, listing the allowed ones', () => {
    expect(issues(query, { sorce: 'stripe', 'source[]': 'x' })).toEqual([
      { in: 'query', field: 'sorce', message: 'Unknown parameter sorce; allowed: startDate, limit, source.' },
      { in: 'query', field: 'source[]', message: 'Unknown parameter source[]; allowed: startDate, limit, source.' },
    ]);
    expect(issues(strictObject({ a: z.string().optional() }, 'body'), { b: 1 }, 'body')).toEqual([
      { in: 'body', field: 'b', message: 'Unknown field b; allowed: a.' },
    ]);
  });

  it('treat an empty query parameter as absent, and apply defaults', () => {
    expect(parseRequest(query, { startDate: '', limit: '' }, 'query')).toEqual({ limit: 5 });
    expect(issues(query, { limit: '11' })).toEqual([
      { in: 'query', field: 'limit', message: 'limit must be between 1 and 10.' },
    ]);
    expect(issues(query, { limit: '1.5' })[0].message).toBe('limit must be an integer.');
  });

  it('refuse a body that is not an object; a missing body is an empty one', () => {
    const body = strictObject({ a: z.string().optional() }, 'body');
    expect(issues(body, [1], 'body')).toEqual([{ in: 'body', field: '', message: 'Body must be a JSON object.' }]);
    expect(parseRequest(body, undefined, 'body')).toEqual({});
    expect(parseRequest(body, null, 'body')).toEqual({});
  });

  it('instants need an explicit offset and must fit Postgres', () => {
    const s = z.object({
      a: instant().optional(),
      b: instant().optional(),
      c: instant().optional(),
      d: instant().optional(),
    });
    expect(parseRequest(s, { a: '2026-06-01T00:00:00Z', c: '2026-06-01T05:30:00+05:30' }, 'query')).toEqual({
      a: new Date('2026-06-01T00:00:00.000Z'),
      c: new Date('2026-06-01T00:00:00.000Z'),
    });
    expect(issues(s, { b: '2026-06-01T00:00:00', d: '9999-12-31T23:00:00-14:00' })).toEqual([
      {
        in: 'query',
        field: 'b',
        message: 'b must be an ISO 8601 timestamp with an offset, e.g. 2026-06-01T00:00:00Z.',
      },
      { in: 'query', field: 'd', message: 'd must not be later than 9999-12-31T23:59:59.999Z.' },
    ]);
  });

  it('ids are positive bigint-range integers', () => {
    const s = z.object({
      a: positiveId().optional(),
      b: positiveId().optional(),
      c: positiveId().optional(),
      d: positiveId().optional(),
      e: positiveId().optional(),
    });
    expect(
      issues(s, { a: '12', b: '0', c: '99999999999999999999', d: '1e3', e: '9223372036854775808' }, 'params').map(
        (i) => i.field,
      ),
    ).toEqual(['b', 'c', 'd', 'e']);
    expect(issues(s, { a: '9223372036854775807' }, 'params')).toEqual([]);
  });

  it('a required field that is missing says so', () => {
    expect(issuesOf(z.object({ since: instant() }).safeParse({}).error!, 'body')).toEqual([
      { in: 'body', field: 'since', message: 'since is required.' },
    ]);
  });
});

describe('keyMatches', () => {
  it('matches any key of a rotation list and nothing else', () => {
    expect(keyMatches('k2-0123456789abcdef', ['k1-0123456789abcdef', 'k2-0123456789abcdef'])).toBe(true);
    expect(keyMatches('k3-0123456789abcdef', ['k1-0123456789abcdef'])).toBe(false);
    expect(keyMatches(undefined, ['k1'])).toBe(false);
    expect(keyMatches('', [])).toBe(false);
  });
});

describe('canonicalJson', () => {
  it('ignores key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(
      canonicalJson({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }),
    );
  });
});
