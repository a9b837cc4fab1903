import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import type { DomainState } from '../../../../libs/ingress/index.js';

export class AddDomainRequest {
  @ApiProperty({
    example: 'www.example.com',
    description: 'Lower-case DNS name of at least two labels; no wildcard, nothing under the apps domain',
  })
  @IsString()
  @MaxLength(253)
  hostname: string;
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
  @ApiProperty({ example: 'uploaded', enum: ['uploaded'] }) source: 'uploaded';
  @ApiProperty({ example: '2027-03-01T00:00:00.000Z' }) notAfter: string;
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
      certificate: domain.certificateNotAfter
        ? { source: 'uploaded', notAfter: domain.certificateNotAfter.toISOString() }
        : null,
      createdAt: new Date(domain.createdAt).toISOString(),
    });
  }

  static list(states: DomainState[]): DomainView[] {
    return states.map((state) => DomainView.from(state));
  }
}
