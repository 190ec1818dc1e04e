import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.bootstrap.js';
import { loadConfig, type AppConfig } from '../../src/config/app.config.js';
import { Database } from '../../src/database/database.sql.js';
import { createTestDatabase } from './db.js';

export const TEST_API_KEY = 'test-read-key-0123456789';
export const TEST_ADMIN_KEY = 'test-admin-key-0123456789';

export interface TestApp {
  app: NestFastifyApplication;
  url: string;
  config: AppConfig;
  db: Database;
  close(): Promise<void>;
}

/**
 * HTTP e2e tier: boots the whole app on its own fresh database, listening on a random port.
 * `env` overrides the environment (e.g. STRIPE_API_BASE of a simulator); worker and scheduler
 * are off unless asked for, so a test controls when processing happens.
 */
export async function bootTestApp(env: Record<string, string | undefined> = {}): Promise<TestApp> {
  const databaseUrl = await createTestDatabase();
  const config = loadConfig({
    NODE_ENV: 'test',
    API_KEY: TEST_API_KEY,
    ADMIN_API_KEY: TEST_ADMIN_KEY,
    WORKER: 'off',
    SCHEDULER: 'off',
    PORT: '0',
    HOST: '127.0.0.1',
    ...env,
    DATABASE_URL: databaseUrl,
  });
  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const addr = app.getHttpServer().address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return {
    app,
    url,
    config,
    db: app.get(Database),
    close: () => app.close(),
  };
}
