import { Module } from '@nestjs/common';
import { OrphansRepository } from './orphans.repository.js';
import { ReconcilerService } from './reconciler.service.js';

@Module({ providers: [OrphansRepository, ReconcilerService], exports: [OrphansRepository, ReconcilerService] })
export class ReconcilerModule {}
