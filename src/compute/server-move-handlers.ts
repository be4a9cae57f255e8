import type { ServerActionTable } from './server-action-table';

export const moveActions: ServerActionTable = {};
