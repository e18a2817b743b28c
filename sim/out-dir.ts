/**
 * A command's output folder, written all at once: the shared staging of
 * util/atomic.ts (files written into a sibling staging folder, published when
 * everything succeeded; interrupted runs leave nothing behind).
 */
export { StagedDir, withStagedDir } from '../util/atomic.ts';
