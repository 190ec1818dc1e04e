import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { CommonModule } from '../common/common.module.js';
import { HealthController } from './health.controller.js';
import { HealthRepository } from './health.repository.js';

@Module({ imports: [TerminusModule, CommonModule], controllers: [HealthController], providers: [HealthRepository] })
export class HealthModule {}
