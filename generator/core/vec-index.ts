/**
 * Vectors are TypeScript arrays of signals, so `lanes[8]` on a Vec(8, …) would quietly be
 * `undefined` and fail later inside the DSL. Vector shapes are wrapped so that an index
 * outside the vector is a design error at the line that wrote it, with index and length.
 */
import { designError } from './errors.ts';
import { captureLoc } from './loc.ts';

const integerKey = /^-?\d+$/;

/** `items` behind a guard that rejects integer indices outside 0..length-1. */
export function checkedVec<T>(items: T[], name: string): T[] {
  return new Proxy(items, {
    get(target, key, receiver) {
      if (typeof key === 'string' && integerKey.test(key)) {
        const i = Number(key);
        if (i < 0 || i >= target.length) {
          designError('index', captureLoc(), `index ${i} is outside Vec ${name} of length ${target.length} (valid indices 0..${target.length - 1}); for an index computed in hardware use select()`);
        }
      }
      return Reflect.get(target, key, receiver);
    },
  });
}
