import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import type { DomainState } from '../../../../libs/ingress/index.js';

export class RequestCertificateRequest {
  @ApiProperty({
    example: 'acme',
    enum: ['acme'],
    description: "acme: issued (and renewed) by the platform's ACME CA over HTTP-01 through the router",
  })
  @IsIn(['acme'])
  type: 'acme';
}

export class AddDomainRequest {
  @ApiProperty({
    example: 'www.example.com',
    description: 'Lower-case DNS name of at least two labels; no wildcard, nothing under the apps domain',
  })
  @IsString()
  @MaxLength(253)
  hostname: string;

  @ApiPropertyOptional({
    type: RequestCertificateRequest,
    description: 'Ask for an ACME certificate at once: issued in the background once the domain is verified',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => RequestCertificateRequest)
  certificate?: RequestCertificateRequest;
}

export class PutCertificateRequest {
  @ApiProperty({ description: 'PEM chain, leaf first (at most 8 certificates, 64 KiB)' })
  @IsString()
  @MaxLength(65536)
  certificate: string;

  @ApiProperty({ description: 'PEM private key of the leaf, unencrypted; sealed at rest, never returned' })
  @IsString()
  @MaxLength(65536)
  privateKey: string;
}

export class DomainCertificateView {
  @ApiProperty({ example: 'acme', enum: ['uploaded', 'acme'] }) source: 'uploaded' | 'acme';
  @ApiProperty({
    example: 'issued',
    enum: ['pending', 'issuing', 'issued', 'failed'],
    description:
      'pending: waits for verification or its turn; issuing: ordering now; failed: see error and nextAttemptAt ' +
      '(an uploaded certificate is issued)',
  })
  status: 'pending' | 'issuing' | 'issued' | 'failed';
  @ApiProperty({
    nullable: true,
    type: String,
    example: '2027-03-01T00:00:00.000Z',
    description: 'Of the certificate served',
  })
  notAfter: string | null;
  @ApiProperty({ nullable: true, type: String, example: "CN=R11, O=Let's Encrypt, C=US" }) issuer:
    string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: null,
    description: 'Why the last ACME attempt failed',
  })
  error: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: '2027-01-30T00:00:00.000Z',
    description: 'Next ACME attempt: retry after a failure, or the renewal; null: none planned',
  })
  nextAttemptAt: string | null;
}

export class DomainChallengeView {
  @ApiProperty({ example: 'dns-txt', enum: ['dns-txt'] }) type: 'dns-txt';
  @ApiProperty({ example: '_berth-challenge.www.example.com' }) name: string;
  @ApiProperty({ example: '3f1c…', description: 'The TXT record must hold exactly this value' })
  value: string;
}

export class DomainView {
  @ApiProperty({ example: 'www.example.com' }) hostname: string;
  @ApiProperty({ example: 'pending', enum: ['pending', 'verified'] }) status: 'pending' | 'verified';
  @ApiProperty({ nullable: true, type: String, example: null }) verifiedAt: string | null;
  @ApiProperty({ nullable: true, type: String, example: null, description: 'Why the last check failed' })
  lastError: string | null;
  @ApiProperty({ type: DomainChallengeView }) challenge: DomainChallengeView;
  @ApiProperty({ type: DomainCertificateView, nullable: true }) certificate: DomainCertificateView | null;
  @ApiProperty({ example: '2026-12-05T12:00:00.000Z' }) createdAt: string;

  static from({ domain, challenge }: DomainState): DomainView {
    return Object.assign(new DomainView(), {
      hostname: domain.hostname,
      status: domain.verifiedAt ? 'verified' : 'pending',
      verifiedAt: domain.verifiedAt?.toISOString() ?? null,
      lastError: domain.lastError,
      challenge,
      certificate: certificateView(domain),
      createdAt: new Date(domain.createdAt).toISOString(),
    });
  }

  static list(states: DomainState[]): DomainView[] {
    return states.map((state) => DomainView.from(state));
  }
}

function certificateView(domain: DomainState['domain']): DomainCertificateView | null {
  const source = domain.certificateSource ?? (domain.certificatePem ? 'uploaded' : null);
  if (!source) return null;
  return Object.assign(new DomainCertificateView(), {
    source,
    status: source === 'uploaded' ? 'issued' : (domain.acmeStatus ?? 'pending'),
    notAfter: domain.certificateNotAfter?.toISOString() ?? null,
    issuer: domain.certificateIssuer,
    error: domain.acmeError,
    nextAttemptAt: domain.acmeNextAttemptAt?.toISOString() ?? null,
  });
}
