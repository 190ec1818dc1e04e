import { createHash } from 'node:crypto';
import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { header, type HttpReply, type HttpRequest } from '../common/http.request.js';
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
  page(@Req() req: HttpRequest, @Res() res: HttpReply): void {
    this.send(req, res, this.assets.get('index.html')!, 'no-cache');
  }

  @Get('assets/:name')
  @ApiExcludeEndpoint()
  asset(@Param('name') name: string, @Req() req: HttpRequest, @Res() res: HttpReply): void {
    const asset = this.assets.get(name);
    if (!asset || name === 'index.html') {
      const path = `/dashboard/assets/${name}`;
      throw new AppError(404, 'not_found', `No route for GET ${path}.`, { path });
    }
    // Revalidated by ETag, so a redeploy shows at the next load without versioned file names.
    this.send(req, res, asset, 'no-cache');
  }

  private readonly etags = new WeakMap<DashboardAsset, string>();

  private send(req: HttpRequest, res: HttpReply, asset: DashboardAsset, cacheControl: string): void {
    let etag = this.etags.get(asset);
    if (!etag) {
      etag = `"${createHash('sha256').update(asset.body).digest('base64url').slice(0, 27)}"`;
      this.etags.set(asset, etag);
    }
    void res
      .header('Content-Security-Policy', DASHBOARD_CSP)
      .header('X-Content-Type-Options', 'nosniff')
      .header('Referrer-Policy', 'no-referrer')
      .header('Cache-Control', cacheControl)
      .header('ETag', etag);
    const known = header(req, 'if-none-match');
    if (known && known.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
      void res.code(304).send();
      return;
    }
    void res.type(asset.contentType).send(asset.body);
  }
}
