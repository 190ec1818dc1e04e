import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpMetrics } from '../common/http.metrics.js';
import { logger } from '../common/app.logger.js';

/**
 * `GET /metrics` for processes without the API (worker, job) on METRICS_PORT: a bare node:http
 * server, since those processes have no Nest HTTP adapter. Anything else is 404.
 */
@Injectable()
export class MetricsServer implements OnApplicationShutdown {
  private server: Server | null = null;

  constructor(private readonly metrics: HttpMetrics) {}

  /** The bound port (METRICS_PORT=0 picks a free one), or null before listen(). */
  get port(): number | null {
    return (this.server?.address() as AddressInfo | null)?.port ?? null;
  }

  async listen(port: number, host: string): Promise<number> {
    if (this.server) return this.port!;
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' || path !== '/metrics') {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
        return;
      }
      this.metrics.render().then(
        (text) => res.writeHead(200, { 'content-type': this.metrics.contentType }).end(text),
        (err) => {
          logger.error('metrics scrape failed', { err: (err as Error)?.message });
          res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n');
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // Scrapes are short: an idle keep-alive connection must not hold the process open at shutdown.
    server.unref();
    this.server = server;
    logger.info('metrics listening', { url: `http://${host}:${this.port}/metrics` });
    return this.port!;
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
