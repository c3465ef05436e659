import type { EngineEvent } from '../ports/engine.js';
import type { GroupSync } from '../groups/group-sync.js';
import type { MessageService } from '../messages/message-service.js';
import type { Instance } from './instance-model.js';
import type { EngineEventHandler, EngineEventsHandler } from './instance-service.js';

/**
 * Where an instance's engine events go: delivery receipts to the message service, everything else
 * to group sync. Several events of one chat are applied by group sync in one transaction, unless a
 * receipt is among them: then each goes on its own, in order.
 */
export function engineEventHandlers(deps: { sync: GroupSync; messages: Pick<MessageService, 'applyReceipt'> }): { one: EngineEventHandler; many: EngineEventsHandler } {
  const { sync, messages } = deps;
  const one = (instance: Instance, event: EngineEvent) => (event.type === 'message.status' ? messages.applyReceipt(instance, event) : sync.apply(instance, event));
  return {
    one,
    async many(instance, events) {
      if (events.some((event) => event.type === 'message.status')) for (const event of events) await one(instance, event);
      else await sync.applyAll(instance, events);
    },
  };
}
