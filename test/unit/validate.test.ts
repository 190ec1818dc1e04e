import { describe, expect, it } from 'vitest';
import { Validator, isCalendarDate } from '../../src/common/request.validation.js';
import { AppError } from '../../src/common/app.errors.js';
import { keyMatches } from '../../src/common/auth.guard.js';
import { canonicalJson } from '../../src/idempotency/idempotency.service.js';

describe('isCalendarDate', () => {
  it.each(['2026-02-28', '2024-02-29', '2026-12-31', '1970-01-01'])('accepts %s', (d) => expect(isCalendarDate(d)).toBe(true));
  it.each(['2026-02-29', '2026-02-30', '2026-13-01', '2026-00-10', '2026-1-1', '26-01-01', '2026-01-01T00:00:00Z', '', 'abc'])('refuses %s', (d) =>
    expect(isCalendarDate(d)).toBe(false),
  );
});

describe('Validator', () => {
  it('collects every issue and throws one validation_failed', () => {
    const v = new Validator('query', { startDate: '2026-02-30', limit: 'x', source: ['a', 'b'] });
    v.date('startDate');
    v.int('limit', { min: 1, max: 10 });
    v.oneOf('source', ['stripe', 'hubspot']);
    let err: AppError | undefined;
    try {
      v.done();
    } catch (e) {
      err = e as AppError;
    }
    expect(err?.status).toBe(400);
    expect(err?.code).toBe('validation_failed');
    expect((err?.extra.issues as unknown[]).length).toBe(3);
    expect(err?.extra.issues).toContainEqual({ in: 'query', field: 'source', message: expect.stringMatching(/single/) });
  });

  it('instants need an explicit offset', () => {
    const v = new Validator('query', { a: '2026-06-01T00:00:00Z', b: '2026-06-01T00:00:00', c: '2026-06-01T05:30:00+05:30' });
    expect(v.instant('a')?.toISOString()).toBe('2026-06-01T00:00:00.000Z');
    expect(v.instant('b')).toBeUndefined();
    expect(v.instant('c')?.toISOString()).toBe('2026-06-01T00:00:00.000Z');
    expect(v.issues.map((i) => i.field)).toEqual(['b']);
  });

  it('ids are positive bigint-range integers', () => {
    const v = new Validator('params', { a: '12', b: '0', c: '99999999999999999999', d: '1e3' });
    expect(v.id('a')).toBe('12');
    expect(v.id('b')).toBeUndefined();
    expect(v.id('c')).toBeUndefined();
    expect(v.id('d')).toBeUndefined();
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
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(canonicalJson({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }));
  });
});
