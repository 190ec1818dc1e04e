import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { EXAMPLE_REQUEST_ID, ErrorBody } from '../common/swagger.setup.js';

/** The probes' bodies (CONTRACT "Health and docs"). */

export class HealthzDto extends createZodDto(
  z.object({ status: z.literal('ok'), uptimeS: z.int() }).meta({ example: { status: 'ok', uptimeS: 42 } }),
) {}

/** One check of the readiness report; vendors add when they last synced and how that ended. */
const check = z.looseObject({
  ok: z.boolean(),
  latencyMs: z.number().optional().meta({ description: 'db: round trip of a ping' }),
  lastSync: z
    .string()
    .nullable()
    .optional()
    .meta({ format: 'date-time', description: 'vendors: when the last sync run finished' }),
  lastStatus: z.string().nullable().optional().meta({ description: 'vendors: status of the last sync run' }),
  error: z.string().nullable().optional(),
  pipelinesRefreshedAt: z.string().nullable().optional().meta({
    format: 'date-time',
    description: 'hubspot: when the deal pipelines (which decide what is won) were last read',
  }),
  pipelinesError: z
    .string()
    .optional()
    .meta({ description: 'hubspot: why the last pipelines refresh failed, while it has not succeeded since' }),
});

const readiness = z.object({
  status: z
    .enum(['ok', 'degraded', 'down'])
    .meta({ description: '`down` only when Postgres does not answer; a vendor outage is `degraded`' }),
  syncStatus: z.enum(['healthy', 'degraded']),
  checks: z.record(z.string(), check).meta({ description: '`db`, then one entry per enabled source' }),
  uptimeS: z.int(),
});

export class ReadyzDto extends createZodDto(
  readiness.meta({
    example: {
      status: 'ok',
      syncStatus: 'healthy',
      checks: {
        db: { ok: true, latencyMs: 3 },
        stripe: { ok: true, lastSync: '2026-06-15T10:00:00.000Z', lastStatus: 'succeeded' },
        hubspot: {
          ok: true,
          lastSync: '2026-06-15T10:00:00.000Z',
          lastStatus: 'succeeded',
          pipelinesRefreshedAt: '2026-06-15T09:45:00.000Z',
        },
      },
      uptimeS: 42,
    },
  }),
) {}

/** A 503 like every other: the contract's error fields beside the readiness report. */
export class ReadyzDownDto extends createZodDto(
  readiness.extend(ErrorBody.pick({ error: true, message: true, requestId: true }).shape).meta({
    example: {
      status: 'down',
      syncStatus: 'degraded',
      checks: { db: { ok: false, error: 'database_unavailable' } },
      uptimeS: 42,
      error: 'database_unavailable',
      message: 'The database is unavailable.',
      requestId: EXAMPLE_REQUEST_ID,
    },
  }),
) {}
