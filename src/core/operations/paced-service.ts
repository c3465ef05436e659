/**
 * The paced entry points and the operations API as one service: what every API (native and
 * dialects) calls to create groups, add people, and follow or cancel the operations they become.
 */
import type { GroupCreation } from '../groups/group-creation.js';
import type { BulkAdd } from '../participants/bulk-add.js';
import type { OperationService } from './operation-service.js';

export type PacedService = Omit<OperationService, 'register' | 'view'> & Pick<GroupCreation, 'createGroup'> & Pick<BulkAdd, 'addParticipants'>;

/** Joins the operations API with group creation and bulk adds (which registered their kinds with it). */
export function createPacedService(operations: OperationService, creation: GroupCreation, bulkAdd: BulkAdd): PacedService {
  return {
    start: operations.start,
    stop: operations.stop,
    get: operations.get,
    list: operations.list,
    cancel: operations.cancel,
    createGroup: creation.createGroup,
    addParticipants: bulkAdd.addParticipants,
  };
}
