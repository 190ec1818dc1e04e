import { Module } from '@nestjs/common';
import { OrphansRepository } from './orphans.repository.js';
import { Reconciler } from './reconciler.service.js';

@Module({ providers: [OrphansRepository, Reconciler], exports: [OrphansRepository, Reconciler] })
export class ReconcilerModule {}
