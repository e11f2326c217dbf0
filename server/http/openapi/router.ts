import path from 'node:path';
import express, { Router, type Express } from 'express';
import { VERSION } from '../../../shared/version';
import { listRoutes } from '../route-walk';
import { describeRoute } from './describe';
import { buildOpenApiDocument } from './document';

/** Swagger UI's files, from its npm package (nothing is loaded from the internet). */
const SWAGGER_UI_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>personas-cloud API reference</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
<link rel="icon" type="image/png" href="/api/docs/assets/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/assets/init.js"></script>
</body>
</html>
`;

// No validator badge (it would call an outside service); the key given to "Authorize" stays in the page.
const INIT = `window.ui = SwaggerUIBundle({
  url: '/api/openapi.json', dom_id: '#swagger-ui', deepLinking: true, validatorUrl: null,
  persistAuthorization: false, tryItOutEnabled: false, docExpansion: 'none', defaultModelsExpandDepth: 0,
});
`;

/**
 * `GET /openapi.json` (the document, made from `app`'s routes the first time it is asked for) and
 * `GET /docs` (Swagger UI over it), both open: they describe the API, never its data. Mount on
 * `/api` ahead of the Bearer guard; `assets()` serves Swagger UI's files at `/api/docs/assets`.
 */
export function openApiRouter(app: Express): Router {
  const r = Router();
  let document: unknown;
  r.get('/openapi.json', describeRoute({ summary: 'This OpenAPI 3.1 document', tag: 'reference', responses: { 200: { description: 'The document', schema: 'object' } } }), (_req, res) => {
    document ??= buildOpenApiDocument(listRoutes(app), { version: VERSION });
    res.json(document);
  });
  r.get('/docs', describeRoute({ summary: 'The API reference (Swagger UI)', tag: 'reference', responses: { 200: { description: 'An HTML page', kind: 'html' } } }), (_req, res) => {
    res.type('html').send(PAGE);
  });
  return r;
}

/** Swagger UI's static files and its start script, mounted at `/api/docs/assets` (static files: no routes of their own). */
export function openApiAssets(): express.RequestHandler[] {
  return [
    (req, res, next) => (req.path === '/init.js' ? void res.type('application/javascript').send(INIT) : next()),
    express.static(SWAGGER_UI_DIR, { index: false }),
    (req, res) => void res.status(404).json({ error: { code: 'not_found', message: `no such file: /api/docs/assets${req.path}` } }),
  ];
}
