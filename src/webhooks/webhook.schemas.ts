import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';

/** What every webhook answers once the raw event is committed (CONTRACT "Webhooks"). */
export class WebhookReceiptDto extends createZodDto(
  z
    .object({
      received: z.literal(true),
      type: z.string().meta({ description: 'The vendor event type (HubSpot: `batch`; Google: the resource state)' }),
      duplicate: z
        .boolean()
        .meta({ description: 'true when the event was already stored (a redelivery); nothing new was stored' }),
      stored: z.int().optional().meta({ description: 'Batched webhooks (HubSpot): how many of the events were new' }),
    })
    .meta({ example: { received: true, type: 'charge.refunded', duplicate: false } }),
) {}
