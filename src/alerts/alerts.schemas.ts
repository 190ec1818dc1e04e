import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { integer, oneOf, positiveId, strictObject } from '../common/request.validation.js';
import { ALERT_CONDITIONS, ALERT_SEVERITIES, ALERT_STATES } from './alert.types.js';

/** Request and response shapes of GET /alerts (CONTRACT "Alerts"). */

export class AlertsQueryDto extends createZodDto(
  strictObject(
    {
      state: oneOf(ALERT_STATES)
        .optional()
        .meta({ description: 'Only firing (open) or only resolved alerts; both when absent', example: 'firing' }),
      limit: integer({ min: 1, max: 200, def: 50 }),
      before: positiveId()
        .optional()
        .meta({ description: 'nextBefore of the previous page (an alertId)', example: '42' }),
    },
    'query',
  ),
) {}

const example = {
  alertId: '7',
  condition: 'dead_letters',
  state: 'firing',
  severity: 'critical',
  summary: '2 outbox events are dead (threshold 1); see GET /outbox/dead',
  details: { subject: 'outbox', deadCount: 2, threshold: 1 },
  firedAt: '2026-06-15T10:00:00.000Z',
  resolvedAt: null,
  text: ':rotating_light: *Firing:* dead_letters (critical) on outbox: 2 outbox events are dead (threshold 1); see GET /outbox/dead',
};

/** The same object a receiver of ALERT_WEBHOOK_URL is sent for the alert's latest state change. */
export const AlertSchema = z
  .object({
    alertId: z.string(),
    condition: z.enum(ALERT_CONDITIONS),
    state: z.enum(ALERT_STATES),
    severity: z.enum(ALERT_SEVERITIES),
    summary: z.string(),
    details: z
      .record(z.string(), z.unknown())
      .meta({ description: 'Facts of the condition; `subject` says what it is about (e.g. stripe:charges)' }),
    firedAt: z.string().meta({ format: 'date-time' }),
    resolvedAt: z.string().nullable().meta({ format: 'date-time' }),
    text: z.string().meta({ description: 'One line for Slack-style incoming webhooks (mrkdwn)' }),
  })
  .meta({ example });

export class AlertListDto extends createZodDto(
  z
    .object({
      alerts: z.array(AlertSchema),
      nextBefore: z
        .string()
        .nullable()
        .meta({ description: 'Pass as `before` for the next (older) page; null on the last page' }),
    })
    .meta({ example: { alerts: [example], nextBefore: null } }),
) {}
