import { Module } from '@nestjs/common';
import { ContactsRepository } from './contacts.repository.js';
import { DealTombstonesRepository } from './deal-tombstones.repository.js';
import { EventLinksRepository } from './event-links.repository.js';
import { EventsRepository } from './events.repository.js';
import { LedgerFiguresRepository } from './ledger-figures.repository.js';
import { PaymentLineageRepository } from './payment-lineage.repository.js';
import { PaymentLinksRepository } from './payment-links.repository.js';
import { PaymentsRepository } from './payments.repository.js';

/**
 * The ledger: owns `payments` (with its rollups and lineage), `contacts` and `events`. Every ledger write (upserts, tombstones)
 * and every read of those tables (revenue aggregates, parent links) goes through these repositories.
 */
const REPOSITORIES = [
  PaymentsRepository,
  DealTombstonesRepository,
  ContactsRepository,
  EventsRepository,
  LedgerFiguresRepository,
  PaymentLinksRepository,
  PaymentLineageRepository,
  EventLinksRepository,
];

@Module({ providers: REPOSITORIES, exports: REPOSITORIES })
export class RecordsModule {}
