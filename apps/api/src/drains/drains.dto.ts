import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { DRAIN_URL_MAX_LENGTH, type LogDrain } from '../../../../libs/drains/index.js';

export class AddDrainRequest {
  @ApiProperty({
    example: 'syslog+tls://logs.example.com:6514',
    maxLength: DRAIN_URL_MAX_LENGTH,
    description:
      '`https://…` (batches of lines POSTed as NDJSON) or `syslog+tls://host:port` (RFC 5424 over TLS, ' +
      'octet-counted); no user:password; its addresses must be public (checked at every connection)',
  })
  @IsString()
  @MaxLength(DRAIN_URL_MAX_LENGTH)
  url: string;
}

export class DrainView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'syslog+tls://logs.example.com:6514' }) url: string;
  @ApiProperty({ description: 'Lines the endpoint took (flushed from the forwarding process every second)' })
  linesSent: number;
  @ApiProperty({ description: 'Lines lost: queue full (10,000 waiting) or a batch that failed every retry' })
  linesDropped: number;
  @ApiProperty({ nullable: true, type: String, example: 'connect ECONNREFUSED 203.0.113.7:6514' })
  lastError: string | null;
  @ApiProperty({ nullable: true, type: String, example: '2026-12-06T12:00:00.000Z' })
  lastSentAt: string | null;
  @ApiProperty({ example: '2026-12-06T12:00:00.000Z' }) createdAt: string;

  static from(drain: LogDrain): DrainView {
    return Object.assign(new DrainView(), {
      id: drain.id,
      url: drain.url,
      linesSent: Number(drain.linesSent),
      linesDropped: Number(drain.linesDropped),
      lastError: drain.lastError,
      lastSentAt: drain.lastSentAt?.toISOString() ?? null,
      createdAt: drain.createdAt.toISOString(),
    });
  }
}
