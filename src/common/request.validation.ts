import { AppError, Errors, type Issue } from './app.errors.js';

/**
 * Tiny, explicit request validation: collect every issue, then throw one 400 validation_failed.
 * Each reader returns a typed value or undefined (after recording an issue).
 */
export class Validator {
  readonly issues: Issue[] = [];
  constructor(private readonly where: Issue['in'], private readonly input: Record<string, unknown>) {}

  fail(field: string, message: string): undefined {
    this.issues.push({ in: this.where, field, message });
    return undefined;
  }

  /** Single string value; arrays (repeated query params) and objects are refused. */
  string(field: string, opts: { required?: boolean; max?: number; pattern?: RegExp; patternHint?: string } = {}): string | undefined {
    const raw = this.input[field];
    if (raw === undefined || raw === '') return opts.required ? this.fail(field, `${field} is required.`) : undefined;
    if (typeof raw !== 'string') return this.fail(field, `${field} must be a single string value.`);
    if (raw.length > (opts.max ?? 200)) return this.fail(field, `${field} is too long (max ${opts.max ?? 200} characters).`);
    if (opts.pattern && !opts.pattern.test(raw)) return this.fail(field, `${field} ${opts.patternHint ?? 'has an invalid format'}.`);
    return raw;
  }

  oneOf<T extends string>(field: string, values: readonly T[], opts: { required?: boolean } = {}): T | undefined {
    const v = this.string(field, opts);
    if (v === undefined) return undefined;
    if (!values.includes(v as T)) return this.fail(field, `${field} must be one of ${values.join(', ')}.`);
    return v as T;
  }

  int(field: string, opts: { min: number; max: number; def?: number }): number | undefined {
    const v = this.string(field, { max: 20 });
    if (v === undefined) return this.issues.some((i) => i.field === field) ? undefined : opts.def;
    if (!/^-?\d+$/.test(v)) return this.fail(field, `${field} must be an integer.`);
    const n = Number(v);
    if (n < opts.min || n > opts.max) return this.fail(field, `${field} must be between ${opts.min} and ${opts.max}.`);
    return n;
  }

  /** Calendar date YYYY-MM-DD that really exists (no 2026-02-30). */
  date(field: string, opts: { required?: boolean } = {}): string | undefined {
    const v = this.string(field, { ...opts, max: 10 });
    if (v === undefined) return undefined;
    if (!isCalendarDate(v)) return this.fail(field, `${field} must be a real calendar date in YYYY-MM-DD format.`);
    return v;
  }

  /** ISO 8601 instant with an explicit offset or Z. */
  instant(field: string, opts: { required?: boolean } = {}): Date | undefined {
    const v = this.string(field, { ...opts, max: 40 });
    if (v === undefined) return undefined;
    const m = /^(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.exec(v);
    const d = new Date(v);
    if (!m || !isCalendarDate(m[1]) || Number.isNaN(d.getTime())) {
      return this.fail(field, `${field} must be an ISO 8601 timestamp with an offset, e.g. 2026-06-01T00:00:00Z.`);
    }
    // 9999-12-31T23:00-14:00 is a valid string for year 10000 UTC, which toISOString renders as
    // "+010000-…" and Postgres cannot parse.
    if (d.getTime() > LAST_INSTANT_MS) return this.fail(field, `${field} must not be later than 9999-12-31T23:59:59.999Z.`);
    return d;
  }

  /** Positive bigint id as a decimal string. */
  id(field: string, opts: { required?: boolean } = {}): string | undefined {
    const v = this.string(field, { ...opts, max: 19 });
    if (v === undefined) return undefined;
    if (!/^[1-9]\d{0,18}$/.test(v) || BigInt(v) > 9223372036854775807n) return this.fail(field, `${field} must be a positive integer id.`);
    return v;
  }

  /** Refuses fields outside `allowed`: a misspelt parameter must not silently widen a query. */
  onlyKnown(allowed: readonly string[]): this {
    for (const key of Object.keys(this.input)) {
      if (!allowed.includes(key)) this.fail(key, `Unknown ${this.where === 'body' ? 'field' : 'parameter'} ${key}; allowed: ${allowed.join(', ')}.`);
    }
    return this;
  }

  done(): void {
    if (this.issues.length) throw Errors.validation(this.issues);
  }
}

const LAST_INSTANT_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

export function isCalendarDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1) return false;
  const dt = new Date(Date.UTC(y, mo - 1, d));
  return dt.getUTCMonth() === mo - 1 && dt.getUTCDate() === d;
}

export function assertJsonObject(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null || (typeof body === 'object' && !Array.isArray(body) && Object.keys(body as object).length === 0)) return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw Errors.validation([{ in: 'body', field: '', message: 'Body must be a JSON object.' }]);
  }
  return body as Record<string, unknown>;
}

export { AppError };
