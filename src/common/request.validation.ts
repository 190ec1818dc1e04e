import {
  applyDecorators,
  type ArgumentMetadata,
  Injectable,
  type PipeTransform,
  UseInterceptors,
  UsePipes,
} from '@nestjs/common';
import { ZodSerializerInterceptor, ZodValidationException } from 'nestjs-zod';
import { z } from 'zod';
import { Errors, type Issue } from './app.errors.js';

/**
 * The building blocks of every request schema (`*.schemas.ts`), and the pipe that applies them.
 *
 * Each field helper says what is wrong in the contract's words ("<field> must be …"), naming the
 * top-level field the client set, so one zod declaration gives the 400 `validation_failed`
 * issues, the handler's types and the OpenAPI parameters alike.
 */

type RawIssue = z.core.$ZodRawIssue;

/** Clients set top-level fields; an issue deep inside one (entities[3]) is reported on it. */
const fieldOf = (iss: { path?: PropertyKey[] }): string => String(iss.path?.[0] ?? '');

/** The error of a field's own type check: absent, not one text value, or `detail`. */
function says(detail: (field: string) => string) {
  return (iss: RawIssue) => {
    const field = fieldOf(iss);
    if (iss.input === undefined) return `${field} is required.`;
    if (typeof iss.input !== 'string') return `${field} must be a single string value.`;
    return detail(field);
  };
}

/** One text value (a repeated query parameter arrives as an array and is refused). */
export function text(opts: { max: number; pattern?: RegExp; hint?: string }) {
  const s = z
    .string({ error: says((f) => `${f} must be a single string value.`) })
    .max(opts.max, {
      error: (iss) => `${fieldOf(iss)} is too long (max ${opts.max} characters).`,
    })
    // Postgres text cannot hold NUL: refused here, it would be a 500 from the driver.
    .refine((v) => !v.includes('\u0000'), { error: (iss) => `${fieldOf(iss)} must not contain NUL characters.` });
  return opts.pattern
    ? s.regex(opts.pattern, { error: (iss) => `${fieldOf(iss)} ${opts.hint ?? 'has an invalid format'}.` })
    : s;
}

export function oneOf<const T extends readonly string[]>(values: T) {
  return z.enum(values, { error: says((f) => `${f} must be one of ${values.join(', ')}.`) });
}

/** A decimal integer in [min, max], written as text (query strings carry no numbers); `def` when absent. */
export function integer(opts: { min: number; max: number; def: number }) {
  const range = (iss: RawIssue) => `${fieldOf(iss)} must be between ${opts.min} and ${opts.max}.`;
  return (
    z
      .string({ error: says((f) => `${f} must be an integer.`) })
      .refine((s) => /^-?\d{1,19}$/.test(s), { error: (iss) => `${fieldOf(iss)} must be an integer.`, abort: true })
      .transform(Number)
      .pipe(z.number().min(opts.min, { error: range }).max(opts.max, { error: range }))
      .default(opts.def)
      // zod leaves `default` out of an input schema whose value is transformed, so it is said here.
      .meta({
        type: 'integer',
        minimum: opts.min,
        maximum: opts.max,
        description: `${opts.min} to ${opts.max}; default ${opts.def}.`,
        example: opts.def,
      })
  );
}

/** Calendar date YYYY-MM-DD that really exists (no 2026-02-30), years 1970-9999. */
export function calendarDate() {
  return z
    .string({ error: says((f) => `${f} must be a real calendar date in YYYY-MM-DD format.`) })
    .refine(isCalendarDate, { error: (iss) => `${fieldOf(iss)} must be a real calendar date in YYYY-MM-DD format.` })
    .meta({ format: 'date' });
}

const INSTANT = /^(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const LAST_INSTANT_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** ISO 8601 instant with an explicit offset or Z, as a Date. */
export function instant() {
  const hint = (f: string) => `${f} must be an ISO 8601 timestamp with an offset, e.g. 2026-06-01T00:00:00Z.`;
  return (
    z
      .string({ error: says(hint) })
      .refine(
        (s) => {
          const m = INSTANT.exec(s);
          return m !== null && isCalendarDate(m[1]) && !Number.isNaN(new Date(s).getTime());
        },
        { error: (iss) => hint(fieldOf(iss)), abort: true },
      )
      .transform((s) => new Date(s))
      // 9999-12-31T23:00-14:00 is a valid string for year 10000 UTC, which toISOString renders as
      // "+010000-…" and Postgres cannot parse.
      .refine((d) => d.getTime() <= LAST_INSTANT_MS, {
        error: (iss) => `${fieldOf(iss)} must not be later than 9999-12-31T23:59:59.999Z.`,
      })
      .meta({ format: 'date-time' })
  );
}

const ID = /^[1-9][0-9]{0,18}$/;
const MAX_BIGINT = 9223372036854775807n;

/** A row id: a positive bigint as a decimal string. */
export function positiveId() {
  const hint = (iss: RawIssue) => `${fieldOf(iss)} must be a positive integer id.`;
  return z
    .string({ error: says((f) => `${f} must be a positive integer id.`) })
    .regex(ID, { error: hint, abort: true })
    .refine((s) => BigInt(s) <= MAX_BIGINT, { error: hint });
}

export function isPositiveId(s: string): boolean {
  return ID.test(s) && BigInt(s) <= MAX_BIGINT;
}

export function isCalendarDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1) return false;
  const dt = new Date(Date.UTC(y, mo - 1, d));
  return dt.getUTCMonth() === mo - 1 && dt.getUTCDate() === d;
}

/**
 * An object that refuses fields outside its shape: a misspelt parameter must not silently widen
 * a query. The error text lists the allowed names; `issuesOf` makes one issue per unknown name.
 */
export function strictObject<S extends z.ZodRawShape>(shape: S, what: 'query' | 'body' | 'params') {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? `${ALLOWED}${allowed || 'none'}.`
        : what === 'body'
          ? 'Body must be a JSON object.'
          : `The ${what} must be an object.`,
  });
}

const ALLOWED = 'allowed: ';

/**
 * For a check across fields (endDate after startDate): run it only when the object itself and
 * these fields parsed, whatever else failed, so one 400 still lists every problem.
 */
export const whenValid =
  (...fields: string[]) =>
  ({ value, issues }: { value: unknown; issues: readonly { path?: PropertyKey[] }[] }) =>
    typeof value === 'object' &&
    value !== null &&
    !issues.some((i) => !i.path?.length || fields.includes(String(i.path[0])));

/** Query strings: an empty parameter (`?tz=`) counts as absent. */
export function queryInput(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object') return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== ''));
}

/** A bodyless POST, `null` and `{}` are all "no fields". */
const bodyInput = (value: unknown): unknown => value ?? {};

/** The contract's issues for a zod error on one part of the request. */
export function issuesOf(error: z.ZodError, where: Issue['in']): Issue[] {
  const noun = where === 'body' ? 'field' : where === 'header' ? 'header' : 'parameter';
  return error.issues.flatMap((iss): Issue[] => {
    if (iss.code !== 'unrecognized_keys') return [{ in: where, field: fieldOf(iss), message: iss.message }];
    const allowed = iss.message.startsWith(ALLOWED) ? `; ${iss.message}` : '.';
    return iss.keys.map((key) => ({ in: where, field: key, message: `Unknown ${noun} ${key}${allowed}` }));
  });
}

/** A zod error that knows which part of the request it is about; the exception filter renders it. */
export class RequestValidationException extends ZodValidationException {
  constructor(
    error: z.ZodError,
    readonly where: Issue['in'],
  ) {
    super(error);
  }

  get issues(): Issue[] {
    return issuesOf(this.getZodError() as z.ZodError, this.where);
  }
}

/** Parses one part of a request or throws the contract's 400 for it. */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown, where: Issue['in']): z.output<S> {
  const result = schema.safeParse(where === 'query' ? queryInput(value) : where === 'body' ? bodyInput(value) : value);
  if (!result.success) throw new RequestValidationException(result.error, where);
  return result.data;
}

/** The zod schema of a nestjs-zod DTO class, or undefined for anything else. */
export function schemaOfDto(metatype: unknown): z.ZodType | undefined {
  const dto = metatype as { isZodDto?: boolean; schema?: z.ZodType } | undefined;
  return dto?.isZodDto ? dto.schema : undefined;
}

const WHERE: Partial<Record<ArgumentMetadata['type'], Issue['in']>> = { query: 'query', param: 'params', body: 'body' };

/**
 * nestjs-zod's ZodValidationPipe, plus where the input came from: `@Query()`, `@Param()` and
 * `@Body()` typed with a zod DTO are parsed by its schema; anything else passes through.
 */
@Injectable()
export class RequestValidationPipe implements PipeTransform {
  transform(value: unknown, { type, metatype }: ArgumentMetadata): unknown {
    const schema = schemaOfDto(metatype);
    const where = WHERE[type];
    return schema && where ? parseRequest(schema, value, where) : value;
  }
}

/** The 400 body a schema answers for `input`, for OpenAPI examples that cannot drift from the code. */
export function validationFailure(schema: z.ZodType, input: unknown, where: Issue['in']) {
  const result = schema.safeParse(where === 'query' ? queryInput(input) : input);
  if (result.success) throw new Error(`validationFailure: ${JSON.stringify(input)} is valid`);
  const err = Errors.validation(issuesOf(result.error, where));
  return { error: err.code, message: err.message, ...err.extra };
}

/**
 * A controller whose inputs are parsed by their zod DTOs (`@Query()`, `@Param()`, `@Body()`) and
 * whose `@ZodResponse` bodies are parsed by their declared schema on the way out.
 */
export const ZodContract = () =>
  applyDecorators(UsePipes(RequestValidationPipe), UseInterceptors(ZodSerializerInterceptor));
