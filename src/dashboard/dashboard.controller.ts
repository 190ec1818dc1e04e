import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { AppError } from '../common/app.errors.js';
import { DASHBOARD_CSP, loadDashboardAssets, type DashboardAsset } from './dashboard.assets.js';

/** The dashboard page and its files (no auth: the page asks for a key and calls the API with it). */
@ApiTags('dashboard')
@Controller('dashboard')
export class DashboardController {
  // Read at the first request, not at boot: worker and job processes build the same module tree.
  private cache: Map<string, DashboardAsset> | null = null;
  private get assets(): Map<string, DashboardAsset> {
    return (this.cache ??= loadDashboardAssets());
  }

  @Get()
  @ApiOperation({
    summary: 'The operator dashboard (HTML)',
    description:
      'Revenue charts, pipeline health, dead letters, runs, alerts and reconciliation. Loads without a key; the page asks for the API key (and optionally the admin key), keeps them in sessionStorage and sends them as X-Api-Key / X-Admin-Api-Key.',
  })
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'The page' })
  page(@Res() res: Response): void {
    this.send(res, this.assets.get('index.html')!, 'no-cache');
  }

  @Get('assets/:name')
  @ApiExcludeEndpoint()
  asset(@Param('name') name: string, @Res() res: Response): void {
    const asset = this.assets.get(name);
    if (!asset || name === 'index.html') {
      const path = `/dashboard/assets/${name}`;
      throw new AppError(404, 'not_found', `No route for GET ${path}.`, { path });
    }
    // Revalidated by ETag, so a redeploy shows at the next load without versioned file names.
    this.send(res, asset, 'no-cache');
  }

  private send(res: Response, asset: DashboardAsset, cacheControl: string): void {
    res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', cacheControl);
    res.type(asset.contentType).send(asset.body);
  }
}
