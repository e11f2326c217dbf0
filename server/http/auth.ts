/** Kept for older imports: the authentication helpers live in server/auth/ now. */
export { presentedKey, safeEqual } from '../auth/secrets';
