/** The route walker lives with the app (the OpenAPI document is generated from it); tests use the same one. */
export { listRoutes, type MountedRoute } from '../../server/http/route-walk';
