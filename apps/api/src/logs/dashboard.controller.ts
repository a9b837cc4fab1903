import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Controller, Get, Header, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/authorization.js';

/** The dashboard's files: apps/api/public/dashboard, from the sources or from dist/. */
function dashboardDir(): string {
  const candidates: string[] = [];
  // From apps/api/src/logs (sources, or dist/apps/api/src/logs): up to the repository root.
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    candidates.push(path.join(dir, 'apps/api/public/dashboard'));
    if (path.dirname(dir) === dir) break;
  }
  candidates.push(path.resolve('apps/api/public/dashboard'));
  const found = candidates.find((dir) => fs.existsSync(path.join(dir, 'index.html')));
  if (!found) throw new Error('apps/api/public/dashboard/index.html not found');
  return found;
}

const TYPES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};

/** Same-origin scripts, styles and connections only; log text is only ever set as textContent. */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * The log viewer (static HTML and plain JS): sign in, pick an app, watch its live log over a log session.
 * Public files; everything it shows comes from the API with the user's own token.
 */
@ApiExcludeController()
@Controller('dashboard')
export class DashboardController {
  private files: Map<string, Buffer> | undefined;

  @Get()
  @Public()
  @Header('Content-Security-Policy', CSP)
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Referrer-Policy', 'no-referrer')
  @Header('Cache-Control', 'no-cache')
  index(@Res() response: Response): void {
    this.send(response, 'index.html');
  }

  @Get(':file')
  @Public()
  @Header('Content-Security-Policy', CSP)
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Cache-Control', 'no-cache')
  asset(@Param('file') file: string, @Res() response: Response): void {
    this.send(response, file);
  }

  private send(response: Response, name: string): void {
    const type = TYPES[name];
    if (!type) throw new NotFoundException();
    this.files ??= new Map(
      Object.keys(TYPES).map((file) => [file, fs.readFileSync(path.join(dashboardDir(), file))]),
    );
    response.type(type).send(this.files.get(name));
  }
}
