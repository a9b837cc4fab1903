import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Put,
  Query,
  UseInterceptors,
} from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiGoneResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AppsFacade, AppWaits } from '../../../../libs/runtime/index.js';
import type { Principal } from '../../../../libs/identity/index.js';
import { AppNameParam } from './app-name.param.js';
import { AppWaitQuery, AppWaitView } from './app-wait.dto.js';
import { Authorize, CurrentPrincipal } from '../auth/authorization.js';
import { Accepted, IdempotencyKeyHeader } from '../http/accepted.js';
import { ContainerChange } from '../http/container-change.guard.js';
import { HeavyRead } from '../http/heavy-read.guard.js';
import { IdempotencyInterceptor } from '../http/idempotency.interceptor.js';
import { IntParamPipe } from '../http/int-param.pipe.js';
import {
  AppView,
  ContainerView,
  CreateAppRequest,
  EnvView,
  LoadBalancerRequest,
  PatchEnvRequest,
  PutEnvRequest,
  QuotaView,
  ReleaseView,
  ScaleAppRequest,
} from './apps.dto.js';
import { HealthCheckRequest } from './health-check.dto.js';
import { SleepRequest } from './sleep.dto.js';

const QUOTA = {
  description: 'Over a plan limit (problem+json, code quota_exceeded, with limit, current and requested)',
};

@ApiTags('apps')
@Controller('v1')
@ApiNotFoundResponse({ description: 'No such app in your tenant (code not_found)' })
export class AppsController {
  constructor(
    private readonly apps: AppsFacade,
    private readonly waits: AppWaits,
  ) {}

  @Post('apps')
  @Authorize('apps:write')
  @UseInterceptors(IdempotencyInterceptor)
  @IdempotencyKeyHeader()
  @ApiOperation({ summary: 'Create an app (it runs once its first build succeeds)' })
  @ApiCreatedResponse({ type: AppView })
  @ApiConflictResponse({ description: 'Name taken (code app_exists)' })
  @ApiForbiddenResponse(QUOTA)
  async create(@CurrentPrincipal() p: Principal, @Body() body: CreateAppRequest): Promise<AppView> {
    return AppView.from(await this.apps.create(p, body));
  }

  @Get('apps')
  @Authorize('apps:read')
  @ApiOperation({ summary: "List the tenant's apps" })
  @ApiOkResponse({ type: AppView, isArray: true })
  async list(@CurrentPrincipal() p: Principal): Promise<AppView[]> {
    return (await this.apps.list(p)).map(AppView.from);
  }

  @Get('apps/:app')
  @Authorize('apps:read')
  @ApiOperation({ summary: 'An app with its release, state and endpoints' })
  @ApiOkResponse({ type: AppView })
  async get(@CurrentPrincipal() p: Principal, @AppNameParam() name: string): Promise<AppView> {
    return AppView.from(await this.apps.describe(p, name));
  }

  @Get('apps/:app/status')
  @Authorize('apps:read')
  @ApiOperation({
    summary: 'Convergence status: poll after a 202 until converged is true or phase is failed',
  })
  @ApiOkResponse({ type: AppView })
  async status(@CurrentPrincipal() p: Principal, @AppNameParam() name: string): Promise<AppView> {
    return AppView.from(await this.apps.describe(p, name));
  }

  @Get('apps/:app/wait')
  @Authorize('apps:read')
  @HeavyRead()
  @ApiOperation({
    summary:
      'Wait (long poll) until a web replica of a release answers: the release of `build`, release `release`, or the current one',
    description:
      'Answers as soon as it is decided, or after `timeout` ms with outcome timeout (ask again). Each wait takes one of the tenant’s heavy reads; at most 10 waits of one tenant at once per API process (429, code too_many_waits).',
  })
  @ApiOkResponse({ type: AppWaitView })
  async wait(
    @CurrentPrincipal() p: Principal,
    @AppNameParam() name: string,
    @Query() query: AppWaitQuery,
  ): Promise<AppWaitView> {
    return AppWaitView.from(await this.waits.wait(p, name, query.target, query.timeoutMs));
  }

  @Patch('apps/:app')
  @ContainerChange()
  @Authorize('apps:write')
  @Accepted(AppView, 'Scaling; poll the Location until converged')
  @ApiOperation({ summary: 'Scale the app to a number of replicas' })
  @ApiForbiddenResponse(QUOTA)
  async scale(
    @CurrentPrincipal() p: Principal,
    @AppNameParam() name: string,
    @Body() body: ScaleAppRequest,
  ): Promise<AppView> {
    return AppView.from(await this.apps.scale(p, name, body.replicas));
  }

  @Post('apps/:app/start')
  @ContainerChange()
  @Authorize('apps:write')
  @Accepted(AppView, 'Starting; poll the Location until converged')
  @ApiOperation({ summary: 'Run the current release with the desired replicas' })
  @ApiConflictResponse({ description: 'No release yet (code no_release)' })
  @ApiForbiddenResponse(QUOTA)
  async start(@CurrentPrincipal() p: Principal, @AppNameParam() name: string): Promise<AppView> {
    return AppView.from(await this.apps.start(p, name));
  }

  @Post('apps/:app/stop')
  @ContainerChange()
  @Authorize('apps:write')
  @Accepted(AppView, 'Stopping; poll the Location until converged')
  @ApiOperation({ summary: 'Stop every replica (SIGTERM, then SIGKILL after the grace period)' })
  async stop(@CurrentPrincipal() p: Principal, @AppNameParam() name: string): Promise<AppView> {
    return AppView.from(await this.apps.stop(p, name));
  }

  @Post('apps/:app/restart')
  @ContainerChange()
  @Authorize('apps:write')
  @Accepted(AppView, 'Restarting one replica at a time; poll the Location until converged')
  @ApiOperation({ summary: 'Replace every replica with a fresh container, without downtime' })
  async restart(@CurrentPrincipal() p: Principal, @AppNameParam() name: string): Promise<AppView> {
    return AppView.from(await this.apps.restart(p, name));
  }

  @Delete('apps/:app')
  @Authorize('apps:write')
  @HttpCode(202)
  @ApiOperation({ summary: 'Delete the app: containers, images, sources and releases are removed' })
  async remove(@CurrentPrincipal() p: Principal, @AppNameParam() name: string): Promise<void> {
    await this.apps.delete(p, name);
  }

  @Get('apps/:app/containers')
  @Authorize('apps:read')
  @ApiOperation({ summary: 'The app’s containers: host, state, restarts, exit code, OOM kills, endpoint' })
  @ApiOkResponse({ type: ContainerView, isArray: true })
  async containers(@CurrentPrincipal() p: Principal, @AppNameParam() name: string): Promise<ContainerView[]> {
    return (await this.apps.describe(p, name)).replicas.map(ContainerView.from);
  }

  @Get('apps/:app/env')
  @Authorize('apps:read')
  @ApiOperation({ summary: 'Env var names with masked values' })
  @ApiOkResponse({ type: EnvView })
  async env(@CurrentPrincipal() p: Principal, @AppNameParam() name: string): Promise<EnvView> {
    return { vars: await this.apps.maskedEnv(p, name) };
  }

  @Put('apps/:app/env')
  @ContainerChange()
  @Authorize('apps:write')
  @Accepted(AppView, 'A new release carries the env; poll until converged')
  @ApiOperation({ summary: 'Replace the env vars (encrypted at rest); makes a new release when one exists' })
  async putEnv(
    @CurrentPrincipal() p: Principal,
    @AppNameParam() name: string,
    @Body() body: PutEnvRequest,
  ): Promise<AppView> {
    return AppView.from(await this.apps.putEnv(p, name, body.vars));
  }

  @Patch('apps/:app/env')
  @ContainerChange()
  @Authorize('apps:write')
  @Accepted(AppView, 'A new release carries the env; poll until converged')
  @ApiOperation({
    summary: 'Set some env vars and remove others, keeping the rest; makes a new release when one exists',
  })
  async patchEnv(
    @CurrentPrincipal() p: Principal,
    @Param('app') name: string,
    @Body() body: PatchEnvRequest,
  ): Promise<AppView> {
    return AppView.from(await this.apps.patchEnv(p, name, body.set ?? {}, body.unset ?? []));
  }

  @Get('apps/:app/releases')
  @Authorize('apps:read')
  @ApiOperation({ summary: 'Releases, newest first' })
  @ApiOkResponse({ type: ReleaseView, isArray: true })
  async releases(@CurrentPrincipal() p: Principal, @AppNameParam() name: string): Promise<ReleaseView[]> {
    return ReleaseView.list(await this.apps.releases(p, name));
  }

  @Post('apps/:app/releases/:version/rollback')
  @ContainerChange()
  @Authorize('apps:write')
  @Accepted(AppView, 'A new release restores the old one; poll until converged')
  @ApiOperation({ summary: 'Make a new release from an old one: same image, env, size and replicas' })
  @ApiGoneResponse({
    description:
      "Build retention deleted that release's image (code release_expired); roll back to a kept one",
  })
  async rollback(
    @CurrentPrincipal() p: Principal,
    @AppNameParam() name: string,
    @Param('version', new IntParamPipe({ min: 1 })) version: number,
  ): Promise<AppView> {
    return AppView.from(await this.apps.rollback(p, name, version));
  }

  @Put('apps/:app/load-balancer')
  @ContainerChange()
  @Authorize('apps:write')
  @Accepted(AppView, 'The balancer starts; poll until converged')
  @ApiOperation({ summary: 'Put a load-balancer container in front of the replicas (plans that allow it)' })
  @ApiForbiddenResponse(QUOTA)
  async enableLoadBalancer(
    @CurrentPrincipal() p: Principal,
    @AppNameParam() name: string,
    @Body() body: LoadBalancerRequest,
  ): Promise<AppView> {
    return AppView.from(await this.apps.setLoadBalancer(p, name, body));
  }

  @Delete('apps/:app/load-balancer')
  @ContainerChange()
  @Authorize('apps:write')
  @Accepted(AppView, 'The balancer is removed; poll until converged')
  @ApiOperation({ summary: 'Remove the load balancer' })
  async removeLoadBalancer(@CurrentPrincipal() p: Principal, @AppNameParam() name: string): Promise<AppView> {
    return AppView.from(await this.apps.setLoadBalancer(p, name, null));
  }

  @Put('apps/:app/health-check')
  @Authorize('apps:write')
  @Accepted(AppView, 'A new release carries the check; poll until converged')
  @ApiOperation({
    summary:
      'Set the HTTP health check: new replicas must pass it before old ones stop, failing releases are rolled back',
  })
  async putHealthCheck(
    @CurrentPrincipal() p: Principal,
    @AppNameParam() name: string,
    @Body() body: HealthCheckRequest,
  ): Promise<AppView> {
    return AppView.from(await this.apps.setHealthCheck(p, name, { ...body }));
  }

  @Delete('apps/:app/health-check')
  @Authorize('apps:write')
  @Accepted(AppView, 'A new release without the check; poll until converged')
  @ApiOperation({ summary: 'Remove the health check: a replica is ready once its port accepts connections' })
  async removeHealthCheck(@CurrentPrincipal() p: Principal, @AppNameParam() name: string): Promise<AppView> {
    return AppView.from(await this.apps.setHealthCheck(p, name, null));
  }

  @Put('apps/:app/sleep')
  @ContainerChange()
  @Authorize('apps:write')
  @Accepted(AppView, 'The app sleeps once idle that long')
  @ApiOperation({
    summary:
      'Scale to zero: the app sleeps after this many seconds without a request and wakes on the next one (plans that allow it)',
  })
  @ApiForbiddenResponse(QUOTA)
  async putSleep(
    @CurrentPrincipal() p: Principal,
    @AppNameParam() name: string,
    @Body() body: SleepRequest,
  ): Promise<AppView> {
    return AppView.from(await this.apps.setSleep(p, name, body.afterIdleSeconds));
  }

  @Delete('apps/:app/sleep')
  @ContainerChange()
  @Authorize('apps:write')
  @Accepted(AppView, 'The app never sleeps; a sleeping app wakes now')
  @ApiOperation({ summary: 'Keep the app awake: it no longer sleeps when idle' })
  async removeSleep(@CurrentPrincipal() p: Principal, @AppNameParam() name: string): Promise<AppView> {
    return AppView.from(await this.apps.setSleep(p, name, null));
  }

  @Get('tenant/quota')
  @Authorize('apps:read')
  @ApiOperation({ summary: "The plan's limits and the tenant's current use" })
  @ApiOkResponse({ type: QuotaView })
  async quota(@CurrentPrincipal() p: Principal): Promise<QuotaView> {
    return this.apps.quota(p);
  }
}
