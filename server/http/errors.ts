import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { AppError } from '../../shared/errors';

interface BodyParserError extends Error {
  type?: string;
  status?: number;
}

function errorBody(code: string, message: string, details?: unknown) {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** 404 for any route nobody answered. */
export const notFoundRoute: RequestHandler = (req, res) => {
  res.status(404).json(errorBody('not_found', `no route for ${req.method} ${req.path}`));
};

/**
 * Maps error classes to status codes and the `{ error: { code, message, details } }` body.
 * Unknown errors answer 500 with a generic message (the details go to the log, never the client).
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    if (err instanceof AppError) {
      res.status(err.status).json(errorBody(err.code, err.message, err.details));
      return;
    }
    const e = err as BodyParserError;
    switch (e?.type) {
      case 'entity.parse.failed':
        // The parser's message quotes part of the body, which may hold a secret: never echo it.
        res.status(400).json(errorBody('invalid_json', 'malformed JSON body', [{ field: 'body', message: 'malformed JSON' }]));
        return;
      case 'entity.too.large':
        res.status(413).json(errorBody('payload_too_large', 'request body exceeds the 1 MiB limit', [{ field: 'body', message: 'too large' }]));
        return;
      case 'encoding.unsupported':
      case 'charset.unsupported':
        res.status(415).json(errorBody('unsupported_media_type', e.message));
        return;
      case 'request.aborted':
        return;
    }
    if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
      res.status(e.status).json(errorBody('bad_request', e.message));
      return;
    }
    logger.error({ err, method: req.method, path: req.path }, 'unhandled error in request');
    if (!res.headersSent) res.status(500).json(errorBody('internal_error', 'internal server error'));
  };
}
