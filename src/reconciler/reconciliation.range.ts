import { Errors } from '../common/app.errors.js';

/** About ten years of days, as for revenue: `days` is dense, one entry per day. */
export const MAX_RECONCILE_DAYS = 3700;

/** 400 date_range_too_large, whether both dates were given or one came from its default. */
export const rangeTooLarge = (days: number) =>
  Errors.badRequest(
    'date_range_too_large',
    `The range spans ${days} days; at most ${MAX_RECONCILE_DAYS} are allowed. Split the request into smaller ranges.`,
    { maxDays: MAX_RECONCILE_DAYS, days },
  );
