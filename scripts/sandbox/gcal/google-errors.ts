/**
 * Google API error bodies as Calendar v3 sends them: `{error:{code, message, errors:[{domain,
 * reason, message, ...}], status}}`. The connector's error mapper reads `code` and `reason`.
 */
export interface GoogleErrorBody {
  error: {
    code: number;
    message: string;
    errors: Array<{ domain: string; reason: string; message: string; location?: string; locationType?: string }>;
    status?: string;
  };
}

export function googleError(
  code: number,
  reason: string,
  message: string,
  status?: string,
  extra: Record<string, string> = {},
): GoogleErrorBody {
  return {
    error: { code, message, errors: [{ domain: 'global', reason, message, ...extra }], ...(status ? { status } : {}) },
  };
}

/** The canonical body for a status code (used by failNext and the auth checks). */
export function canonicalError(code: number): GoogleErrorBody {
  switch (code) {
    case 400:
      return googleError(400, 'badRequest', 'Bad Request', 'INVALID_ARGUMENT');
    case 401:
      return googleError(
        401,
        'authError',
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
        'UNAUTHENTICATED',
        { location: 'Authorization', locationType: 'header' },
      );
    case 403:
      return googleError(403, 'forbidden', 'The caller does not have permission', 'PERMISSION_DENIED');
    case 404:
      return googleError(404, 'notFound', 'Not Found', 'NOT_FOUND');
    case 410:
      return fullSyncRequired();
    case 429:
      return googleError(429, 'rateLimitExceeded', 'Rate Limit Exceeded', 'RESOURCE_EXHAUSTED');
    case 500:
      return googleError(500, 'backendError', 'Backend Error', 'INTERNAL');
    case 502:
      return googleError(502, 'badGateway', 'Bad Gateway', 'UNAVAILABLE');
    case 503:
      return googleError(503, 'backendError', 'The service is currently unavailable.', 'UNAVAILABLE');
    default:
      return googleError(code, 'error', `HTTP ${code}`);
  }
}

export function fullSyncRequired(): GoogleErrorBody {
  return googleError(410, 'fullSyncRequired', 'Sync token is no longer valid, a full sync is required.', 'GONE');
}

/** Google's usage limits answer 403 with these reasons: they are throttling, not a permission problem. */
export function rateLimited403(): GoogleErrorBody {
  return googleError(403, 'rateLimitExceeded', 'Rate Limit Exceeded', 'PERMISSION_DENIED');
}
