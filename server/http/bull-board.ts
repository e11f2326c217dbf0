import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Router } from 'express';
import type { Queues } from '../queues/queues';

export const BULL_BOARD_PATH = '/admin/queues';

/** Bull Board over every queue; the caller mounts it behind the team key. */
export function bullBoardRouter(queues: Queues): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    queues: [queues.events, queues.executions, queues.triggers].map((q) => new BullMQAdapter(q)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'personas-cloud' } },
  });
  return serverAdapter.getRouter() as Router;
}
