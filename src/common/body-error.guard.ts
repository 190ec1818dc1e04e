import type { CanActivate, ExecutionContext } from '@nestjs/common';

const BODY_ERROR = Symbol('bodyError');

/** Boxed so the guard rethrows exactly what body parsing raised, whatever its type. */
interface ParkedBodyError {
  error: unknown;
}

/**
 * Body parsing runs before routing, so a 415/400/413 raised there would answer a request for a
 * route that does not exist. The error is parked on the request instead: an unknown route still
 * gets 404 not_found, and a known one gets the body error from BodyErrorGuard before anything else
 * (global guards run before auth and the handler).
 */
export function deferBodyError(req: object, err: unknown): void {
  (req as Record<symbol, ParkedBodyError | undefined>)[BODY_ERROR] = { error: err };
}

export class BodyErrorGuard implements CanActivate {
  canActivate(ctx: ExecutionContext): boolean {
    const parked = ctx.switchToHttp().getRequest<Record<symbol, ParkedBodyError | undefined>>()[BODY_ERROR];
    if (parked) throw parked.error;
    return true;
  }
}
