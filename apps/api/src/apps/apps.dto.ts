import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  Validate,
  ValidateBy,
  type ValidationOptions,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
} from 'class-validator';
import type { AppSummary, ReplicaOverview } from '../../../../libs/runtime/index.js';
import { HealthCheckView, RolloutView } from './health-check.dto.js';
import { SleepView } from './sleep.dto.js';
import {
  ENV_LIMITS,
  envVarFaults,
  type HealthCheckSettings,
  type LoadBalancerSettings,
  type Release,
} from '../../../../libs/apps/index.js';

export const APP_NAME_PATTERN = /^[a-z](?:[a-z0-9-]{0,38}[a-z0-9])?$/;

export class CreateAppRequest {
  @ApiProperty({
    example: 'billing-api',
    description: 'DNS-safe: lower-case letters, digits, dashes; 1-40 chars',
  })
  @IsString()
  @Matches(APP_NAME_PATTERN, {
    message: 'name must be 1-40 lower-case letters, digits or dashes, starting with a letter',
  })
  name: string;

  @ApiPropertyOptional({ example: 1, minimum: 0, maximum: 1000 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1000)
  replicas?: number;
}

export class ScaleAppRequest {
  @ApiProperty({ example: 3, minimum: 0, maximum: 1000 })
  @IsInt()
  @Min(0)
  @Max(1000)
  replicas: number;
}

/** Env var names (POSIX, not reserved), string values without NUL, count and size caps: libs/apps envVarFaults. */
function IsEnvVars(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isEnvVars',
      validator: {
        validate: (value: unknown) => envVarFaults(value).length === 0,
        defaultMessage: (args) =>
          envVarFaults(args?.value)
            .slice(0, 10)
            .map((fault) => `${fault.field}: ${fault.message}`)
            .join('; '),
      },
    },
    options,
  );
}

export class PutEnvRequest {
  @ApiProperty({
    example: { DATABASE_URL: 'postgres://…', FEATURE_X: 'on' },
    description:
      `The complete set of env vars (replaces the previous set). Names: [A-Za-z_][A-Za-z0-9_]*, not PORT, HOME, NODE_ENV, NODE_EXTRA_CA_CERTS or BERTH_*; ` +
      `values: strings without NUL, at most ${ENV_LIMITS.maxValueBytes} bytes each; at most ${ENV_LIMITS.maxVars} vars and ${ENV_LIMITS.maxTotalBytes} bytes in all`,
    type: 'object',
    additionalProperties: { type: 'string' },
  })
  @IsEnvVars()
  vars: Record<string, string>;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

@ValidatorConstraint({ name: 'envVars' })
class EnvVarsShape implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return (
      typeof value === 'object' &&
      value !== null &&
      Object.entries(value).every(([key, v]) => ENV_NAME.test(key) && typeof v === 'string')
    );
  }

  defaultMessage(): string {
    return 'set: names match [A-Za-z_][A-Za-z0-9_]* and values are strings';
  }
}

export class PatchEnvRequest {
  @ApiPropertyOptional({
    example: { FEATURE_X: 'on' },
    description: 'Vars to set (added or replaced); the others are kept. Names: [A-Za-z_][A-Za-z0-9_]*',
    type: 'object',
    additionalProperties: { type: 'string' },
  })
  @IsOptional()
  @IsObject()
  @Validate(EnvVarsShape)
  set?: Record<string, string>;

  @ApiPropertyOptional({ example: ['OLD_FLAG'], description: 'Names of vars to remove', type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @Matches(ENV_NAME, { each: true, message: 'unset: names match [A-Za-z_][A-Za-z0-9_]*' })
  unset?: string[];
}

export class LoadBalancerRequest {
  @ApiPropertyOptional({ enum: ['roundrobin', 'leastconn'], example: 'roundrobin' })
  @IsOptional()
  @IsIn(['roundrobin', 'leastconn'])
  algorithm?: 'roundrobin' | 'leastconn';

  @ApiPropertyOptional({ example: '/healthz', description: 'HTTP path checked on every replica' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @Matches(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/, { message: 'healthCheckPath must be an absolute URL path' })
  healthCheckPath?: string;

  @ApiPropertyOptional({ example: 2000, minimum: 500, maximum: 60000 })
  @IsOptional()
  @IsInt()
  @Min(500)
  @Max(60000)
  healthCheckIntervalMs?: number;
}

export class ReleaseSummaryView {
  @ApiProperty({ example: 3 }) version: number;
  @ApiProperty({ example: 'build 1f2e3d4c' }) description: string;
  @ApiProperty({ example: '2026-11-23T14:00:00.000Z' }) createdAt: string;
}

export class AppView {
  @ApiProperty({ example: '0b1c…' }) id: string;
  @ApiProperty({ example: 'billing-api' }) name: string;
  @ApiProperty({ enum: ['running', 'stopped'], example: 'running' }) desiredState: string;
  @ApiProperty({ example: 2 }) replicas: number;
  @ApiProperty({
    enum: ['converging', 'running', 'sleeping', 'stopped', 'crashloop', 'failed'],
    example: 'running',
  })
  phase: string;
  @ApiProperty({ nullable: true, type: String, example: null }) statusReason: string | null;
  @ApiProperty({ example: 7, description: 'Bumped by every change of what should run' }) generation: number;
  @ApiProperty({ example: 7, description: 'The generation the platform has converged to' })
  observedGeneration: number;
  @ApiProperty({ example: true }) converged: boolean;
  @ApiProperty({ type: ReleaseSummaryView, nullable: true }) release: ReleaseSummaryView | null;
  @ApiProperty({ example: ['http://127.0.0.1:49153'], isArray: true, type: String }) endpoints: string[];
  @ApiProperty({ nullable: true, type: Object, example: null }) loadBalancer: LoadBalancerSettings | null;
  @ApiProperty({
    type: HealthCheckView,
    nullable: true,
    description:
      "The check the app's next release gets (null: a replica is ready once its port accepts connections)",
  })
  healthCheck: HealthCheckSettings | null;
  @ApiProperty({
    type: SleepView,
    nullable: true,
    description: 'Scale to zero: when the app sleeps and whether it does (null: it never sleeps)',
  })
  sleep: SleepView | null;
  @ApiProperty({ type: RolloutView, nullable: true, description: 'The current release’s rollout' })
  rollout: RolloutView | null;
  @ApiProperty({
    example: ['http://billing-api-acme-9f8e2a.localhost/'],
    isArray: true,
    type: String,
    description: 'Public URLs through the edge router: the default hostname, then verified custom domains',
  })
  urls: string[];
  @ApiProperty({ nullable: true, type: String, example: 'http://127.0.0.1:49160' }) loadBalancerEndpoint:
    string | null;
  @ApiProperty({ example: '/v1/apps/billing-api/status', description: 'Poll until converged' })
  statusUrl: string;
  @ApiProperty({ example: '2026-11-23T14:00:00.000Z' }) createdAt: string;

  static from(o: AppSummary): AppView {
    const { app } = o;
    return Object.assign(new AppView(), {
      id: app.id,
      name: app.name,
      desiredState: app.desiredState,
      replicas: app.replicas,
      phase: app.phase,
      statusReason: app.statusReason,
      generation: app.generation,
      observedGeneration: app.observedGeneration,
      converged: app.observedGeneration >= app.generation && app.phase !== 'converging',
      release: o.release
        ? {
            version: o.release.version,
            description: o.release.description,
            createdAt: o.release.createdAt.toISOString(),
          }
        : null,
      endpoints: o.endpoints,
      loadBalancer: app.loadBalancer,
      healthCheck: app.healthCheck,
      sleep: SleepView.from(app),
      rollout: RolloutView.from(o),
      loadBalancerEndpoint: o.loadBalancerEndpoint,
      urls: o.urls,
      statusUrl: `/v1/apps/${app.name}/status`,
      createdAt: app.createdAt.toISOString(),
    });
  }
}

export class ContainerView {
  @ApiProperty({ example: '5d6e…' }) id: string;
  @ApiProperty({ enum: ['web', 'lb'], example: 'web' }) role: string;
  @ApiProperty({
    enum: ['pending', 'starting', 'running', 'crashed', 'stopping', 'gone'],
    example: 'running',
  })
  state: string;
  @ApiProperty({ example: { id: '9f8e…', name: 'local' } }) host: { id: string; name: string } | null;
  @ApiProperty({ nullable: true, type: Number, example: 3 }) releaseVersion: number | null;
  @ApiProperty({ nullable: true, type: String, example: '3f4a5b6c7d8e' }) containerId: string | null;
  @ApiProperty({ example: 0 }) restarts: number;
  @ApiProperty({ nullable: true, type: Number, example: null }) exitCode: number | null;
  @ApiProperty({ example: false }) oomKilled: boolean;
  @ApiProperty({ nullable: true, type: String, example: null }) lastError: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'http://127.0.0.1:49153' }) endpoint: string | null;
  @ApiProperty({ nullable: true, type: String, example: '2026-11-23T14:00:00.000Z' }) startedAt:
    string | null;

  static from(o: ReplicaOverview): ContainerView {
    const r = o.replica;
    return Object.assign(new ContainerView(), {
      id: r.id,
      role: r.role,
      state: r.state,
      host: o.host ? { id: o.host.id, name: o.host.name } : null,
      releaseVersion: o.releaseVersion,
      containerId: r.containerId?.slice(0, 12) ?? null,
      restarts: r.restarts,
      exitCode: r.exitCode,
      oomKilled: r.oomKilled,
      lastError: r.lastError,
      endpoint: o.endpoint,
      startedAt: r.startedAt?.toISOString() ?? null,
    });
  }
}

export class ReleaseView {
  @ApiProperty({ example: 3 }) version: number;
  @ApiProperty({ example: 'build 1f2e3d4c' }) description: string;
  @ApiProperty({ nullable: true, type: String, example: '1f2e…' }) buildId: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'berth-app-0b1c…:b-1f2e3d4c' }) image: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description:
      'Manifest digest the image was pushed to the registry with; hosts pull and run exactly this. Null without a registry.',
    example: 'sha256:b184e2aa81f79230300489f97da549f111c8462211ed6a0fb7c04b84854d25bd',
  })
  imageDigest: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: null,
    description:
      'When build retention deleted the image (the release was neither current nor among the newest kept): rollback to it answers 410 release_expired',
  })
  imageRemovedAt: string | null;
  @ApiProperty({ example: 256 }) memoryMb: number;
  @ApiProperty({ example: 500 }) cpuMillis: number;
  @ApiProperty({ example: 2 }) replicas: number;
  @ApiProperty({ example: true }) current: boolean;
  @ApiProperty({ type: HealthCheckView, nullable: true, description: 'The check it was rolled out with' })
  healthCheck: HealthCheckSettings | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: null,
    description: 'Why it was rolled back automatically',
  })
  failureReason: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    isArray: true,
    example: ['npm', 'run', '--silent', 'berth:release'],
    description: 'The command run once before its replicas start (docs/runs.md); null: none',
  })
  releaseCommand: string[] | null;
  @ApiProperty({
    nullable: true,
    enum: ['pending', 'running', 'succeeded', 'failed'],
    example: 'succeeded',
    description: 'Its release phase; a failed one never rolls out (the previous release keeps serving)',
  })
  releasePhase: string | null;
  @ApiProperty({ nullable: true, type: String, example: null }) releasePhaseReason: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: '6b0e…',
    description: 'The run of the command: its output at /v1/apps/{app}/runs/{id}/output',
  })
  releaseRunId: string | null;
  @ApiProperty({ example: 'user:6f1c…' }) createdBy: string;
  @ApiProperty({ example: '2026-11-23T14:00:00.000Z' }) createdAt: string;

  static list(result: { releases: Release[]; currentReleaseId: string | null }): ReleaseView[] {
    return result.releases.map((release) => ReleaseView.from(release, result.currentReleaseId));
  }

  static from(release: Release, currentId: string | null): ReleaseView {
    return Object.assign(new ReleaseView(), {
      version: release.version,
      description: release.description,
      buildId: release.buildId,
      image: release.image,
      imageDigest: release.imageDigest,
      imageRemovedAt: release.imageRemovedAt?.toISOString() ?? null,
      releaseCommand: release.releaseCommand,
      releasePhase: release.releasePhase,
      releasePhaseReason: release.releasePhaseReason,
      releaseRunId: release.releaseRunId,
      memoryMb: release.memoryMb,
      cpuMillis: release.cpuMillis,
      replicas: release.replicas,
      current: release.id === currentId,
      healthCheck: release.healthCheck,
      failureReason: release.failureReason,
      createdBy: release.createdBy,
      createdAt: release.createdAt.toISOString(),
    });
  }
}

export class EnvView {
  @ApiProperty({
    example: { DATABASE_URL: '********b/db', FEATURE_X: '********' },
    description: 'Values masked: never echoed in full',
  })
  vars: Record<string, string>;
}

export class QuotaView {
  @ApiProperty({ example: 'hobby' }) planId: string;
  @ApiProperty({
    example: {
      maxApps: 5,
      maxReplicasPerApp: 5,
      maxTotalMemoryMb: 2048,
      loadBalancerAllowed: true,
      maxUploadMb: 25,
      buildTimeoutSeconds: 600,
      concurrentBuilds: 2,
      memoryMb: 256,
      cpuMillis: 500,
    },
  })
  limits: Record<string, number | boolean>;
  @ApiProperty({
    description:
      'containers and totalMemoryMb: what running apps want (replicas and balancers, started yet or not), each at its release size (the plan size before a first release); runningBuilds: uploads being received, queued and running builds',
    example: {
      apps: 2,
      maxReplicasOfAnyApp: 3,
      containers: 4,
      totalMemoryMb: 1024,
      loadBalancers: 1,
      runningBuilds: 0,
    },
  })
  usage: Record<string, number>;
}
