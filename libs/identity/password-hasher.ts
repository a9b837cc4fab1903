import { Inject, Injectable } from '@nestjs/common';
import bcrypt from 'bcrypt';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';

@Injectable()
export class PasswordHasher {
  /** Compared against when the email is unknown, so a miss costs as long as a wrong password. */
  private readonly decoy: Promise<string>;

  constructor(@Inject(BERTH_CONFIG) private readonly config: BerthConfig) {
    this.decoy = bcrypt.hash('decoy-password-for-timing', config.bcryptCost);
  }

  hash(password: string): Promise<string> {
    return bcrypt.hash(password, this.config.bcryptCost);
  }

  async verify(password: string, hash: string | undefined): Promise<boolean> {
    return bcrypt.compare(password, hash ?? (await this.decoy));
  }
}
