import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { WEBHOOKS_ENTITIES } from './entities.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';
import { WebhooksRepository } from './webhooks.repository.js';
import { WebhooksService } from './webhooks.service.js';

@Module({
  imports: [TypeOrmModule.forFeature(WEBHOOKS_ENTITIES)],
  providers: [WebhooksRepository, WebhooksService, WebhookDispatcher],
  exports: [WebhooksService, WebhookDispatcher, WebhooksRepository],
})
export class WebhooksModule {}
