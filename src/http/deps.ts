/**
 * What HTTP routes may use: the core services, never the store, the database or the container.
 * Each route plugin declares the few it calls (`Pick<ApiServices, ...>`); the composition root
 * hands them over once.
 */
import type { AccessService } from '../core/access/access-service.js';
import type { EventLog } from '../core/events/event-log.js';
import type { GroupService } from '../core/groups/group-service.js';
import type { InstanceService } from '../core/instances/instance-service.js';
import type { MessageService } from '../core/messages/message-service.js';
import type { PacedService } from '../core/operations/paced-service.js';
import type { PacingService } from '../core/pacing/pacing-service.js';
import type { ParticipantService } from '../core/participants/participant-service.js';
import type { IdempotencyRepository } from '../core/ports/idempotency.js';
import type { StatsRepository } from '../core/ports/monitoring.js';
import type { SandboxDirectory } from '../core/ports/sandbox-directory.js';
import type { WebhookService } from '../core/webhooks/webhook-service.js';
import type { MediaService } from '../core/media/media-service.js';
import type { AuthFailureLimiter } from './auth.js';
import type { SessionOwnership } from '../core/ports/cluster.js';

export interface ApiServices {
  access: AccessService;
  instances: InstanceService;
  groups: GroupService;
  participants: ParticipantService;
  messages: MessageService;
  events: EventLog;
  /** The paced entry points (group creation, participant adds) and the operations API. */
  paced: PacedService;
  pacing: PacingService;
  webhooks: WebhookService;
  /** Images fetched from client-given URLs (SSRF-checked, size- and type-checked). */
  media: MediaService;
  idempotency: IdempotencyRepository;
  stats: StatsRepository;
  /** The sandbox network's accounts (sandbox routes only). */
  sandbox: SandboxDirectory;
  /** Failed authentications per address, shared by the native API and every dialect. */
  limiter: AuthFailureLimiter;
  /** Which node runs which instance's session (on one node: this one, all of them). */
  cluster: SessionOwnership;
  now: () => number;
}
