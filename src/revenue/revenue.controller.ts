import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ReadAuth } from '../common/auth.guard.js';
import { RevenueQueryParser } from './revenue.query.js';
import { RevenueService } from './revenue.service.js';
import { BreakdownDocs, CollectedDocs, DailyDocs, SummaryDocs, UnmappedDocs, WeeklyDocs } from './revenue.openapi.js';
import { dailyJson, summaryJson, weeklyJson } from './revenue.view.js';

/** Revenue figures (CONTRACT "Revenue"): parse, ask the service, render. */
@ApiTags('revenue')
@Controller('metrics')
@ReadAuth()
export class RevenueController {
  constructor(
    private readonly parse: RevenueQueryParser,
    private readonly revenue: RevenueService,
  ) {}

  @Get('revenue/summary')
  @SummaryDocs()
  async summary(@Query() query: Record<string, unknown>) {
    return summaryJson(await this.revenue.report(await this.parse.range(query)));
  }

  @Get('revenue/daily')
  @DailyDocs()
  async daily(@Query() query: Record<string, unknown>) {
    return dailyJson(await this.revenue.report(await this.parse.range(query)));
  }

  @Get('revenue/weekly')
  @WeeklyDocs()
  async weekly(@Query() query: Record<string, unknown>) {
    return weeklyJson(await this.revenue.report(await this.parse.range(query)));
  }

  @Get('revenue')
  @CollectedDocs()
  async collected(@Query() query: Record<string, unknown>) {
    return this.revenue.collected(await this.parse.collected(query));
  }

  @Get('revenue/breakdown')
  @BreakdownDocs()
  async breakdown(@Query() query: Record<string, unknown>) {
    return this.revenue.breakdown(await this.parse.breakdown(query));
  }

  @Get('unmapped-statuses')
  @UnmappedDocs()
  async unmapped(@Query() query: Record<string, unknown>) {
    return this.revenue.unmappedStatuses(this.parse.unmappedLimit(query));
  }
}
