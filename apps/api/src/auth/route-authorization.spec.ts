import { describe, expect, it } from '@jest/globals';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { loadConfig } from '../../../../libs/config/index.js';
import { AppModule } from '../app.module.js';
import { AUTHORIZATION_KEY, type AuthorizationRule } from './authorization.js';

/** Every route must say who may call it: @Public(), @Authorize(…), @OperatorOnly() or @PlatformAuthorize(…). */
describe('route authorization (architecture check)', () => {
  const module = AppModule.forRoot({
    config: loadConfig({}),
    databaseUrl: 'postgres://unused@127.0.0.1:1/x',
    connectDatabase: false,
  });
  const routes: { route: string; rule: AuthorizationRule | undefined }[] = [];
  for (const controller of module.controllers ?? []) {
    const prototype = (controller as { prototype: Record<string, unknown> }).prototype;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const handler = prototype[name];
      if (typeof handler !== 'function' || name === 'constructor') continue;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (method === undefined) continue;
      const path =
        `${Reflect.getMetadata(PATH_METADATA, controller)}/${Reflect.getMetadata(PATH_METADATA, handler)}`
          .replace(/\/+/g, '/')
          .replace(/^\//, '');
      const rule = (Reflect.getMetadata(AUTHORIZATION_KEY, handler) ??
        Reflect.getMetadata(AUTHORIZATION_KEY, controller)) as AuthorizationRule | undefined;
      routes.push({ route: `${RequestMethod[method]} ${path}`, rule });
    }
  }

  it('finds the routes', () => {
    expect(routes.length).toBeGreaterThan(30);
  });

  it('gives every route an authorization rule', () => {
    expect(routes.filter((r) => !r.rule).map((r) => r.route)).toEqual([]);
  });

  it('keeps public routes to auth, plans, health, the dashboard and the registry token service', () => {
    const open = routes.filter((r) => r.rule?.public).map((r) => r.route);
    for (const route of open)
      expect(route).toMatch(
        /^(GET|POST|HEAD) (v1\/auth|v1\/plans|healthz|readyz|dashboard|v1\/registry\/token$)/,
      );
  });

  it('keeps /v1/admin routes to operators and platform keys', () => {
    const admin = routes.filter((r) => r.route.includes('v1/admin'));
    expect(admin.length).toBeGreaterThan(5);
    for (const { route, rule } of admin)
      expect({ route, platform: rule && !rule.public && rule.platform }).toEqual({ route, platform: true });
  });
});
