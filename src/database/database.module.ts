import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { MikroORM } from '@mikro-orm/postgresql';
import { APP_CONFIG, type AppConfig } from '../config/app.config.js';
import { Database } from './database.sql.js';
import { startEmbeddedPostgres, type EmbeddedHandle } from './database.embedded.js';
import { createOrm, runMigrations } from './database.orm.js';
import { PgLocks } from './database.locks.js';
import { logger } from '../common/app.logger.js';

/** Owns the connection lifecycle: embedded server (when no DATABASE_URL), the ORM and its one pool, locks and LISTEN. */
export class DbHandle {
  constructor(
    readonly url: string,
    readonly orm: MikroORM,
    readonly db: Database,
    readonly locks: PgLocks,
    readonly embedded: EmbeddedHandle | null,
  ) {}

  static async open(config: AppConfig): Promise<DbHandle> {
    let embedded: EmbeddedHandle | null = null;
    let url = config.databaseUrl;
    if (!url) {
      const t0 = Date.now();
      embedded = await startEmbeddedPostgres(config.dataDir);
      url = embedded.url;
      logger.info('embedded postgres started', { dataDir: config.dataDir, port: embedded.port, ms: Date.now() - t0 });
    }
    try {
      const orm = await createOrm(url);
      const applied = await runMigrations(orm);
      if (applied.length) logger.info('migrations applied', { migrations: applied });
      return new DbHandle(url, orm, new Database(orm), new PgLocks(orm), embedded);
    } catch (err) {
      await embedded?.stop().catch(() => undefined);
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.locks.close();
    await this.orm.close(true).catch(() => undefined);
    if (this.embedded) {
      await this.embedded.stop().catch(() => undefined);
      logger.info('embedded postgres stopped');
    }
  }
}

@Global()
@Module({
  providers: [
    {
      provide: DbHandle,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => DbHandle.open(config),
    },
    { provide: Database, inject: [DbHandle], useFactory: (h: DbHandle) => h.db },
    { provide: PgLocks, inject: [DbHandle], useFactory: (h: DbHandle) => h.locks },
  ],
  exports: [DbHandle, Database, PgLocks],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(DbHandle) private readonly handle: DbHandle) {}

  async onApplicationShutdown(): Promise<void> {
    await this.handle.close();
  }
}
