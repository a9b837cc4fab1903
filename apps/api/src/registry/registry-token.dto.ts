import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsOptional, IsString, MaxLength } from 'class-validator';
import type { RegistryTokenGrant } from '../../../../libs/hosts/index.js';

/** Docker's token request (https://distribution.github.io/distribution/spec/auth/token/). */
export class RegistryTokenQuery {
  @ApiProperty({ example: 'berth-registry', description: "The registry's `service` name" })
  @IsString()
  @MaxLength(100)
  service: string;

  @ApiPropertyOptional({
    type: [String],
    example: ['repository:berth-app-0b1c…:pull'],
    description:
      'repository:<name>:<actions>, repeatable; actions the account may not have are left out of the token',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (Array.isArray(value) ? value : [value]))
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(300, { each: true })
  scope?: string[];

  @ApiPropertyOptional({ description: 'Sent by docker clients; not used' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  account?: string;

  @ApiPropertyOptional({ description: 'Sent by docker clients; not used' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  client_id?: string;

  @ApiPropertyOptional({ description: 'Sent by docker clients; not used (no refresh tokens)' })
  @IsOptional()
  @IsString()
  @MaxLength(10)
  offline_token?: string;
}

export class RegistryTokenView implements RegistryTokenGrant {
  @ApiProperty({ description: 'JWT the registry accepts as a bearer token' }) token: string;
  @ApiProperty({ description: 'The same token, under its OAuth2 name' }) access_token: string;
  @ApiProperty({ example: 300 }) expires_in: number;
  @ApiProperty({ example: '2026-12-05T11:00:00.000Z' }) issued_at: string;
}
