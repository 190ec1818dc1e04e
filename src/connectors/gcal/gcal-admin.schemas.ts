import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { strictObject, text } from '../../common/request.validation.js';

/** Request and response of POST /admin/gcal/watch. */

export class WatchBodyDto extends createZodDto(
  strictObject(
    {
      calendarId: text({ max: 1024 })
        .optional()
        .meta({ description: 'One of GCAL_CALENDAR_IDS; default: every configured calendar' }),
    },
    'body',
  ).meta({ example: { calendarId: 'sales@example.com' } }),
) {}

export class WatchResultDto extends createZodDto(
  z
    .object({
      channels: z.array(
        z.object({
          calendarId: z.string(),
          channelId: z.string(),
          resourceId: z.string(),
          expiration: z.string().meta({ format: 'date-time' }),
        }),
      ),
    })
    .meta({
      example: {
        channels: [
          {
            calendarId: 'sales@example.com',
            channelId: '0b5f9c4e-6a57-4a4e-9d5c-1f2e3d4c5b6a',
            resourceId: 'o3hgv1538sdjfh',
            expiration: '2026-11-28T10:00:00.000Z',
          },
        ],
      },
    }),
) {}
