/** Every non-2xx body is built from one of these by the single exception filter. */
export interface Issue {
  in: 'query' | 'params' | 'body' | 'header';
  field: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const Errors = {
  validation: (issues: Issue[]) =>
    new AppError(
      400,
      'validation_failed',
      issues.length === 1 ? issues[0].message : `${issues.length} request fields are invalid.`,
      { issues },
    ),
  unauthorized: (code: 'invalid_api_key' | 'invalid_admin_key') =>
    new AppError(
      401,
      'unauthorized',
      code === 'invalid_admin_key'
        ? 'A valid X-Admin-Api-Key header is required.'
        : 'A valid X-Api-Key header is required.',
      { code },
    ),
  notFound: (code: string, message: string, extra: Record<string, unknown> = {}) =>
    new AppError(404, code, message, extra),
  badRequest: (code: string, message: string, extra: Record<string, unknown> = {}) =>
    new AppError(400, code, message, extra),
  conflict: (code: string, message: string) => new AppError(409, code, message),
  dbUnavailable: () =>
    new AppError(503, 'database_unavailable', 'The database is unavailable; retry later.', {}, { 'Retry-After': '5' }),
};

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;
