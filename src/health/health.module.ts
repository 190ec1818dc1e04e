import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HubspotModule } from '../connectors/hubspot/hubspot.module.js';
import { HealthController } from './health.controller.js';
import { HealthRepository } from './health.repository.js';

@Module({ imports: [TerminusModule, HubspotModule], controllers: [HealthController], providers: [HealthRepository] })
export class HealthModule {}
