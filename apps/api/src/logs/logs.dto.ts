import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import {
  type LogPage,
  type LogSession,
  type AppLogEntryWithoutSeq,
  cursorOf,
  MAX_LOG_LINES,
  MAX_PAGE_BYTES,
  type LogFilter,
} from '../../../../libs/logs/index.js';

const STREAMS = ['stdout', 'stderr', 'router'] as const;

/** `a,b` or `?x=a&x=b` → ['a', 'b']. */
const toList = ({ value }: { value: unknown }): string[] =>
  (Array.isArray(value) ? value : [value])
    .flatMap((item) => String(item).split(','))
    .map((item) => item.trim())
    .filter((item) => item.length > 0);

export class AppLogsQuery {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: MAX_LOG_LINES,
    example: 100,
    description: 'The last N lines of the merged, filtered log. Without since, after and tail, tail is 100.',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_LOG_LINES)
  tail?: number;

  @ApiPropertyOptional({
    example: '2026-11-23T14:00:00Z',
    description: 'Lines at or after this instant (RFC 3339, up to nanoseconds)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  since?: string;

  @ApiPropertyOptional({
    example: '2026-11-23T15:00:00Z',
    description: 'Lines at or before this instant (RFC 3339, up to nanoseconds)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  until?: string;

  @ApiPropertyOptional({
    description: 'Lines after this cursor (a line’s `cursor`, or `nextCursor`)',
    example: 'WzEsIjIwMjYtMTEtMjNUMTQ6MDA6MDAuMTIzNDU2Nzg5WiIsIjNmYy4uLiIsMCxudWxsXQ',
  })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  after?: string;

  @ApiPropertyOptional({
    type: String,
    description: 'Only these replicas: ids, comma-separated or repeated',
    example: '3fa85f64-5717-4562-b3fc-2c963f66afa6',
  })
  @IsOptional()
  @Transform(toList)
  @ArrayMaxSize(50)
  @IsUUID('all', { each: true, message: 'replica must be replica ids (UUIDs)' })
  replica?: string[];

  @ApiPropertyOptional({
    enum: STREAMS,
    description:
      "Only these streams, comma-separated: the app's stdout and stderr, and router (the edge router's access line of each request)",
    example: 'stderr',
  })
  @IsOptional()
  @Transform(toList)
  @IsIn(STREAMS, { each: true, message: 'stream must be stdout, stderr or router' })
  stream?: (typeof STREAMS)[number][];

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_LOG_LINES,
    example: 1000,
    description: 'JSON only, without tail: lines per page (default 1000); read on with after=nextCursor',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_LOG_LINES)
  limit?: number;

  filter(): LogFilter {
    return {
      ...(this.tail !== undefined ? { tail: this.tail } : {}),
      ...(this.since !== undefined ? { since: this.since } : {}),
      ...(this.until !== undefined ? { until: this.until } : {}),
      ...(this.after !== undefined ? { after: this.after } : {}),
      ...(this.replica?.length ? { replicas: this.replica } : {}),
      ...(this.stream?.length ? { streams: this.stream } : {}),
    };
  }
}

export class LogLineView {
  @ApiProperty({
    example: '2026-11-23T14:00:00.123456789Z',
    description: 'As the engine stamped it (UTC, ns)',
  })
  timestamp: string;
  @ApiProperty({
    example: '3f2b9a1c-…',
    description: 'Replica id; `router-<host id>` for the router lines of the edge router on that host',
  })
  replica: string;
  @ApiProperty({ example: '9f3c…' }) containerId: string;
  @ApiProperty({ enum: ['stdout', 'stderr', 'system', 'router'], example: 'stdout' }) stream: string;
  @ApiProperty({ example: 'GET / 200 3ms' }) text: string;
  @ApiProperty({ description: 'Resume after this line: ?after= (REST) or ?cursor= (WebSocket)' })
  cursor: string;

  static from(entry: AppLogEntryWithoutSeq): LogLineView {
    return {
      timestamp: entry.timestamp,
      replica: entry.replica,
      containerId: entry.containerId,
      stream: entry.stream,
      text: entry.text,
      cursor: cursorOf(entry),
    };
  }

  static async *stream(entries: AsyncIterable<AppLogEntryWithoutSeq>): AsyncGenerator<LogLineView> {
    for await (const entry of entries) yield LogLineView.from(entry);
  }
}

export class LogsView {
  @ApiProperty({ type: LogLineView, isArray: true, description: 'Oldest first, merged across replicas' })
  lines: LogLineView[];
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as ?after= to read newer lines (null when nothing was read)',
  })
  nextCursor: string | null;
  @ApiProperty({
    example: false,
    description: `More lines matched than this page holds: its line limit, or ${MAX_PAGE_BYTES} bytes of lines (even for tail); read on with after=nextCursor`,
  })
  hasMore: boolean;
  @ApiProperty({
    type: String,
    isArray: true,
    example: [],
    description: 'Replicas whose host could not be read: their lines are missing',
  })
  unavailableReplicas: string[];

  static from(page: LogPage): LogsView {
    return {
      lines: page.lines.map(LogLineView.from),
      nextCursor: page.nextCursor,
      hasMore: page.hasMore,
      unavailableReplicas: page.unavailableReplicas,
    };
  }
}

export class LogSessionView {
  @ApiProperty({ description: 'Short-lived token that opens this app’s log stream only; keep it secret' })
  token: string;
  @ApiProperty({
    example: 'ws://127.0.0.1:3000/v1/apps/billing-api/log-stream?token=eyJ…',
    description: 'Open with a WebSocket client; add &cursor= to resume or &tail= for history first',
  })
  url: string;
  @ApiProperty({ example: '2026-11-23T14:05:00.000Z' }) expiresAt: string;

  static from(session: LogSession, websocketBase: string, appName: string): LogSessionView {
    return {
      token: session.token,
      url: `${websocketBase}/v1/apps/${encodeURIComponent(appName)}/log-stream?token=${session.token}`,
      expiresAt: session.expiresAt.toISOString(),
    };
  }
}
