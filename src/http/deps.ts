import type { Container } from '../container.js';
import type { AuthFailureLimiter } from './auth.js';

/** What every route plugin receives: the wired core and the shared auth-failure limiter. */
export interface HttpDeps {
  core: Container;
  limiter: AuthFailureLimiter;
}
