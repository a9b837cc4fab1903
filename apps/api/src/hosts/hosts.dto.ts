import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIP,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateNested,
  ValidatorConstraint,
  Validate,
  type ValidatorConstraintInterface,
} from 'class-validator';
import type { Host, HostStatus, NetworkPolicyState } from '../../../../libs/hosts/index.js';

const HOST_STATUSES: HostStatus[] = ['ready', 'cordoned', 'draining', 'down'];
const PEM = /^-----BEGIN [A-Z0-9 ]+-----[\s\S]+-----END [A-Z0-9 ]+-----\s*$/;
const LABEL_KEY = /^[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?$/;
const MAX_LABELS = 32;

/** Operator labels: at most 32, keys like `zone` or `berth.dev/disk`, string values up to 200 characters. */
@ValidatorConstraint({ name: 'hostLabels' })
class HostLabelsConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    const entries = Object.entries(value);
    return (
      entries.length <= MAX_LABELS &&
      entries.every(([key, v]) => LABEL_KEY.test(key) && typeof v === 'string' && v.length <= 200)
    );
  }

  defaultMessage(): string {
    return `labels must be an object of at most ${MAX_LABELS} string values (up to 200 characters) with keys of lower-case letters, digits, '.', '/', '_' or '-'`;
  }
}

export class HostTlsRequest {
  @ApiProperty({
    example: '-----BEGIN CERTIFICATE-----\nMIIB…\n-----END CERTIFICATE-----\n',
    description: 'PEM of the CA that signed the engine’s server certificate',
  })
  @IsString()
  @MaxLength(20_000)
  @Matches(PEM, { message: 'tls.ca must be PEM text' })
  ca: string;

  @ApiProperty({
    example: '-----BEGIN CERTIFICATE-----\nMIIB…\n-----END CERTIFICATE-----\n',
    description: 'PEM client certificate Berth presents to the engine',
  })
  @IsString()
  @MaxLength(20_000)
  @Matches(PEM, { message: 'tls.cert must be PEM text' })
  cert: string;

  @ApiProperty({
    example: '-----BEGIN PRIVATE KEY-----\nMIGH…\n-----END PRIVATE KEY-----\n',
    description: 'PEM private key of the client certificate',
  })
  @IsString()
  @MaxLength(20_000)
  @Matches(PEM, { message: 'tls.key must be PEM text' })
  key: string;
}

export class RegisterHostRequest {
  @ApiProperty({
    example: 'docker-2',
    maxLength: 80,
    description: 'Unique name: lower-case letters, digits, dots and dashes',
  })
  @IsString()
  @Matches(/^[a-z0-9]([a-z0-9.-]{0,78}[a-z0-9])?$/, {
    message:
      'name must be 1-80 lower-case letters, digits, dots or dashes, starting and ending with a letter or digit',
  })
  name: string;

  @ApiProperty({
    example: 'tcp://10.0.0.5:2376',
    maxLength: 300,
    description:
      'Docker Engine API address: unix:///path/to/docker.sock, or tcp://host:port (tls required unless the host is a loopback address)',
  })
  @IsString()
  @MaxLength(300)
  @Matches(/^(unix|tcp):\/\//, { message: 'endpoint must start with unix:// or tcp://' })
  endpoint: string;

  @ApiPropertyOptional({
    type: HostTlsRequest,
    description: 'Client TLS material for a tcp endpoint. Stored encrypted; never returned',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => HostTlsRequest)
  tls?: HostTlsRequest;

  @ApiPropertyOptional({
    example: '10.0.0.5',
    description:
      "IP address replicas' published ports are reached at. Default 127.0.0.1 for unix endpoints; required for tcp",
  })
  @IsOptional()
  @IsIP()
  publicAddress?: string;

  @ApiPropertyOptional({
    example: { zone: 'eu-west-1a', disk: 'ssd' },
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'Operator labels (at most 32)',
  })
  @IsOptional()
  @IsObject()
  @Validate(HostLabelsConstraint)
  labels?: Record<string, string>;
}

export class HostView {
  @ApiProperty({ example: '3f0c9a52-5b1e-4c1a-9d7e-2f4b6a8c0d1e' }) id: string;
  @ApiProperty({ example: 'docker-2' }) name: string;
  @ApiProperty({ example: 'tcp://10.0.0.5:2376' }) endpoint: string;
  @ApiProperty({ example: true, description: 'Whether Berth reaches the engine with TLS client material' })
  tls: boolean;
  @ApiProperty({
    enum: HOST_STATUSES,
    example: 'ready',
    description: 'What the scheduler reads: adminStatus, unless the monitor found the host down',
  })
  status: HostStatus;
  @ApiProperty({
    enum: ['ready', 'cordoned', 'draining'],
    example: 'ready',
    description: "The operator's choice",
  })
  adminStatus: HostStatus;
  @ApiProperty({ example: '10.0.0.5' }) publicAddress: string;
  @ApiProperty({ example: '20.10.24', nullable: true, type: String }) engineVersion: string | null;
  @ApiProperty({ example: 8 }) cpus: number;
  @ApiProperty({ example: 15_872, description: 'Memory of the host, MB, as the engine reports it' })
  memoryMb: number;
  @ApiProperty({ example: { zone: 'eu-west-1a' }, type: 'object', additionalProperties: { type: 'string' } })
  labels: Record<string, string>;
  @ApiProperty({ example: 0, description: 'Probes failed in a row' }) consecutiveFailures: number;
  @ApiProperty({ example: '2026-11-23T14:00:05.000Z', nullable: true, type: String })
  lastHeartbeatAt: string | null;
  @ApiProperty({ example: null, nullable: true, type: String, description: 'Why the last probe failed' })
  lastError: string | null;
  @ApiProperty({
    enum: ['applied', 'pending', 'failed', 'unsupported', 'off'],
    example: 'applied',
    nullable: true,
    type: String,
    description:
      "Berth's network policy on the host (its host guard), as the monitor last read it: tenant networks and " +
      "builds cannot reach the host's own addresses, 169.254.0.0/16, other tenants' networks or BERTH_EGRESS_DENY. " +
      'null until the monitor has read it',
  })
  networkPolicy: NetworkPolicyState | null;
  @ApiProperty({ example: null, nullable: true, type: String, description: 'Why the policy is not applied' })
  networkPolicyReason: string | null;
  @ApiProperty({ example: '2026-11-23T14:00:00.000Z' }) createdAt: string;

  /** Never the TLS material: only whether there is some. */
  static from(host: Host): HostView {
    return Object.assign(new HostView(), {
      id: host.id,
      name: host.name,
      endpoint: host.endpoint,
      tls: host.tlsSealed !== null,
      status: host.status,
      adminStatus: host.adminStatus,
      publicAddress: host.publicAddress,
      engineVersion: host.engineVersion,
      cpus: host.cpus,
      memoryMb: host.memoryMb,
      labels: host.labels,
      consecutiveFailures: host.consecutiveFailures,
      lastHeartbeatAt: host.lastHeartbeatAt?.toISOString() ?? null,
      lastError: host.lastError,
      networkPolicy: host.networkPolicy,
      networkPolicyReason: host.networkPolicyReason,
      createdAt: host.createdAt.toISOString(),
    });
  }
}
