import type { Request, Response } from 'express';
import type { OperationId } from './operations.js';

/** What one operation does once its guards let the request through: parse, call core, answer. */
export type Handler = (req: Request, res: Response) => Promise<void> | void;
export type Handlers<K extends OperationId = OperationId> = Record<K, Handler>;
