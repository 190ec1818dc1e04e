import {
  applyDecorators,
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  UseGuards,
} from '@nestjs/common';
import { ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { createHash, timingSafeEqual } from 'node:crypto';
import { header, type HttpRequest } from './http.request.js';
import { APP_CONFIG, type AppConfig } from '../config/app.config.js';
import { Errors } from './app.errors.js';
import { errorContent } from './swagger.setup.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time membership: every configured key is compared, digests have equal length. */
export function keyMatches(presented: string | undefined, keys: readonly string[]): boolean {
  if (!presented || keys.length === 0) return false;
  const p = digest(presented);
  let ok = false;
  for (const k of keys) ok = timingSafeEqual(p, digest(k)) || ok;
  return ok;
}

@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}
  canActivate(ctx: ExecutionContext): boolean {
    const req = ctx.switchToHttp().getRequest<HttpRequest>();
    const admin = header(req, 'x-admin-api-key');
    if (admin !== undefined && keyMatches(admin, this.config.adminApiKeys)) return true;
    if (keyMatches(header(req, 'x-api-key'), [...this.config.apiKeys, ...this.config.adminApiKeys])) return true;
    throw Errors.unauthorized('invalid_api_key');
  }
}

@Injectable()
export class AdminKeyGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}
  canActivate(ctx: ExecutionContext): boolean {
    const req = ctx.switchToHttp().getRequest<HttpRequest>();
    if (keyMatches(header(req, 'x-admin-api-key'), this.config.adminApiKeys)) return true;
    throw Errors.unauthorized('invalid_admin_key');
  }
}

const unauthorizedExample = (code: string) => ({
  description: 'Missing or wrong key',
  ...errorContent('unauthorized', 'A valid key is required.', { code }),
});

/** Read endpoints: X-Api-Key (the admin key is accepted too). */
export const ReadAuth = () =>
  applyDecorators(
    UseGuards(ApiKeyGuard),
    ApiSecurity('apiKey'),
    ApiUnauthorizedResponse(unauthorizedExample('invalid_api_key')),
  );
/** Admin endpoints: X-Admin-Api-Key. */
export const AdminAuth = () =>
  applyDecorators(
    UseGuards(AdminKeyGuard),
    ApiSecurity('adminApiKey'),
    ApiUnauthorizedResponse(unauthorizedExample('invalid_admin_key')),
  );
