import {
  Controller,
  Get,
  Headers,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiGoneResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiTooManyRequestsResponse,
  ApiProduces,
  ApiQuery,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { BuildsService } from '../../../../libs/builds/index.js';
import { LogStreamsService } from '../../../../libs/logs/index.js';
import type { Principal } from '../../../../libs/identity/index.js';
import { AppNameParam } from '../apps/app-name.param.js';
import { Authorize, CurrentPrincipal } from '../auth/authorization.js';
import { Accepted, IdempotencyKeyHeader, markReplayed } from '../http/accepted.js';
import { ContainerChange } from '../http/container-change.guard.js';
import { HeavyRead } from '../http/heavy-read.guard.js';
import { IntParamPipe } from '../http/int-param.pipe.js';
import { streamNdjson, wantsNdjson } from '../http/ndjson.js';
import { BuildLogView, BuildView } from './builds.dto.js';
import { uploadStream } from './upload-body.js';

@ApiTags('builds')
@Controller('v1/apps/:app/builds')
export class BuildsController {
  constructor(
    private readonly builds: BuildsService,
    private readonly streams: LogStreamsService,
  ) {}

  @Post()
  @ContainerChange()
  @Authorize('apps:write')
  @IdempotencyKeyHeader()
  @Accepted(BuildView, 'Upload accepted and build queued; poll the Location or follow the log')
  @ApiOperation({
    summary: 'Upload a Node.js project (tar.gz or zip; raw body or multipart field "source") and build it',
  })
  @ApiConsumes('application/gzip', 'application/zip', 'application/octet-stream', 'multipart/form-data')
  @ApiBody({
    schema: { type: 'string', format: 'binary' },
    description: 'The archive; needs package.json with scripts.start or main',
  })
  @ApiPayloadTooLargeResponse({
    description:
      'Over the plan upload size or expands too much (codes upload_too_large, archive_too_large_expanded)',
  })
  @ApiTooManyRequestsResponse({
    description:
      'Every build slot of the plan is taken by uploads, queued and running builds (code quota_exceeded, quota concurrentBuilds); nothing of the body is read or kept',
  })
  @ApiUnprocessableEntityResponse({
    description:
      'Unsafe or invalid archive (codes unsafe_path, unsafe_link, unsupported_entry, too_many_entries, corrupt_archive, no_package_json, invalid_package_json, no_start_command)',
  })
  async upload(
    @CurrentPrincipal() p: Principal,
    @AppNameParam() app: string,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<BuildView> {
    return BuildView.in(app)(
      markReplayed(
        response,
        await this.builds.upload(p, app, { body: await uploadStream(request), idempotencyKey }),
      ).build,
    );
  }

  @Get()
  @Authorize('apps:read')
  @ApiOperation({ summary: 'Builds of the app, newest first' })
  @ApiOkResponse({ type: BuildView, isArray: true })
  async list(@CurrentPrincipal() p: Principal, @AppNameParam() app: string): Promise<BuildView[]> {
    return (await this.builds.list(p, app)).map(BuildView.in(app));
  }

  @Get(':id')
  @Authorize('apps:read')
  @ApiOperation({ summary: 'One build' })
  @ApiOkResponse({ type: BuildView })
  async get(
    @CurrentPrincipal() p: Principal,
    @AppNameParam() app: string,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<BuildView> {
    return BuildView.in(app)(await this.builds.get(p, app, id));
  }

  @Post(':id/cancel')
  @Authorize('apps:write')
  @HttpCode(202)
  @ApiOperation({ summary: 'Cancel a queued or running build' })
  @ApiOkResponse({ type: BuildView })
  async cancel(
    @CurrentPrincipal() p: Principal,
    @AppNameParam() app: string,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<BuildView> {
    return BuildView.in(app)(await this.builds.cancel(p, app, id));
  }

  @Get(':id/log')
  @HeavyRead()
  @Authorize('logs:read')
  @ApiOperation({
    summary:
      'The build log, readable while the build runs; with Accept: application/x-ndjson it streams until the build ends',
  })
  @ApiQuery({ name: 'after', required: false, example: 0, description: 'Return lines after this seq' })
  @ApiHeader({ name: 'Accept', required: false, description: 'application/x-ndjson to follow live' })
  @ApiProduces('application/json', 'application/x-ndjson')
  @ApiOkResponse({ type: BuildLogView })
  @ApiGoneResponse({
    description:
      "The build expired under the plan's build retention (code build_expired): its log was deleted",
  })
  async log(
    @CurrentPrincipal() p: Principal,
    @AppNameParam() app: string,
    @Param('id', ParseUUIDPipe) id: string,
    @Query('after', new IntParamPipe({ default: 0 })) after: number,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<BuildLogView | void> {
    const result = await this.builds.log(p, app, id, after);
    if (!wantsNdjson(request)) return BuildLogView.from(result, after);
    await streamNdjson(request, response, (signal) => this.builds.follow(result.build, after, signal), {
      hold: () => this.streams.acquireSlot(result.build.tenantId),
    });
  }
}
